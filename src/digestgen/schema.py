"""Declarative schemas for every content file, and the checks of their values (site.yaml's is in
site_schema.py; validation.py turns their errors into marked problems)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
)

from digestgen.yamlio import as_date, parse_timestamp

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
MAX_COUNT = 1_000_000_000  # upvotes and rank: far past any real value, and within what the cache stores
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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PaperFields(Strict):
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
    upvotes: Annotated[int, Field(ge=0, le=MAX_COUNT)] | None = None
    links: Annotated[dict[str, Url], AfterValidator(_links)] = Field(default_factory=dict, max_length=50)
    # image_alt comes first: a field sees the fields before it (see _image_has_alt)
    image_alt: Annotated[str, Field(max_length=1000), AfterValidator(_one_line)] | None = None
    image: Annotated[str, AfterValidator(_image), AfterValidator(_image_has_alt)] | None = None
    featured: bool = False
    rank: Annotated[int, Field(ge=-MAX_COUNT, le=MAX_COUNT)] | None = None
    issue: str | None = Field(None, description="Issue key overriding the one picked from date.")
    submitted_by: Annotated[str, Field(max_length=200), AfterValidator(_one_line)] | None = None
    draft: bool = Field(False, description="Hidden unless --drafts; delete the line once the entry is filled in.")
    note: Text | None = Field(None, description="Curator's note (Markdown); only in .yaml entries.")


class IssueFields(Strict):
    """Front matter of content/issues/<key>.md."""

    title: OneLine | None = None
    summary: Annotated[str, Field(max_length=2000)] | None = None
    draft: bool = Field(
        False, description="Hold the issue back, even past publish_at (shown only with --drafts and in serve)."
    )
    publish_at: DateTime | None = Field(None, description="When the issue appears, in the site's timezone "
                                        "(2026-11-30T09:00 or 2026-11-30); before or after its period ends.")


class PageFields(Strict):
    """Front matter of content/pages/<slug>.md."""

    title: OneLine
    description: Annotated[str, Field(max_length=2000)] | None = None
    draft: bool = False


class TagFields(Strict):
    name: OneLine
    description: Annotated[str, Field(max_length=2000)] | None = None


class AuthorEntryFields(Strict):
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


def windows_reserved(name: str) -> bool:
    return name.split(".")[0].lower() in _WINDOWS_RESERVED or name.endswith(".")
