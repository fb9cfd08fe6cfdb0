"""Where every output of a build goes, and which source each one comes from.

An id, slug or key from content becomes part of output paths: a paper `feed.xml` would be
published at papers/feed.xml/, where the site writes its papers feed. Such a site passes
every field check and fails at the first build, so `check` (and every build, before it writes
anything) lists the outputs of the site with their sources and refuses any two that would
take the same path, or a path that another needs as a folder, naming the entry's file and line.

The listing is the one the build writes: the renderer's routes, and the names the feeds,
exports, static files and search index are written under (the test suite compares it with
every file of built sites, so a new output cannot be left out).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digestgen.content import fold
from digestgen.errors import Problem
from digestgen.output import MANIFEST


@dataclass(frozen=True)
class Origin:
    """The source an output path comes from: where it is written and how to change it."""

    path: str
    line: int
    column: int
    field: str
    what: str  # "paper id 'feed.xml'"
    fix: str

    def problem(self, message: str) -> Problem:
        return Problem(self.path, self.line, self.column, self.field, f"{self.what} {message}; {self.fix}")


@dataclass(frozen=True)
class Output:
    """One file a build writes (or a folder it fills whole: folder=True), from origin (None:
    the site itself, such as its feeds)."""

    path: str
    origin: Origin | None = None
    folder: bool = False


SEARCH_BUNDLE = "pagefind"  # the folder Pagefind fills (see search.py)
STATIC = "(file)"  # the field of an output copied from static/


def site_outputs(model: Any, routes: Iterable[Any]) -> Iterator[Output]:
    """Every output of a build of model (routes: the renderer's)."""
    from digestgen import exports

    papers: dict[str, Origin] = {}
    issues: dict[str, Origin] = {}
    tags: dict[str, Origin] = {}
    urls = 0  # of the sitemap: every page but 404.html (build.sitemap_urls)
    for route in routes:
        urls += route.path != "404.html"
        context = route.context
        if route.template == "paper.html":
            origin = papers[context["paper"].id] = _paper(context["paper"])
        elif route.template == "issue.html":
            origin = issues[context["issue"].key] = _issue(context["issue"])
        elif route.template == "tag.html":
            origin = tags.get(context["tag"].slug) or tags.setdefault(context["tag"].slug, _tag(context["tag"]))
        elif route.template == "page.html":
            origin = _page(context["page"])
        else:
            origin = None
        yield Output(route.path, origin)
    # feeds (feeds.all_feeds)
    for name in ("feed.xml", "papers/feed.xml", "rss.xml", "feed.json", "feeds.opml"):
        yield Output(name)
    for slug, origin in tags.items():
        yield Output(f"tags/{slug}/feed.xml", origin)
    # exports (exports.site_exports and line_exports)
    yield from (Output(name) for name in _sitemap_names(urls, exports.SITEMAP_MAX_URLS))
    for name in ("robots.txt", "papers.json", "llms.txt"):
        yield Output(name)
    for pid, origin in papers.items():
        yield Output(exports.paper_bib_path(pid), origin)
    for key, origin in issues.items():
        yield Output(exports.issue_bib_path(key), origin)
    for name, _file, source in static_names(model.config.root, model.config.fields.theme):
        yield Output(name, None if source is None else Origin(source, 1, 1, STATIC, "static file", "rename it"))
    if model.config.fields.search and model.papers:
        yield Output(SEARCH_BUNDLE, folder=True)
    yield Output(MANIFEST)


def _sitemap_names(urls: int, per_file: int) -> list[str]:
    if urls <= per_file:
        return ["sitemap.xml"]
    return ["sitemap.xml", *(f"sitemap-{n}.xml" for n in range(1, -(-urls // per_file) + 1))]


def _paper(paper: Any) -> Origin:
    return Origin(paper.source, 1, 1, "id", f"paper id {paper.id!r}", "rename the file")


def _page(page: Any) -> Origin:
    return Origin(page.source, 1, 1, "slug", f"page slug {page.slug!r}", "rename the file")


def _issue(issue: Any) -> Origin:
    if issue.intro is not None:
        return Origin(issue.intro.source, 1, 1, "key", f"issue key {issue.key!r}", "rename the file")
    paper = issue.papers[0]
    field = "issue" if paper.issue else "date"
    line, column = paper.mark(field)
    return Origin(paper.source, line, column, field, f"issue key {issue.key!r}", "choose another issue")


def _tag(tag: Any) -> Origin:
    paper = tag.papers[0]
    at = paper.tags.index(tag.slug)
    line, column = paper.mark(f"tags.{at}")
    return Origin(paper.source, line, column, "tags", f"tag {tag.slug!r}", "choose another tag name")


def _key(path: str) -> str:
    """The name a case-insensitive, normalising file system gives path (see content.fold)."""
    return path.lower() if path.isascii() else fold(path)


def collisions(outputs: Iterable[Output]) -> list[Problem]:
    """A problem for each output from content that would take the path of another output, or
    need as a folder a path another writes as a file (or the reverse)."""
    files: dict[str, Output] = {}
    folders: dict[str, Output] = {}  # every folder some output is written in: its first output
    owned: list[tuple[str, Output]] = []  # folders filled whole
    clashes: list[tuple[Output, Output]] = []
    for out in outputs:
        key = _key(out.path)
        if out.folder:
            owned.append((key, out))
        else:
            other = files.setdefault(key, out)
            if other is not out and other.origin != out.origin:
                clashes.append((out, other))
        parent = key.rpartition("/")[0]
        while parent and parent not in folders:
            folders[parent] = out
            parent = parent.rpartition("/")[0]
    clashes += [(inner, files[key]) for key, inner in folders.items() if key in files]
    for key, out in owned:
        inside = key + "/"
        clashes += [(out, other) for name, other in files.items() if name == key or name.startswith(inside)]
    problems: set[Problem] = set()
    for one, two in clashes:
        for mine, theirs in ((one, two), (two, one)):
            if mine.origin is None or mine.origin == theirs.origin:
                continue
            if mine.origin.field != STATIC and theirs.origin is not None and theirs.origin.field == STATIC:
                continue  # the static file is the one to move (static/ is published as-is)
            by = "the site itself" if theirs.origin is None else theirs.origin.path
            problems.add(mine.origin.problem(f"would be published at {_where(mine)}, where {by} writes "
                                             f"{_where(theirs)}"))
    return sorted(problems)


def _where(out: Output) -> str:
    return f"/{out.path}/" if out.folder else f"/{out.path}"


def static_names(root: Path, theme: str) -> list[tuple[str, Path, str | None]]:
    """(output name, file, its site path, or None for a theme's asset) of every theme asset
    (under assets/; the site's theme over the default), then of every file of static/ (as-is,
    but for hidden files)."""
    from digestgen.render import theme_dirs

    assets: dict[str, Path] = {}
    for base in reversed(theme_dirs(root, theme)):
        folder = base / "static"
        for file in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if file.is_file() and not file.is_symlink():
                assets["assets/" + file.relative_to(folder).as_posix()] = file
    found: list[tuple[str, Path, str | None]] = [(name, file, None) for name, file in assets.items()]
    static = root / "static"
    for file in sorted(static.rglob("*")) if static.is_dir() else []:
        if file.is_symlink() or not file.is_file():
            continue
        rel = file.relative_to(static).as_posix()
        if not any(part.startswith(".") for part in rel.split("/")):
            found.append((rel, file, f"static/{rel}"))
    return found
