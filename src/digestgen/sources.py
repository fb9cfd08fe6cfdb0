"""Fetch paper metadata from the arXiv API, the Hugging Face papers API and Crossref.

Both clients are polite: a descriptive User-Agent, a timeout, ids batched into few requests,
and a bounded retry on 429/503 that honours Retry-After. Base URLs come from the environment
(DIGESTGEN_ARXIV_API, DIGESTGEN_HF_API, DIGESTGEN_CROSSREF_API) so tests and mirrors can point them elsewhere.
Responses become plain PaperMeta records; turning them into entry files is entries.py's job.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from digestgen import __version__
from digestgen.errors import DigestgenError
from digestgen.schema import ARXIV_RE, DOI_RE, check_url

ARXIV_API = "https://export.arxiv.org/api/query"
HF_API = "https://huggingface.co/api"
CROSSREF_API = "https://api.crossref.org"
USER_AGENT = f"digestgen/{__version__} (static site generator for research-paper digests; python-urllib)"
TIMEOUT = 20.0
ATTEMPTS = 4
RETRY_CAP = 30.0  # never wait longer than this for one retry; give up instead
ARXIV_BATCH = 50
ARXIV_PAUSE = 3.0  # arXiv asks for one request every three seconds

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_ARXIV_URL = re.compile(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(.+?)(?:\.pdf)?/?$", re.IGNORECASE)

sleep = time.sleep  # replaced in tests


class FetchError(DigestgenError):
    """The API could not be reached or answered with something unusable."""

    exit_code = 1


class NotFound(FetchError):
    """The API answered 404: it has no record of what was asked for."""


@dataclass
class PaperMeta:
    """What an API told us about one paper, already cleaned to fit the entry schema."""

    arxiv: str | None
    title: str
    authors: list[str] = field(default_factory=list)
    abstract: str | None = None
    published: dt.date | None = None
    category: str | None = None
    upvotes: int | None = None
    doi: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    latest: str | None = None  # the newest version's id (2307.09288v3), when the API says
    journal: str | None = None  # the journal reference, once the paper is published


def env_url(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def one_line(text: str | None) -> str:
    """Collapse the line breaks and runs of spaces APIs leave in titles and abstracts; drop control characters."""
    return " ".join(_CONTROL.sub("", text or "").split())


def normalise_arxiv(value: str) -> str | None:
    """'arXiv:2511.11002v2', 'https://arxiv.org/abs/2511.11002' -> '2511.11002v2' / '2511.11002'; None if not an id."""
    value = value.strip()
    match = _ARXIV_URL.match(value)
    if match:
        value = match.group(1)
    if value.lower().startswith("arxiv:"):
        value = value[6:]
    return value if ARXIV_RE.fullmatch(value) else None


def normalise_doi(value: str) -> str | None:
    """'doi:10.1038/X', 'https://doi.org/10.1038/X' -> '10.1038/X'; None if not a DOI."""
    value = value.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
        if value.lower().startswith(prefix):
            value = value[len(prefix):]
    return value if DOI_RE.fullmatch(value) and len(value) <= 300 else None


def arxiv_base(arxiv_id: str) -> str:
    """The id without its version suffix."""
    return re.sub(r"v\d+$", "", arxiv_id)


def _retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait: Retry-After as seconds or an HTTP date, else exponential backoff."""
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            pass
    return float(2 ** attempt)


