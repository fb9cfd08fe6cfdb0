"""Machine-readable outputs besides pages and feeds: papers.json, citation files (BibTeX, RIS,
CSL-JSON), llms.txt, sitemap, robots.

Everything here is derived from the site model alone and sorted the way the model is, so the
same sources always give the same bytes.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from digestgen import citations
from digestgen.bibtex import bibtex, unique_keys
from digestgen.content import Paper
from digestgen.files import File
from digestgen.reuse import remembered, remembered_for
from digestgen.site import SiteModel

if TYPE_CHECKING:
    from digestgen.render import Renderer


def escape(text: str) -> str:
    """&, < and > escaped for XML text, as xml.sax.saxutils.escape does (which imports
    urllib.request, and with it ssl and http.client: 20 ms of every build's start)."""
    return html.escape(text, quote=False)


class LineSource(Protocol):
    """The paper lines of papers.json and llms.txt as an earlier build made them, to copy
    instead of making them again (prior_lines.PriorLines)."""

    def join(self, path: str, head: bytes, separator: bytes, tail: bytes, papers: list[Paper],
             make: Callable[[Paper], bytes], more: list[str | None] | None) -> Iterator[bytes | memoryview]:
        """head, a line per paper (copied, or made by make) between separators, tail;
        more: a value per paper that its line also shows."""
        ...


PAPERS_JSON_VERSION = 2  # 2: no abstracts (they are on the paper pages)
SITEMAP_MAX_URLS = 50_000  # the sitemaps.org limit per file


def export_files(model: SiteModel, renderer: Renderer, sitemap_urls: list[tuple[str, str | None]],
                 prior: LineSource | None = None) -> list[File]:
    """The sitemap (one file, or an index and its parts), robots.txt, papers.json and
    llms.txt (prior: the lines of the last build's, see LineSource), and the citation files:
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
            files.append(File(paper_file(paper.id, ext), partial(_encoded, make, records, paper), [paper],
                              group="citations"))
    bundles: list[tuple[Callable[[str, str], str], str, list[Paper], tuple[tuple[str, Any], ...]]]
    bundles = [(issue_file, issue.key, issue.papers, _BUNDLES) for issue in model.issues]
    bundles += [(tag_file, tag.slug, tag.papers, _TAG_BUNDLES) for tag in model.tags.values() if tag.papers]
    for where, key, papers, kinds in bundles:
        for ext, make_bundle in kinds:
            files.append(File(where(key, ext), partial(_encoded, make_bundle, records, papers), papers,
                              group="citations"))
    records.left = sum(1 for file in files if file.group == "citations")
    return files


def _encoded(make: Callable[[_Records, Any], str], records: _Records, what: Any) -> bytes:
    data = make(records, what).encode("utf-8")
    records.left -= 1
    if not records.left:  # the last of the files made of them (all made by one worker): let them go
        records.made.clear()
    return data


CITATION_FORMATS = tuple(ext for ext, _name in citations.CITATION_LINKS)
TAG_CITATION_FORMATS = tuple(ext for ext, _name in citations.TAG_CITATION_LINKS)


def paper_file(paper_id: str, ext: str) -> str:
    return f"papers/{paper_id}/{paper_id}.{ext}"


def issue_file(key: str, ext: str) -> str:
    return f"issues/{key}/{key}.{ext}"


def tag_file(slug: str, ext: str) -> str:
    return f"tags/{slug}/{slug}.{ext}"


_MAKE: dict[str, Callable[[Paper], Any]] = {
    "bib": lambda paper: remembered_for(paper, "bibtex", bibtex, paper),
    "ris": lambda paper: remembered_for(paper, "ris", citations.ris, paper),
    "csl": lambda paper: remembered_for(paper, "csl", citations.csl_line, paper),
}


class _Records:
    """The citation records of each paper, made once in a build (a paper is in its own files,
    its issue's and each of its tags'); a long process keeps them between builds (reuse.py).
    They are let go once the files made of them are all made (left: how many are not)."""

    def __init__(self) -> None:
        self.made: dict[tuple[str, str], Any] = {}
        self.left = 0

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


def _lines(path: str, head: bytes, separator: bytes, tail: bytes, papers: list[Paper],
           make: Callable[[Paper], bytes], prior: LineSource | None,
           more: list[str | None] | None = None) -> Iterator[bytes | memoryview]:
    """head, a line per paper between separators, tail (prior: where to copy lines from)."""
    if prior is not None:
        return prior.join(path, head, separator, tail, papers, make, more)
    return _joined(head, separator, tail, papers, make)


def _joined(head: bytes, separator: bytes, tail: bytes, papers: list[Paper],
            make: Callable[[Paper], bytes]) -> Iterator[bytes]:
    yield head
    for number, paper in enumerate(papers):
        if number:
            yield separator
        yield make(paper)
    yield tail


def papers_json(model: SiteModel, renderer: Renderer, prior: LineSource | None = None) -> Iterator[bytes | memoryview]:
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
                  prior, [model.issue_of.get(p.id) for p in model.papers])


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


def llms_txt(model: SiteModel, renderer: Renderer, prior: LineSource | None = None) -> Iterator[bytes | memoryview]:
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

    return _lines("llms.txt", head, b"\n", b"\n" if model.papers else b"", model.papers, make, prior)




def _llms_line(paper: Paper, renderer: Renderer) -> bytes:
    facts = ([f"arXiv {paper.arxiv}"] if paper.arxiv else []) + [f"featured {paper.date.isoformat()}"]
    line = f"- [{_md(paper.title)}]({renderer.abs_url(f'/papers/{paper.id}/')})" + (
        f": {_md(paper.tldr)}" if paper.tldr else ""
    )
    return f"{line} ({', '.join(facts)})".encode()
