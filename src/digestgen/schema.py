"""Declarative schemas for every source file, and pydantic errors turned into marked problems."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from digestgen.errors import MAX_PER_FILE, Problem
from digestgen.yamlio import Doc, as_date, parse_timestamp

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
ARXIV_RE = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")
DOI_RE = re.compile(r"^10\.\d{4,9}/[^\s\x00-\x1f]+$")
LINK_LABEL_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
# "Wei Wang [wei-wang-ucla]": an author name with the id of its entry in content/authors.yaml
AUTHOR_ID_RE = re.compile(r"^(?P<name>.*?)\s*\[(?P<id>[^\[\]]*)\]$")
DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")
ISSUE_KEY_RE = {
    "weekly": re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"),
    "daily": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "monthly": re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"),
}
MAX_TITLE = 500
MAX_AUTHORS = 3000
MAX_TAGS = 50
MAX_TEXT = 100_000
MIN_DATE, MAX_DATE = dt.date(1000, 1, 1), dt.date(9000, 12, 31)
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def check_url(value: str) -> str:
    """Accept only absolute http(s) URLs with a host, no credentials and no spaces or controls."""
    if not isinstance(value, str):
        raise ValueError("must be a URL string")  # noqa: TRY004 - pydantic reports ValueError
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp") for c in value):
        raise ValueError("must not contain spaces, control or invisible characters (encode a space as %20)")
    unsafe = next((c for c in value if c in '"<>\\`'), None)
    if unsafe is not None:  # never valid in a URL; a consumer that builds HTML from our feeds or JSON could break out
        raise ValueError(f"must not contain {unsafe!r}; percent-encode it ({quote(unsafe)})")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"must be an absolute http:// or https:// URL, got {value[:80]!r}")
    if not value.lower().startswith(parts.scheme + "://") or not parts.hostname:
        raise ValueError(f"must be an absolute URL with a host, like https://example.org/, got {value[:80]!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain a user name or password")
    try:
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise ValueError("has an invalid port") from None
    return value


def check_slug(value: str) -> str:
    if not SLUG_RE.fullmatch(value) or len(value) > 100 or windows_reserved(value):
        raise ValueError(
            f"{value[:60]!r} is not a valid slug; use lowercase letters, digits and '-' (like 'language-models')"
        )
    return value


def _one_line(value: str) -> str:
    if any(brk in value.strip() for brk in "\n\r\x85\u2028\u2029"):  # a CR would also split an email header
        raise ValueError("must be one line")
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _timezone(value: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value[:60]!r}; use an IANA name like 'Europe/Berlin' or 'UTC'") from None
    return value


def _to_date(value: Any, info: ValidationInfo) -> dt.date:
    """A date as people write it: 2025-11-18, quoted or not, or a date and time (see as_date)."""
    tz = (info.context or {}).get("tz", dt.timezone.utc)
    if isinstance(value, str):
        value = parse_timestamp(value)
    if value is None:
        raise ValueError("is empty; write a date YYYY-MM-DD (like 2025-11-18)")
    if not isinstance(value, dt.date):
        shown = "true or false" if isinstance(value, bool) else f"the number {value}" \
            if isinstance(value, (int, float)) else "a list" if isinstance(value, list) else "a mapping"
        raise ValueError(f"must be a date written YYYY-MM-DD (like 2025-11-18), not {shown}")  # noqa: TRY004
    try:
        value = as_date(value, tz)
    except OverflowError:
        value = dt.date.max
    if not MIN_DATE <= value <= MAX_DATE:  # keeps week and feed arithmetic in range
        raise ValueError(f"must be between {MIN_DATE} and {MAX_DATE}")
    return value  # type: ignore[no-any-return]


def _to_datetime(value: Any, info: ValidationInfo) -> Any:
    """A moment in the site's timezone: a date is its midnight, a naive time is local time.

    Quoted text is read like a date field's (parse_timestamp); YAML reads only times with
    seconds as timestamps, so ISO text such as 2026-11-30T09:00 is read here too.
    """
    tz = (info.context or {}).get("tz", dt.timezone.utc)
    if isinstance(value, str):
        try:
            value = parse_timestamp(value)
        except ValueError:
            try:
                value = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"{value[:40]!r} is not a date and time; write it like 2026-11-30T09:00 "
                                 "(the site's timezone) or 2026-11-30T09:00+01:00") from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if not isinstance(value, dt.datetime):
        return value  # pydantic reports the type
    if not MIN_DATE <= value.date() <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE} and {MAX_DATE}")
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


def split_author(value: str) -> tuple[str, str | None]:
    """'Wei Wang [wei-wang-ucla]' -> ('Wei Wang', 'wei-wang-ucla'); a name without an id -> (name, None)."""
    found = AUTHOR_ID_RE.match(value) if value.endswith("]") else None
    return (found.group("name"), found.group("id")) if found else (value, None)


def _author(value: str) -> str:
    """An author's name, optionally followed by the id of their entry in content/authors.yaml."""
    name, author_id = split_author(value)
    if author_id is not None and (not SLUG_RE.fullmatch(author_id) or len(author_id) > 100):
        raise ValueError(
            f"[{author_id[:60]}] must be the id of an entry of content/authors.yaml, in lowercase letters, "
            "digits and '-' (like 'Wei Wang [wei-wang-ucla]')"
        )
    if author_id is not None and not name:
        raise ValueError(
            f"[{author_id}] needs the name before it, as the paper writes it (like 'Wei Wang [{author_id}]')"
        )
    return value