def http_get(url: str, what: str) -> bytes:
    """GET url with a User-Agent and timeout; retry politely on 429/503; FetchError otherwise."""
    timeout = float(os.environ.get("DIGESTGEN_HTTP_TIMEOUT") or TIMEOUT)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
    for attempt in range(ATTEMPTS):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return bytes(response.read(20_000_000))
        except urllib.error.HTTPError as exc:
            if exc.code in (429, 503) and attempt + 1 < ATTEMPTS:
                wait = _retry_after(exc.headers.get("Retry-After"), attempt)
                if wait > RETRY_CAP:
                    raise FetchError(f"{what} asked us to wait {wait:.0f} s before trying again (HTTP {exc.code}); "
                                     "try again later") from None
                sleep(wait)
                continue
            raise (NotFound if exc.code == 404 else FetchError)(
                f"{what} answered HTTP {exc.code} {exc.reason} for {url}"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FetchError(f"could not reach {what} ({reason})") from None
    raise FetchError(f"{what} is busy (HTTP 429/503 {ATTEMPTS} times); try again later")


# --- arXiv -------------------------------------------------------------------------------


def fetch_arxiv(ids: list[str]) -> dict[str, PaperMeta]:
    """Metadata for arXiv ids (base id -> PaperMeta); ids the API does not know are left out."""
    base = env_url("DIGESTGEN_ARXIV_API", ARXIV_API)
    found: dict[str, PaperMeta] = {}
    for start in range(0, len(ids), ARXIV_BATCH):
        if start:
            sleep(ARXIV_PAUSE)
        batch = ids[start : start + ARXIV_BATCH]
        query = urllib.parse.urlencode({"id_list": ",".join(batch), "max_results": str(len(batch))})
        found.update(parse_arxiv_feed(http_get(f"{base}?{query}", "the arXiv API")))
    return found


def parse_arxiv_feed(data: bytes) -> dict[str, PaperMeta]:
    """Parse an arXiv API Atom feed into PaperMeta records keyed by base id."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FetchError(f"the arXiv API sent something that is not an Atom feed ({exc})") from None
    papers: dict[str, PaperMeta] = {}
    for entry in root.iter(f"{_ATOM}entry"):
        raw_id = entry.findtext(f"{_ATOM}id") or ""
        title = one_line(entry.findtext(f"{_ATOM}title"))
        if "/api/errors" in raw_id:
            raise FetchError(f"the arXiv API refused the request: {one_line(entry.findtext(f'{_ATOM}summary'))}")
        arxiv_id = normalise_arxiv(raw_id)
        if not arxiv_id or not title:
            continue
        published = _date(entry.findtext(f"{_ATOM}published"))
        authors = [one_line(a.findtext(f"{_ATOM}name")) for a in entry.findall(f"{_ATOM}author")]
        category = entry.find(f"{_ARXIV}primary_category")
        doi = one_line(entry.findtext(f"{_ARXIV}doi")) or None
        latest = arxiv_id if arxiv_id != arxiv_base(arxiv_id) else None
        papers[arxiv_base(arxiv_id)] = PaperMeta(
            arxiv=arxiv_base(arxiv_id),
            title=title,
            authors=[a for a in authors if a],
            abstract=one_line(entry.findtext(f"{_ATOM}summary")) or None,
            published=published,
            category=category.get("term") if category is not None else None,
            doi=doi if doi and DOI_RE.fullmatch(doi) else None,
            latest=latest,
            journal=one_line(entry.findtext(f"{_ARXIV}journal_ref"))[:500] or None,
        )
    return papers


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except ValueError:
        return None


# --- Hugging Face daily papers ------------------------------------------------------------


def fetch_hf_daily(day: dt.date) -> list[PaperMeta]:
    """The papers Hugging Face featured on one day, in the API's order."""
    base = env_url("DIGESTGEN_HF_API", HF_API).rstrip("/")
    query = urllib.parse.urlencode({"date": day.isoformat()})
    data = http_get(f"{base}/daily_papers?{query}", "the Hugging Face API")
    return parse_hf_daily(data)


def parse_hf_daily(data: bytes) -> list[PaperMeta]:
    """Parse the daily_papers JSON (a list of {paper: {...}, title, summary, ...})."""
    try:
        items = json.loads(data)
    except ValueError as exc:
        raise FetchError(f"the Hugging Face API sent something that is not JSON ({exc})") from None
    if not isinstance(items, list):
        raise FetchError("the Hugging Face API sent an unexpected answer (expected a list of papers)")
    papers: list[PaperMeta] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        inner = item.get("paper")
        paper: dict[str, Any] = inner if isinstance(inner, dict) else item
        arxiv_id = normalise_arxiv(str(paper.get("id") or ""))
        title = one_line(_text(paper.get("title")) or _text(item.get("title")))
        if not arxiv_id or not title:
            continue
        authors = [one_line(_text(a.get("name"))) for a in paper.get("authors") or [] if isinstance(a, dict)]
        upvotes = paper.get("upvotes")
        links = {"hf": f"https://huggingface.co/papers/{arxiv_id}"}
        for label, key in (("code", "githubRepo"), ("project", "projectPage")):
            url = _text(paper.get(key)).strip()
            if url:
                try:
                    links[label] = check_url(url)
                except ValueError:
                    pass
        papers.append(PaperMeta(
            arxiv=arxiv_base(arxiv_id),
            title=title,
            authors=[a for a in authors if a],
            abstract=one_line(_text(paper.get("summary")) or _text(item.get("summary"))) or None,
            published=_date(_text(paper.get("publishedAt"))),
            upvotes=upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) and upvotes >= 0 else None,
            links=links,
        ))
    return papers


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def fetch_hf_paper(arxiv_id: str) -> PaperMeta | None:
    """What Hugging Face knows about one paper (its upvotes), or None when it has no page for it."""
    base = env_url("DIGESTGEN_HF_API", HF_API).rstrip("/")
    try:
        data = http_get(f"{base}/papers/{urllib.parse.quote(arxiv_base(arxiv_id), safe='')}", "the Hugging Face API")
    except NotFound:
        return None
    papers = parse_hf_daily(b"[" + data + b"]")
    return papers[0] if papers else None


