"""Machine-readable outputs besides pages and feeds: papers.json, citation files (BibTeX, RIS,
CSL-JSON), llms.txt, sitemap, robots.

Everything here is derived from the site model alone and sorted the way the model is, so the
same sources always give the same bytes.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digestgen import citations
from digestgen.bibtex import bibtex, unique_keys
from digestgen.cache import StatKey, stat_key
from digestgen.content import Paper
from digestgen.files import File
from digestgen.output import file_digest
from digestgen.reuse import remembered
from digestgen.site import SiteModel

if TYPE_CHECKING:
    from digestgen.render import Renderer


def escape(text: str) -> str:
    """&, < and > escaped for XML text, as xml.sax.saxutils.escape does (which imports
    urllib.request, and with it ssl and http.client: 20 ms of every build's start)."""
    return html.escape(text, quote=False)


PAPERS_JSON_VERSION = 2  # 2: no abstracts (they are on the paper pages)
SITEMAP_MAX_URLS = 50_000  # the sitemaps.org limit per file


def export_files(model: SiteModel, renderer: Renderer, sitemap_urls: list[tuple[str, str | None]],
                 prior: PriorLines | None = None) -> list[File]:
    """The sitemap (one file, or an index and its parts), robots.txt, papers.json and
    llms.txt (prior: the lines of the last build's, see PriorLines), and the citation files:
    BibTeX, RIS and CSL-JSON of each paper and of each issue, and BibTeX of each tag."""
    files = [
        File(path, partial(lambda data: data, data)) for path, data in sitemaps(model, sitemap_urls, renderer).items()
    ]
    files.append(File("robots.txt", partial(robots, renderer)))
    files.append(File("papers.json", partial(papers_json, model, renderer, prior), streamed=True, heavy=True))
    files.append(File("llms.txt", partial(llms_txt, model, renderer, prior), streamed=True, heavy=True))
    records = _Records()
    for paper in model.papers:
        for ext, make in _PAPER_FILES:
            files.append(File(paper_file(paper.id, ext), partial(_encoded, make, records, paper), [paper]))
    bundles: list[tuple[Callable[[str, str], str], str, list[Paper], tuple[tuple[str, Any], ...]]]
    bundles = [(issue_file, issue.key, issue.papers, _BUNDLES) for issue in model.issues]
    bundles += [(tag_file, tag.slug, tag.papers, _TAG_BUNDLES) for tag in model.tags.values() if tag.papers]
    for where, key, papers, kinds in bundles:
        for ext, make_bundle in kinds:
            files.append(File(where(key, ext), partial(_encoded, make_bundle, records, papers), papers))
    return files


def _encoded(make: Callable[[_Records, Any], str], records: _Records, what: Any) -> bytes:
    return make(records, what).encode("utf-8")


CITATION_FORMATS = tuple(ext for ext, _name in citations.CITATION_LINKS)
TAG_CITATION_FORMATS = tuple(ext for ext, _name in citations.TAG_CITATION_LINKS)


def paper_file(paper_id: str, ext: str) -> str:
    return f"papers/{paper_id}/{paper_id}.{ext}"


def issue_file(key: str, ext: str) -> str:
    return f"issues/{key}/{key}.{ext}"


def tag_file(slug: str, ext: str) -> str:
    return f"tags/{slug}/{slug}.{ext}"


_MAKE: dict[str, Callable[[Paper], Any]] = {
    "bib": lambda paper: remembered("bibtex", paper, bibtex, paper),
    "ris": lambda paper: remembered("ris", paper, citations.ris, paper),
    "csl": lambda paper: remembered("csl", paper, citations.csl, paper),
}


class _Records:
    """The citation records of each paper, made once in a build (a paper is in its own files,
    its issue's and each of its tags'); a long process keeps them between builds (reuse.py)."""

    def __init__(self) -> None:
        self.made: dict[tuple[str, str], Any] = {}

    def get(self, kind: str, paper: Paper) -> Any:
        key = (kind, paper.id)
        found = self.made.get(key)
        if found is None:
            found = self.made[key] = _MAKE[kind](paper)
        return found


_PAPER_FILES: tuple[tuple[str, Callable[[_Records, Paper], str]], ...] = (
    ("bib", lambda records, paper: records.get("bib", paper)),
    ("ris", lambda records, paper: records.get("ris", paper)),
    ("csl.json", lambda records, paper: citations.csl_json([records.get("csl", paper)])),
)


def paper_bib_path(paper_id: str) -> str:
    return paper_file(paper_id, "bib")


def sitemaps(model: SiteModel, urls: list[tuple[str, str | None]], renderer: Renderer) -> dict[str, bytes]:
    """/sitemap.xml; past SITEMAP_MAX_URLS pages it becomes an index of /sitemap-N.xml files."""
    if len(urls) <= SITEMAP_MAX_URLS:
        return {"sitemap.xml": sitemap(model, urls, renderer)}
    files: dict[str, bytes] = {}
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for number, start in enumerate(range(0, len(urls), SITEMAP_MAX_URLS), 1):
        chunk = urls[start : start + SITEMAP_MAX_URLS]
        files[f"sitemap-{number}.xml"] = sitemap(model, chunk, renderer)
        newest = max((lastmod for _path, lastmod in chunk if lastmod), default=None)
        lines.append(f"  <sitemap><loc>{escape(renderer.abs_url(f'/sitemap-{number}.xml'))}</loc>"
                     + (f"<lastmod>{newest}</lastmod>" if newest else "") + "</sitemap>")
    lines.append("</sitemapindex>")
    files["sitemap.xml"] = ("\n".join(lines) + "\n").encode("utf-8")
    return files


def sitemap(model: SiteModel, urls: list[tuple[str, str | None]], renderer: Renderer) -> bytes:
    """A <urlset> of urls: (site path, lastmod ISO date or None)."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    base = escape(renderer.abs_url("/"))  # every path is a site path: the base once, not per page
    lines += [f"  <url><loc>{base}{escape(path.lstrip('/'))}</loc><lastmod>{lastmod}</lastmod></url>" if lastmod
              else f"  <url><loc>{base}{escape(path.lstrip('/'))}</loc></url>" for path, lastmod in urls]
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots(renderer: Renderer) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {renderer.abs_url('/sitemap.xml')}\n".encode()


# --- papers.json -----------------------------------------------------------------------------


def paper_record(paper: Paper, model: SiteModel, renderer: Renderer) -> dict[str, Any]:
    """One paper in /papers.json (the schema is documented in docs/feeds-and-exports.md).

    Not its abstract: that is on its page, and would be half of every line (a 50,000-paper
    digest's papers.json would weigh 146 MB instead of 68 MB)."""
    from digestgen.render import paper_links

    issue = model.issue_of.get(paper.id)
    return {
        "id": paper.id,
        "url": renderer.abs_url(f"/papers/{paper.id}/"),
        "title": paper.title,
        "authors": list(paper.authors),
        "date": paper.date.isoformat(),
        "published": paper.published.isoformat() if paper.published else None,
        "issue": issue,
        "issue_url": renderer.abs_url(f"/issues/{issue}/") if issue else None,
        "arxiv": paper.arxiv,
        "doi": paper.doi,
        "tldr": paper.tldr,
        "note": paper.note,
        "tags": list(paper.tags),
        "upvotes": paper.upvotes,
        "featured": paper.featured,
        "links": {label: url for label, _name, url in paper_links(paper) if url},
        "image": renderer.abs_url("/" + paper.image) if paper.image else None,
        "image_alt": paper.image_alt,
        "submitted_by": paper.submitted_by,
        "bibtex_url": renderer.abs_url("/" + paper_bib_path(paper.id)),
    }


def _json_line(paper: Paper, model: SiteModel, renderer: Renderer) -> bytes:
    return json.dumps(paper_record(paper, model, renderer), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class PriorLines:
    """The paper lines of the last build's papers.json and llms.txt, copied instead of made
    again: a fresh process that builds after a one-entry edit makes one line of each, not
    10,000.

    A line is found by a key of what it is made of besides the settings (the paper's id, its
    file's content hash and, in papers.json, its issue); the caller uses a store only for the
    settings it was made with. The lines are read from the published file itself, a block at
    a time as they are copied (never loaded, nor mapped: a mapping would count the whole file
    as the build's memory), and only when its bytes still hash to what the manifest recorded.
    """

    def __init__(self, hashes: dict[str, str]):
        self.hashes = hashes  # content hash of each paper file, by site path
        self.sources: dict[str, tuple[Path, str, list[tuple[str, int, int]], StatKey | None]] = {}
        self.made: dict[str, list[tuple[str, int, int]]] = {}  # path -> (key, offset, length) per line

    def load(self, folder: Path, path: str, recorded: str, index: list[tuple[str, int, int]],
             stat: StatKey | None = None) -> None:
        """Take the lines of folder/path, a file whose manifest digest is recorded (checked
        when the file is made, see lines) and whose stat, once published, was stat."""
        self.sources[path] = (folder, recorded, index, stat)

    def lines(self, path: str) -> _LineFile | None:
        """The lines of the last path, if its bytes are still what the manifest recorded: known
        by its stat (the same inode, size and times as when it was published: a write or a
        replacement changes them) or else by hashing it."""
        if path not in self.sources:
            return None
        folder, recorded, index, stat = self.sources[path]
        try:
            handle = open(folder / path, "rb")  # noqa: SIM115 - kept open until its lines are copied
        except OSError:  # gone or unreadable
            return None
        try:  # else changed by hand since: not a source of lines
            same = (stat is not None and stat_key(os.fstat(handle.fileno())) == stat) or file_digest(handle) == recorded
        except OSError:
            same = False
        if not same:
            handle.close()
            return None
        return _LineFile(handle, {key: (at, length) for key, at, length in index})

    def keys(self, papers: list[Paper], more: list[str | None] | None = None) -> list[str | None]:
        """The key of each paper's line (None for a paper whose file hash is not known);
        more: a value per paper that its line also shows (its issue, in papers.json)."""
        hashes = self.hashes
        known = [hashes.get(p.source) for p in papers]
        if more is None:
            return [f"{p.id}:{h}" if h else None for p, h in zip(papers, known)]
        return [f"{p.id}:{h}:{m}" if h else None for p, h, m in zip(papers, known, more)]


class _LineFile:
    """The lines of one published file by key, read a block at a time (lines are asked for in
    about the order they were written)."""

    BLOCK = 1 << 20

    def __init__(self, handle: Any, where: dict[str, tuple[int, int]]):
        self.handle, self.where = handle, where
        self.start, self.block = 0, b""

    def __del__(self) -> None:
        self.handle.close()

    def get(self, key: str | None) -> memoryview | None:
        spot = self.where.get(key) if key else None
        if spot is None:
            return None
        at, length = spot
        if not (self.start <= at and at + length <= self.start + len(self.block)):
            try:
                self.start, self.block = at, os.pread(self.handle.fileno(), max(length, self.BLOCK), at)
            except OSError:
                return None
        line = memoryview(self.block)[at - self.start : at - self.start + length]
        return line if len(line) == length else None  # a file cut since: the line is made again


def _lines(path: str, head: bytes, separator: bytes, tail: bytes, papers: list[Paper],
           make: Callable[[Paper], bytes], prior: PriorLines | None,
           keys: Callable[[PriorLines], list[str | None]]) -> Iterator[bytes | memoryview]:
    """head, a line per paper between separators, tail; noting where each line went."""
    index: list[tuple[str, int, int]] = []
    yield head
    at = len(head)
    gap = len(separator)
    known = keys(prior) if prior is not None else [None] * len(papers)
    found = prior.lines(path) if prior is not None else None
    for number, (paper, key) in enumerate(zip(papers, known)):
        if number:
            yield separator
            at += gap
        line = (found.get(key) if found is not None else None) or make(paper)
        yield line
        if key:
            index.append((key, at, len(line)))
        at += len(line)
    yield tail
    if prior is not None:
        prior.made[path] = index


def papers_json(model: SiteModel, renderer: Renderer, prior: PriorLines | None = None) -> Iterator[bytes | memoryview]:
    """/papers.json, in pieces (hundreds of megabytes at 100,000 papers): every published
    paper, newest first, with the tag vocabulary."""
    body = {
        "version": PAPERS_JSON_VERSION,
        "title": model.config.fields.title,
        "home_page_url": model.config.base_url,
        "updated": model.updated.isoformat() if model.updated else None,
        "tags": {slug: {"name": tag.name, "description": tag.description, "count": len(tag.papers)}
                 for slug, tag in model.tags.items()},
    }
    head = json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    def make(p: Paper) -> bytes:
        return remembered("json-line", (p, model.issue_of.get(p.id), renderer.base_url), _json_line, p, model, renderer)

    # compact, one paper per line: small for big digests, and a new paper is a one-line diff
    return _lines("papers.json", head[:-1].encode("utf-8") + b',"papers":[\n', b",\n", b"\n]}\n", model.papers, make,
                  prior, lambda lines: lines.keys(model.papers, [model.issue_of.get(p.id) for p in model.papers]))


# --- BibTeX ----------------------------------------------------------------------------------


def bundle_bibtex(records: _Records, papers: list[Paper]) -> str:
    """The entries of papers in their order, each under a key no other entry of the file has."""
    out: list[str] = []
    for paper, key in zip(papers, unique_keys(papers)):
        entry = records.get("bib", paper)
        kind, _, rest = entry.partition("{")
        out.append(f"{kind}{{{key},{rest.partition(',')[2]}")
    return "\n".join(out)


_BUNDLES: tuple[tuple[str, Callable[[_Records, list[Paper]], str]], ...] = (
    ("bib", bundle_bibtex),
    ("ris", lambda records, papers: citations.ris_bundle(records.get("ris", p) for p in papers)),
    ("csl.json", lambda records, papers: citations.csl_json(records.get("csl", p) for p in papers)),
)
_TAG_BUNDLES = tuple(bundle for bundle in _BUNDLES if bundle[0] in TAG_CITATION_FORMATS)


# --- llms.txt --------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def _md(text: str) -> str:
    """Text made inert inside a Markdown link label or list item."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def llms_txt(model: SiteModel, renderer: Renderer, prior: PriorLines | None = None) -> Iterator[bytes | memoryview]:
    """/llms.txt (llmstxt.org), in pieces: what the site is, its issues and papers, and where
    the data is."""
    from digestgen.render import issue_label

    fields = model.config.fields
    url = renderer.abs_url
    lines = [f"# {_md(fields.title)}", ""]
    if fields.description:
        lines += [f"> {_md(fields.description)}", ""]
    lines += [
        (f"A curated digest of research papers published in {fields.cadence} issues. Every paper has its own page "
         "with authors, links, abstract, the curator's note and a BibTeX entry."),
        "",
        "## Data",
        "",
        (f"- [papers.json]({url('/papers.json')}): every paper as JSON (title, authors, dates, arXiv id, DOI, links, "
        "tags, notes)"),
        f"- [Atom feed of issues]({url('/feed.xml')}): one entry per issue with the full text",
        f"- [Atom feed of papers]({url('/papers/feed.xml')}): one entry per paper",
        f"- [JSON Feed of issues]({url('/feed.json')})",
        "",
        "## Issues",
        "",
    ]
    for issue in model.issues:
        label = issue_label(issue, fields.cadence)
        title = f"{issue.title} ({label})" if issue.title else label
        count = len(issue.papers)
        lines.append(f"- [{_md(title)}]({url(f'/issues/{issue.key}/')}): {count} paper{'s' * (count != 1)}")
    lines += ["", "## Papers", ""]
    head = "".join(line + "\n" for line in lines).encode("utf-8")

    def make(paper: Paper) -> bytes:
        return remembered("llms-line", (paper, renderer.base_url), _llms_line, paper, renderer)

    return _lines("llms.txt", head, b"\n", b"\n" if model.papers else b"", model.papers, make, prior,
                  lambda lines: lines.keys(model.papers))




def _llms_line(paper: Paper, renderer: Renderer) -> bytes:
    facts = ([f"arXiv {paper.arxiv}"] if paper.arxiv else []) + [f"featured {paper.date.isoformat()}"]
    line = f"- [{_md(paper.title)}]({renderer.abs_url(f'/papers/{paper.id}/')})" + (
        f": {_md(paper.tldr)}" if paper.tldr else ""
    )
    return f"{line} ({', '.join(facts)})".encode()