def _orcid(value: str) -> str:
    """An ORCID iD (https://orcid.org/0000-0002-1825-0097 or the bare 16 digits), checked by its
    ISO 7064 11,2 check digit; returned bare."""
    bare = value.strip()
    for prefix in ("https://orcid.org/", "http://orcid.org/", "orcid.org/"):
        if bare.lower().startswith(prefix):
            bare = bare[len(prefix):]
    bare = bare.upper()
    if not ORCID_RE.fullmatch(bare):
        raise ValueError(f"{value[:60]!r} is not an ORCID iD; write it like 0000-0002-1825-0097")
    total = 0
    for digit in bare[:-1].replace("-", ""):
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    expected = "X" if check == 10 else str(check)
    if bare[-1] != expected:
        raise ValueError(f"{bare} has a wrong check digit (the last one should be {expected}); copy the iD from the "
                         "person's ORCID page")
    return bare


def _arxiv(value: str) -> str:
    value = value.strip()
    if value.lower().startswith("arxiv:"):
        value = value[6:]
    if not ARXIV_RE.fullmatch(value):
        raise ValueError(
            f"{value[:60]!r} is not an arXiv id; write it like \"2511.11002\", \"2511.11002v2\" or \"hep-th/9901001\""
        )
    return value


def _doi(value: str) -> str:
    value = value.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "doi:"):
        if value.lower().startswith(prefix):
            value = value[len(prefix):]
    if not DOI_RE.fullmatch(value):
        raise ValueError(f"{value[:60]!r} is not a DOI; write it like \"10.1000/xyz123\"")
    return value


def _image(value: str) -> str:
    if value.startswith(("https://", "http://")):
        return check_url(value)
    clean = value.lstrip("/")
    clean = clean.removeprefix("static/")
    parts = clean.split("/")
    if not clean or any(p in ("", ".", "..") or p.startswith(".") for p in parts) or "\\" in clean or ":" in clean:
        raise ValueError("must be a path of a file under static/ (like images/figure.png) or an https:// URL")
    if any(c.isspace() or ord(c) < 32 for c in clean):
        raise ValueError("must not contain spaces or control characters")
    return clean


def _links(value: dict[str, str]) -> dict[str, str]:
    for label in value:
        if not LINK_LABEL_RE.fullmatch(label) or len(label) > 40:
            raise ValueError(f"link label {label[:40]!r} must be a short lowercase name like 'code' or 'project'")
    return value