# --- Crossref -----------------------------------------------------------------------------

_TAGS = re.compile(r"<[^>]*>")


def fetch_crossref(doi: str) -> PaperMeta | None:
    """The Crossref record of a DOI, or None when Crossref does not know it."""
    base = env_url("DIGESTGEN_CROSSREF_API", CROSSREF_API).rstrip("/")
    try:
        return parse_crossref(http_get(f"{base}/works/{urllib.parse.quote(doi, safe='/')}", "the Crossref API"))
    except NotFound:
        return None



def parse_crossref(data: bytes) -> PaperMeta | None:
    """Parse a Crossref /works/{doi} answer ({"message": {...}}) into a PaperMeta."""
    import html

    try:
        message = json.loads(data).get("message")
    except (ValueError, AttributeError) as exc:
        raise FetchError(f"the Crossref API sent something that is not a works record ({exc})") from None
    if not isinstance(message, dict):
        raise FetchError("the Crossref API sent an unexpected answer (expected a works record)")
    title = one_line(html.unescape(_TAGS.sub("", _first(message.get("title")))))
    doi = one_line(_text(message.get("DOI"))).lower()
    if not title or not DOI_RE.fullmatch(doi):
        return None
    authors = []
    for person in message.get("author") or []:
        if isinstance(person, dict):
            name = one_line(f"{_text(person.get('given'))} {_text(person.get('family'))}") or one_line(
                _text(person.get("name"))
            )
            if name:
                authors.append(name[:300])
    abstract = one_line(html.unescape(_TAGS.sub(" ", _text(message.get("abstract"))))).removeprefix("Abstract ")
    journal = one_line(_first(message.get("container-title")))
    parts = [
        str(p) for p in (message.get("volume"), message.get("page")) if isinstance(p, (str, int)) and str(p).strip()
    ]
    published = None
    for key in ("published-print", "published-online", "published", "issued"):
        published = _date_parts(message.get(key))
        if published:
            break
    return PaperMeta(arxiv=None, title=title[:500], authors=authors, abstract=abstract or None, published=published,
                     doi=doi, journal=one_line(" ".join([journal, *parts]))[:500] or None)


def _first(value: Any) -> str:
    if isinstance(value, list):
        return next((v for v in value if isinstance(v, str) and v.strip()), "")
    return _text(value)


def _date_parts(value: Any) -> dt.date | None:
    """{"date-parts": [[2017, 6, 12]]} -> a date; only a full year-month-day counts."""
    try:
        year, month, day = value["date-parts"][0]
        return dt.date(int(year), int(month), int(day))
    except (TypeError, KeyError, IndexError, ValueError):
        return None
