"""Where a site's external links are: every http(s) URL its entries, pages and issue intros
point at, each with the file, line and column it is written at (for links.py to check)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen.markdown import markdown
from digestgen.yamlio import split_front_matter

if TYPE_CHECKING:
    from digestgen.content import Paper
    from digestgen.site import SiteModel


@dataclass(frozen=True)
class Link:
    """One place a URL is written: file, line and column, and the field it is in."""

    url: str
    path: str
    line: int
    column: int
    field: str


def is_web(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(("http://", "https://"))


def markdown_urls(text: str) -> list[str]:
    """The http(s) URLs a Markdown text links to or shows as images, in order (as the site does:
    inline links, autolinks, bare URLs, reference links)."""
    found: list[str] = []
    for token in markdown().parse(text, {}):
        for item in token.children or ():
            value = (
                item.attrGet("href")
                if item.type == "link_open"
                else item.attrGet("src")
                if item.type == "image"
                else None
            )
            if is_web(str(value or "")):
                found.append(str(value))
    return found


class _Locator:
    """Finds where a URL is written in a file, searching forward from a field's line."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for at, char in enumerate(text):
            if char == "\n":
                self.starts.append(at + 1)
        self.after: dict[tuple[int, str], int] = {}

    def position(self, offset: int) -> tuple[int, int]:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:  # the last line start at or before offset
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self.starts[lo] + 1

    def find(self, url: str, line: int) -> tuple[int, int]:
        """Line and column of the next occurrence of url at or after line (the line itself when absent)."""
        begin = self.starts[min(max(line, 1), len(self.starts)) - 1]
        for form in dict.fromkeys((url, urllib.parse.unquote(url))):
            at = self.text.find(form, max(begin, self.after.get((line, form), begin)))
            if at >= 0:
                self.after[(line, form)] = at + 1
                return self.position(at)
        return line, 1


def _read(root: Path, rel: str) -> str:
    try:
        return (root / rel).read_text("utf-8")
    except (OSError, UnicodeDecodeError):  # changed since the check read it: positions fall back to field marks
        return ""


def _paper_links(root: Path, paper: Paper) -> Iterator[Link]:
    source = paper.source
    where = _Locator(_read(root, source))

    def at(url: str, field: str, line: int | None = None) -> Link:
        line_, col = paper.mark(field) if line is None else where.find(url, line)
        return Link(url, source, line_, col, field)

    for label, url in paper.links:
        yield at(url, f"links.{label}")
    if paper.arxiv_abs:  # the PDF link is made from the same id: asking for the abstract page is enough
        yield at(paper.arxiv_abs, "arxiv")
    if paper.doi:
        yield at("https://doi.org/" + urllib.parse.quote(paper.doi, safe="/:;()<>._-"), "doi")
    if paper.image and is_web(paper.image):
        yield at(paper.image, "image")
    if paper.abstract:
        for url in markdown_urls(paper.abstract):
            yield at(url, "abstract", paper.mark("abstract")[0])
    if paper.note:
        if source.endswith(".md"):
            parts = split_front_matter(where.text, source, [])
            body, line = (parts[1], parts[2]) if parts else (paper.note, 1)
        else:
            body, line = paper.note, paper.mark("note")[0]
        for url in markdown_urls(body):
            yield at(url, "note", line)


def _body_links(root: Path, rel: str, field: str) -> Iterator[Link]:
    where = _Locator(_read(root, rel))
    parts = split_front_matter(where.text, rel, [])
    if parts is not None:
        for url in markdown_urls(parts[1]):
            yield Link(url, rel, *where.find(url, parts[2]), field)


def gather(model: SiteModel) -> list[Link]:
    """Every external link of the model's papers, pages and issue intros, in file order."""
    root = model.config.root
    links: list[Link] = []
    for paper in sorted(model.papers, key=lambda p: p.source):
        links.extend(_paper_links(root, paper))
    for page in model.pages:
        links.extend(_body_links(root, page.source, "body"))
    for issue in model.issues:
        if issue.intro is not None:
            links.extend(_body_links(root, issue.intro.source, "intro"))
    return sorted(links, key=lambda link: (link.path, link.line, link.column, link.field))