def _unique(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("lists the same tag twice")
    return value


def _unique_names(value: list[str]) -> list[str]:
    seen: set[str] = set()
    for name in value:
        if name.casefold() in seen:
            raise ValueError(f"lists {name!r} twice")
        seen.add(name.casefold())
    return value


def _image_has_alt(value: str, info: ValidationInfo) -> str:
    # checked on the field rather than on the whole model, which pydantic checks only once every
    # field is valid: the missing alt text is reported in the same run as any other mistake
    if "image_alt" in info.data and not info.data["image_alt"]:  # absent from data: image_alt was refused
        raise ValueError("needs image_alt too; describe the picture for screen readers")
    return value


def _static_file(value: str) -> str:
    if value.startswith(("https://", "http://")):
        raise ValueError("must be a file under static/ (like css/site.css): the site loads nothing from other hosts")
    return _image(value)


OneLine = Annotated[str, Field(max_length=MAX_TITLE), AfterValidator(_one_line)]
StaticFile = Annotated[str, Field(max_length=500), AfterValidator(_static_file)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Date = Annotated[dt.date, BeforeValidator(_to_date)]
DateTime = Annotated[dt.datetime, BeforeValidator(_to_datetime)]
Url = Annotated[str, AfterValidator(check_url)]
Slug = Annotated[str, AfterValidator(check_slug)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PaperFields(_Strict):
    """One paper of the digest (front matter of content/papers/**/<id>.md, or a .yaml file)."""

    title: OneLine = Field(description="The paper's title, one line.")
    date: Date = Field(description="The day the paper entered the digest (picks its issue): YYYY-MM-DD, quoted or not.")
    authors: list[
        Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_one_line), AfterValidator(_author)]
    ] = Field(
        default_factory=list, max_length=MAX_AUTHORS,
        description="Full author list; 'Name [id]' names the entry of content/authors.yaml the author is.")
    arxiv: Annotated[str, AfterValidator(_arxiv)] | None = Field(None, description='arXiv id, quoted: "2511.11002".')
    doi: Annotated[str, AfterValidator(_doi)] | None = None
    journal: Annotated[str, Field(max_length=MAX_TITLE), AfterValidator(_one_line)] | None = Field(
        None, description="Where the paper was published, like 'Nature 521, 436-444 (2015)'.")
    published: Date | None = Field(None, description="The paper's own publication date: YYYY-MM-DD, quoted or not.")
    abstract: Text | None = Field(None, description="Abstract (Markdown, $math$ allowed).")
    tldr: Annotated[str, Field(max_length=1000), AfterValidator(_one_line)] | None = None
    tags: Annotated[list[Slug], AfterValidator(_unique)] = Field(default_factory=list, max_length=MAX_TAGS)
    upvotes: Annotated[int, Field(ge=0)] | None = None
    links: Annotated[dict[str, Url], AfterValidator(_links)] = Field(default_factory=dict, max_length=50)
    # image_alt comes first: a field sees the fields before it (see _image_has_alt)
    image_alt: Annotated[str, Field(max_length=1000), AfterValidator(_one_line)] | None = None
    image: Annotated[str, AfterValidator(_image), AfterValidator(_image_has_alt)] | None = None
    featured: bool = False
    rank: int | None = None
    issue: str | None = Field(None, description="Issue key overriding the one picked from date.")
    submitted_by: Annotated[str, Field(max_length=200), AfterValidator(_one_line)] | None = None
    draft: bool = Field(False, description="Hidden unless --drafts; delete the line once the entry is filled in.")
    note: Text | None = Field(None, description="Curator's note (Markdown); only in .yaml entries.")


class IssueFields(_Strict):
    """Front matter of content/issues/<key>.md."""

    title: OneLine | None = None
    summary: Annotated[str, Field(max_length=2000)] | None = None
    draft: bool = Field(
        False, description="Hold the issue back, even past publish_at (shown only with --drafts and in serve)."
    )
    publish_at: DateTime | None = Field(None, description="When the issue appears, in the site's timezone "
                                        "(2026-11-30T09:00 or 2026-11-30); before or after its period ends.")


class PageFields(_Strict):
    """Front matter of content/pages/<slug>.md."""

    title: OneLine
    description: Annotated[str, Field(max_length=2000)] | None = None
    draft: bool = False


class TagFields(_Strict):
    name: OneLine
    description: Annotated[str, Field(max_length=2000)] | None = None


class AuthorEntryFields(_Strict):
    """One person of content/authors.yaml, under their id (which is also their page's slug)."""

    name: OneLine = Field(description="The name their page shows.")
    aliases: Annotated[list[Annotated[str, Field(max_length=300), AfterValidator(_one_line)]],
                       AfterValidator(_unique_names)] = Field(
        default_factory=list, max_length=100, description="Other spellings of the name in papers' author lists.")
    affiliation: OneLine | None = Field(None, description="Where they work; tells apart two people with one name.")
    orcid: Annotated[str, AfterValidator(_orcid)] | None = Field(
        None, description="ORCID iD, like 0000-0002-1825-0097."
    )
    homepage: Url | None = None


class Author(_Strict):
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


class Feeds(_Strict):
    limit: Annotated[int, Field(ge=1, le=10000)] = 20
    full_content: bool = True
    id_domain: Annotated[str, AfterValidator(_domain)] | None = Field(
        default=None,
        description="Domain used in feed entry ids (default: base_url's host); keep the old one after moving the site.",
    )


class NavItem(_Strict):
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


class Subscribe(_Strict):
    url: Url
    label: OneLine = "Subscribe"


class Email(_Strict):
    sender: Annotated[str, AfterValidator(_address)] | None = Field(None, alias="from")
    reply_to: Annotated[str, AfterValidator(_address)] | None = None
    unsubscribe_url: Url | None = None

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class LinkCheck(_Strict):
    """How `digestgen check --links` checks the external links of the entries."""

    remember_days: Annotated[int, Field(ge=0, le=365)] = Field(
        default=7, description="Days a link that answered is not asked again (0: check every link every time).")
    timeout: Annotated[float, Field(gt=0, le=120)] = Field(
        default=10.0, description="Seconds to wait for a server at each step."
    )
    per_host: Annotated[int, Field(ge=1, le=16)] = Field(default=2, description="Requests at a time to one host.")
    skip: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=200, description="URL prefixes never checked (hosts that refuse checkers).")


