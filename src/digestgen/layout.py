"""Where every output of a build goes, and which source each one comes from.

An id, slug or key from content becomes part of output paths: a paper `feed.xml` would be
published at papers/feed.xml/, where the site writes its papers feed. Such a site passes
every field check and fails at the first build, so `check` (and every build, before it writes
anything) lists the outputs of the site with their sources and refuses any two that would
take the same path, or a path that another needs as a folder, naming the entry's file and line.

The listing is the one the build writes: the renderer's routes, and the names the feeds,
exports, social images, static files and search index are written under (the test suite compares it with
every file of built sites, so a new output cannot be left out).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from digestgen.authors import Author
from digestgen.content import Page, Paper, fold
from digestgen.errors import Problem
from digestgen.output import MANIFEST
from digestgen.site import Issue, TagInfo


@dataclass(frozen=True)
class Origin:
    """Where the name of an output comes from: a place in a source, and how to change it."""

    path: str
    line: int
    column: int
    field: str
    what: str  # "paper id 'feed.xml'"
    fix: str

    def problem(self, message: str) -> Problem:
        return Problem(self.path, self.line, self.column, self.field, f"{self.what} {message}; {self.fix}")


class Output(NamedTuple):
    """One file a build writes (or a folder it fills whole: folder=True), and what it is made
    for: a paper, page, issue or tag of the model, the site path of a static file, or None (the
    site itself, such as its feeds). See origin_of."""

    path: str
    source: object = None
    folder: bool = False


SEARCH_BUNDLE = "pagefind"  # the folder Pagefind fills (see search.py)


def site_outputs(model: Any, routes: Iterable[Any]) -> Iterator[Output]:
    """Every output of a build of model (routes: the renderer's)."""
    from digestgen import exports, readinglist, social
    from digestgen.render import issue_label

    papers: list[Any] = []
    issues: list[Any] = []
    tags: dict[str, Any] = {}
    authors: dict[str, Author] = {}
    urls = 0  # of the sitemap: every page but 404.html (build.sitemap_urls)
    for route in routes:
        urls += route.path != "404.html"
        template = route.template
        source = None
        if template == "paper.html":
            source = route.context["paper"]
            papers.append(source)
        elif template == "issue.html":
            source = route.context["issue"]
            issues.append(source)
        elif template == "tag.html":
            source = tags.setdefault(route.context["tag"].slug, route.context["tag"])
        elif template == "author.html":
            source = authors.setdefault(route.context["author"].slug, route.context["author"])
        elif template == "page.html":
            source = route.context["page"]
        yield Output(route.path, source)
    # feeds (feeds.all_feeds)
    for name in ("feed.xml", "papers/feed.xml", "rss.xml", "feed.json", "feeds.opml"):
        yield Output(name)
    for slug, tag in tags.items():
        yield Output(f"tags/{slug}/feed.xml", tag)
    for slug, author in authors.items():
        yield Output(f"authors/{slug}/feed.xml", author)
    # exports (exports.site_exports and line_exports)
    yield from (Output(name) for name in _sitemap_names(urls, exports.SITEMAP_MAX_URLS))
    for name in ("robots.txt", "papers.json", "llms.txt", readinglist.INDEX, readinglist.WORKER):
        yield Output(name)
    for ext in exports.CITATION_FORMATS:
        yield from (Output(exports.paper_file(paper.id, ext), paper) for paper in papers)
        yield from (Output(exports.issue_file(issue.key, ext), issue) for issue in issues)
    for ext in exports.TAG_CITATION_FORMATS:
        yield from (Output(exports.tag_file(slug, ext), tag) for slug, tag in tags.items())
    # social images (social.social_images)
    cadence = model.config.fields.cadence
    cards = social.SocialCards(model.config, lambda issue: issue_label(issue, cadence))
    for source in [*issues, *papers]:
        card = cards.image(source)
        if card is not None:
            yield Output(card.path, source)
    for name, _file, source in static_names(model.config.root, model.config.fields.theme):
        yield Output(name, source)
    if model.config.fields.search and model.papers:
        yield Output(SEARCH_BUNDLE, folder=True)
    yield Output(MANIFEST)


def _sitemap_names(urls: int, per_file: int) -> list[str]:
    if urls <= per_file:
        return ["sitemap.xml"]
    return ["sitemap.xml", *(f"sitemap-{n}.xml" for n in range(1, -(-urls // per_file) + 1))]


def origin_of(source: object) -> Origin | None:
    """Where the name of an output made for source is written (None: the site's own)."""
    if isinstance(source, str):
        return Origin(source, 1, 1, "(file)", "static file", "rename it")
    if isinstance(source, Paper):
        return Origin(source.source, 1, 1, "id", f"paper id {source.id!r}", "rename the file")
    if isinstance(source, Page):
        return Origin(source.source, 1, 1, "slug", f"page slug {source.slug!r}", "rename the file")
    if isinstance(source, Issue):
        if source.intro is not None:
            return Origin(source.intro.source, 1, 1, "key", f"issue key {source.key!r}", "rename the file")
        paper = source.papers[0]
        field = "issue" if paper.issue else "date"
        line, column = paper.mark(field)
        return Origin(paper.source, line, column, field, f"issue key {source.key!r}", "choose another issue")
    if isinstance(source, Author):
        path, line, column, field = source.origin
        fix = (
            "change its id"
            if path.endswith("authors.yaml")
            else "give the author an entry with another id in content/authors.yaml"
        )
        return Origin(path, line, column, field, f"author {source.name!r} (/authors/{source.slug}/)", fix)
    if isinstance(source, TagInfo):
        paper = source.papers[0]
        line, column = paper.mark(f"tags.{paper.tags.index(source.slug)}")
        return Origin(paper.source, line, column, "tags", f"tag {source.slug!r}", "choose another tag name")
    return None


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
            if other is not out:
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
        if _same(one.source, two.source):
            continue
        for mine, theirs in ((one, two), (two, one)):
            if mine.source is None or (isinstance(theirs.source, str) and not isinstance(mine.source, str)):
                continue  # the site's own, or the other is a static file: that is the one to move
            origin, by = origin_of(mine.source), origin_of(theirs.source)
            assert origin is not None
            writer = "the site itself" if by is None else by.path
            problems.add(
                origin.problem(f"would be published at {_where(mine)}, where {writer} writes {_where(theirs)}")
            )
    return sorted(problems)


def _same(one: object, two: object) -> bool:
    return one is two or (isinstance(one, str) and one == two)


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
