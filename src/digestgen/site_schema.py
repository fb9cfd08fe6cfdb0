"""The schema of site.yaml: every setting of a site, with its default and its checks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from digestgen.schema import DOMAIN_RE, OneLine, StaticFile, Strict, Url, check_slug, check_url


def _timezone(value: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value[:60]!r}; use an IANA name like 'Europe/Berlin' or 'UTC'") from None
    return value


class Author(Strict):
    name: OneLine
    email: str | None = None
    url: Url | None = None


def _domain(value: str) -> str:
    if not DOMAIN_RE.fullmatch(value) or len(value) > 253:
        raise ValueError(
            f"{value[:60]!r} is not a domain name; write it like 'example.org' (lowercase, no scheme or path)"
        )
    return value


def _address(value: str) -> str:
    """An email address, optionally with a display name: 'Digest <digest@example.org>'."""
    from email.headerregistry import Address
    from email.utils import parseaddr

    if any(c in value for c in "\r\n\x00") or len(value) > 300:
        raise ValueError("must be one email address on one line")
    name, addr = parseaddr(value)
    try:
        Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError):
        addr = ""
    if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
        raise ValueError(
            f"{value[:80]!r} is not an email address; "
            "write it like digest@example.org or 'Digest <digest@example.org>'"
        )
    return value


class Feeds(Strict):
    limit: Annotated[int, Field(ge=1, le=10000)] = 20
    full_content: bool = True
    id_domain: Annotated[str, AfterValidator(_domain)] | None = Field(
        default=None,
        description="Domain used in feed entry ids (default: base_url's host); keep the old one after moving the site.",
    )


class NavItem(Strict):
    title: OneLine
    url: str

    @model_validator(mode="after")
    def _url(self) -> NavItem:
        if self.url.startswith("/") and not self.url.startswith("//"):
            if any(c.isspace() or ord(c) < 32 for c in self.url) or ".." in self.url.split("/"):
                raise ValueError("url: must be a clean site path like /about/")
        else:
            check_url(self.url)
        return self


class Subscribe(Strict):
    url: Url
    label: OneLine = "Subscribe"


class Email(Strict):
    sender: Annotated[str, AfterValidator(_address)] | None = Field(None, alias="from")
    reply_to: Annotated[str, AfterValidator(_address)] | None = None
    unsubscribe_url: Url | None = None

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class LinkCheck(Strict):
    """How `digestgen check --links` checks the external links of the entries."""

    remember_days: Annotated[int, Field(ge=0, le=365)] = Field(
        default=7, description="Days a link that answered is not asked again (0: check every link every time).")
    timeout: Annotated[float, Field(gt=0, le=120)] = Field(
        default=10.0, description="Seconds to wait for a server at each step."
    )
    per_host: Annotated[int, Field(ge=1, le=16)] = Field(default=2, description="Requests at a time to one host.")
    skip: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=200, description="URL prefixes never checked (hosts that refuse checkers).")


class SiteFields(Strict):
    """site.yaml."""

    title: OneLine
    base_url: Url
    description: Annotated[str, Field(max_length=2000)] | None = None
    language: Annotated[str, Field(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")] = "en"
    timezone: Annotated[str, AfterValidator(_timezone)] = "UTC"
    cadence: Literal["weekly", "daily", "monthly"] = "weekly"
    publish: Literal["on-date", "when-complete"] | None = Field(
        None, description="When an issue appears: on-date (with its first paper) or when-complete (once its period "
                          "has ended); default on-date for a daily cadence, when-complete otherwise.")
    theme: Annotated[str, AfterValidator(check_slug)] = "default"
    author: Author | None = None
    feeds: Feeds = Field(default_factory=lambda: Feeds())
    per_page: Annotated[int, Field(ge=1, le=1000)] = 20
    author_pages: Annotated[int, Field(ge=1, le=1000)] = Field(
        3, description="Papers an author needs in the digest for a page and feed of their own (authors of "
                       "content/authors.yaml always have one).")
    search: bool = True
    nav: list[NavItem] = Field(default_factory=list)
    subscribe: Subscribe | None = None
    email: Email | None = None
    output: str | None = None
    link_check: LinkCheck = Field(default_factory=lambda: LinkCheck())
    extra_css: list[StaticFile] = Field(
        default_factory=list, max_length=10,
        description="Stylesheets under static/ loaded after the theme's, to change colours, fonts and spacing.")
    logo: StaticFile | None = Field(
        None, description="An image under static/ shown instead of the theme's mark beside the title."
    )
    social_images: Literal["issues", "all", "none"] = Field(
        "issues", description="Which pages get a drawn 1200x630 image for links shared on social sites and in chats: "
                              "issues (each issue page), all (issue and paper pages; about 17 ms a paper) or none.")


def site_json_schema() -> dict[str, Any]:
    """JSON Schema of site.yaml."""
    schema = SiteFields.model_json_schema(mode="validation", by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "digestgen site.yaml"
    return schema