class SiteFields(_Strict):
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


# --- errors -------------------------------------------------------------------------------

_KIND = {
    "bool": "the boolean",
    "int": "the number",
    "float": "the number",
    "timestamp": "the date",
    "null": "an empty value",
}


def _hint(doc: Doc, loc: tuple[Any, ...], err: dict[str, Any]) -> str | None:
    """Explain YAML 1.1 coercions: yes -> true, 2511.11 -> float, 1:20 -> 80."""
    scalar = doc.scalars.get(loc)
    if scalar is None or not scalar.plain or scalar.tag == "str":
        return None
    if not err["type"].startswith(("string", "str")):
        return None
    field = str(loc[-1]) if loc else "value"
    if isinstance(loc[-1], int):
        field = str(loc[-2]) + " item"
    what = _KIND.get(scalar.tag, "a " + scalar.tag)
    if scalar.tag == "null":
        return "is empty; write a value or remove the line"
    if field == "arxiv":
        return f'YAML read {what} {scalar.text}; quote the id: arxiv: "{scalar.text}"'
    if scalar.tag == "int" and ":" in scalar.text:
        return f'YAML 1.1 read {scalar.text} as a base-60 number; quote it: "{scalar.text}"'
    return f'YAML read {what} {scalar.text}; quote it: "{scalar.text}"'


def _message(doc: Doc, loc: tuple[Any, ...], err: dict[str, Any], fields: list[str], suggest: bool = True) -> str:
    kind = err["type"]
    hint = _hint(doc, loc, err)
    if hint:
        return hint
    if kind == "extra_forbidden":
        name = str(loc[-1])
        if not suggest:
            return "unknown field"
        close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
        if close:
            return f"unknown field; did you mean '{close[0]}'?"
        return "unknown field; allowed fields are " + ", ".join(fields)
    if kind == "missing":
        return "is required"
    if kind in ("value_error", "assertion_error"):
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        return msg
    if kind == "int_type":
        return "must be a whole number (not text, not true/false)"
    if kind == "bool_type":
        return "must be true or false"
    if kind in ("date_type", "date_from_datetime_inexact", "date_parsing"):
        return "must be a date written YYYY-MM-DD (like 2025-11-18)"
    if kind in ("list_type",):
        return "must be a list (one '- item' per line)"
    if kind in ("dict_type", "model_type"):
        return "must be a mapping of 'name: value' lines"
    if kind == "string_type":
        return "must be text"
    if kind == "literal_error":
        return f"must be one of {err.get('ctx', {}).get('expected', '')}"
    if kind == "string_too_long":
        limit = err.get("ctx", {}).get("max_length")
        if isinstance(err.get("input"), str):
            return f"is {len(err['input']):,} characters long; the limit is {limit:,}"
        return f"is too long: at most {limit} characters"
    if kind == "too_long":
        return f"is too long: at most {err.get('ctx', {}).get('max_length')} items or characters"
    return err["msg"]


def validate(model: type[_Strict], doc: Doc, problems: list[Problem], context: dict[str, Any] | None = None,
             prefix: tuple[Any, ...] = ()) -> Any:
    """Validate doc.data with model; append a marked problem per error; None on failure.

    Every field is checked (pydantic reports them all): values refused while reading the YAML
    (Doc.reported) are not reported a second time.
    """
    data = doc.data
    for key in prefix:
        data = data[key]
    try:
        record = model.model_validate(data, context=context)
    except ValidationError as exc:
        fields = sorted(model.model_fields)
        unknown = 0
        for err in exc.errors(include_url=False):
            loc = (*prefix, *err["loc"])
            if doc.was_reported(loc):
                continue
            unknown += err["type"] == "extra_forbidden"  # in file order: those past the cap are not shown
            msg = _message(doc, loc, dict(err), fields, suggest=unknown <= MAX_PER_FILE)
            if msg.startswith(tuple(f + ": " for f in fields)) and not loc[len(prefix):]:
                field, _, msg = msg.partition(": ")
                loc = (*prefix, field)
            line, col = doc.mark(loc, key=err["type"] in ("extra_forbidden",))
            if err["type"] == "missing":
                line, col = doc.start
            name = ".".join(str(p) for p in loc) or "(document)"
            problems.append(Problem(doc.path, line, col, name, msg))
        return None
    return None if doc.was_reported(prefix) or any(key[: len(prefix)] == prefix for key in doc.reported) else record


def paper_json_schema() -> dict[str, Any]:
    """JSON Schema of a paper entry, for editors (yaml-language-server)."""
    schema = PaperFields.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "digestgen paper entry"
    props = schema["properties"]
    props["arxiv"] = {"anyOf": [{"type": "string", "pattern": ARXIV_RE.pattern}, {"type": "null"}], "default": None,
                      "description": props["arxiv"].get("description", "")}
    props["tags"]["items"] = {"type": "string", "pattern": SLUG_RE.pattern}
    props["links"]["additionalProperties"] = {"type": "string", "format": "uri", "pattern": "^https?://"}
    props["links"]["propertyNames"] = {"pattern": LINK_LABEL_RE.pattern}
    return schema


MOMENT_RE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"


def issue_json_schema() -> dict[str, Any]:
    """JSON Schema of the front matter of content/issues/<key>.md."""
    schema = IssueFields.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "digestgen issue front matter"
    props = schema["properties"]  # a local time without seconds or offset is not RFC 3339's date-time
    props["publish_at"]["anyOf"][0] = {"type": "string", "pattern": MOMENT_RE}
    return schema


def site_json_schema() -> dict[str, Any]:
    """JSON Schema of site.yaml."""
    schema = SiteFields.model_json_schema(mode="validation", by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "digestgen site.yaml"
    return schema


def windows_reserved(name: str) -> bool:
    return name.split(".")[0].lower() in _WINDOWS_RESERVED or name.endswith(".")
