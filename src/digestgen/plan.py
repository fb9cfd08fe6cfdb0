"""The second stage: every file of the site, each with a key and a way to make it.

Pages come from the renderer's routes; every other file (feeds, exports, citation files,
theme assets and static/) is a files.File that says what it is made of. A key holds
everything an output is made of, so an output whose key did not change since the last build
into the same folder is taken from that build instead of being made again (write.py):

- a file made of some papers alone is keyed by their ids and content hashes and its plain values;
- a page of one paper, issue, tag or author, or a list of them (KEYED_TEMPLATES), is keyed by
  what its context shows, and re-keyed by what its render turned out to read (reads.py): a
  page that read anything no key covers (a site template showing `model.papers`, say) gets
  UNTRACKED, which no key equals, so it is made at every build;
- everything else is made at every build (the write stage then keeps the very file when its
  bytes did not change).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from digestgen.carry_over import same_items
from digestgen.config import SiteConfig
from digestgen.content import Paper, fold
from digestgen.errors import ContentError, Problem
from digestgen.files import File
from digestgen.filestats import StatKey, tree_stats
from digestgen.hashes import hexhash, joined_hash, theme_fingerprint
from digestgen.load import parse_key_of
from digestgen.output import safe_relpath
from digestgen.prior_lines import PriorLines
from digestgen.quick import stats_digest
from digestgen.site import Issue, SiteModel, TagInfo
from digestgen.stamps import WATCHED


@dataclass
class Plan:
    """Every output of one build: the pages (routes) and the other files."""

    routes: list[Any]
    files: list[File]
    paths: str = ""  # paths_digest of the outputs


def plan(model: SiteModel, renderer: Any, prior: PriorLines | None = None, warnings: list[Problem] | None = None,
         checked: str = "") -> Plan:
    """What the site is made of (prior: the lines of the last papers.json and llms.txt).

    ContentError, with the warnings so far, when an id, slug, key or static file would put an
    output where another goes (see layout.py). checked: the paths_digest of outputs known not
    to collide (the last build's), which then need no check when they are the same paths.
    """
    from digestgen import exports, feeds, readinglist, social

    routes = list(renderer.routes())
    files = [*feeds.feed_files(model, renderer),
             *exports.export_files(model, renderer, sitemap_urls(model, routes), prior),
             *readinglist.reading_list_files(model), *social.social_files(model)]
    paths = paths_digest(model, routes, files)
    if paths != checked:
        from digestgen.layout import collisions, site_outputs

        problems = collisions(site_outputs(model, routes))
        if problems:
            raise ContentError([*problems, *(warnings or [])])
    files += static_files(model.config, [r.path for r in routes] + [f.path for f in files])
    return Plan(routes, files, paths)


def paths_digest(model: SiteModel, routes: list[Any], files: list[File]) -> str:
    """A digest of the path of every output made from the model (in plan order), and of what
    else decides which outputs there are (the settings, the static files' names): equal for two
    builds that write the same outputs, so the collision check of the one holds for the other."""
    from digestgen.layout import static_names

    statics = [name for name, _file, _source in static_names(model.config.root, model.config.fields.theme)]
    return joined_hash([repr(model.config.fields), *(r.path for r in routes), "files:", *(f.path for f in files),
                        "static:", *statics])


def file_key(render_key: str, file: File, hashes: dict[str, str], seen: dict[int, tuple[object, str]] | None = None
             ) -> str | None:
    """The key of a file made of papers alone (None for the others). seen: the description of
    each value of `more` already described in this build, by id (many feeds share one, such
    as the names of every tag)."""
    if file.papers is None:
        return None
    # a paper by its id too: a file renamed without a change has the same bytes, not the same id
    parts = [render_key, file.path, *[f"{p.id}:{hashes.get(p.source) or hexhash(p)}" for p in file.papers], "more:"]
    for value in file.more:
        if seen is None or isinstance(value, str):
            parts.append(repr(value))
            continue
        known = seen.get(id(value))
        if known is None or known[0] is not value:  # (the value is held, so its id is not reused)
            known = seen[id(value)] = (value, repr(value))
        parts.append(known[1])
    return joined_hash(parts)


def sitemap_urls(model: SiteModel, routes: Iterable[Any]) -> list[tuple[str, str | None]]:
    """(site path, lastmod) of every page for the sitemap, in route order: a paper's page was
    last changed on its date, an issue's on its newest paper's, the others on the newest."""
    days: dict[Any, str] = {}  # a few hundred distinct days for thousands of pages

    def day(date: Any) -> str:
        text = days.get(date)
        if text is None:
            text = days[date] = date.isoformat()
        return text

    default = model.updated.isoformat() if model.updated else None
    urls: list[tuple[str, str | None]] = []
    for route in routes:
        template = route.template
        if template == "paper.html":
            urls.append((route.url, day(route.context["paper"].date)))
        elif template == "issue.html":
            urls.append((route.url, day(max(p.date for p in route.context["issue"].papers))))
        elif route.path != "404.html":
            urls.append((route.url, default))
    return urls



def static_files(cfg: SiteConfig, made: Iterable[str]) -> list[File]:
    """Theme assets under assets/ (site theme over default), then static/ as-is; none may take
    the name of a file made (made: every other file of the build)."""
    from digestgen.layout import static_names

    files: list[File] = []
    problems: list[Problem] = []
    folded = {fold(name): name for name in made}
    for name, file, source in static_names(cfg.root, cfg.fields.theme):
        if source is not None:
            try:
                name = safe_relpath(name)
            except ValueError:
                problems.append(Problem(source, 1, 1, "(file)", "has a name that cannot be published"))
                continue
            clash = folded.get(fold(name))
            if clash is not None:
                problems.append(Problem(source, 1, 1, "(file)", f"would replace the generated /{clash}; rename it"))
                continue
        files.append(File(name, file.read_bytes))
        folded[fold(name)] = name
    if problems:
        raise ContentError(problems)
    return files


_PAPER_CONTEXT = {"paper", "related", "issue"}  # what Renderer.routes gives a paper's page
_TAG_CONTEXT = {"tag", "papers", "page", "pages", "prev_url", "next_url"}  # and a page of a tag

# Pages of these templates are rendered again only when what they show changed: one paper,
# issue, tag or author, and the lists of them. Every other page (about pages, the reading
# list, 404) is always rendered.
KEYED_TEMPLATES = frozenset({"paper.html", "issue.html", "tag.html", "author.html",
                             "home.html", "archive.html", "tags.html", "authors.html"})
# The key of a keyed page whose render read what its key does not cover (a site template that
# shows `model.papers`, say; see render.model_view): no key made from a context equals it, so
# the page is rendered at every build, also by the next build from the build state.
UNTRACKED = "untracked"




def same_context(before: dict[str, Any], now: dict[str, Any]) -> bool:
    """The same values, compared by identity (lists item by item; plain values by equality)."""
    if before.keys() != now.keys():
        return False
    for name, value in now.items():
        old = before[name]
        if old is value:
            continue
        if type(old) is not type(value):
            return False
        if isinstance(value, list):
            if not same_items(old, value):
                return False
        elif not isinstance(value, (str, int)) or old != value:
            return False
    return True


class Keyer:
    """A stable description of a page's context: content hashes of papers, not their objects.

    site_key: what every page depends on (settings, theme, and what templates may read of
    every tag and issue without a mark, see reads.model_view).
    """

    def __init__(self, hashes: dict[str, str], site_key: str, links: Callable[[str], str] = lambda paper_id: ""):
        self.hashes = hashes
        self.site_key = site_key
        self.links = links  # where a paper's author names link (not in its file): see Authors.signature
        self.memo: dict[int, object] = {}  # by id: papers, issues and tags of the model, alive all build long
        self.heads: dict[int, str] = {}

    def page(self, route: Any, shallow: bool) -> str:
        """The key of a keyed page; shallow: its issue only by name, dates and neighbours."""
        if route.template == "paper.html" and route.context.keys() == _PAPER_CONTEXT:
            return self.paper_page(route, shallow)  # most pages: the same, made faster
        if route.template == "tag.html" and route.context.keys() == _TAG_CONTEXT:
            return self.tag_page(route)  # the next most
        context = self.shallow(route.context) if shallow else self.of(route.context)
        return hexhash(self.site_key, route.path, route.template, route.url, shallow, context)

    def shallow(self, context: dict[str, Any]) -> object:
        """Like of(context), but the context's issue only by its name, dates and neighbours."""
        issue = context.get("issue")
        if not isinstance(issue, Issue):
            return self.of(context)
        return self.of({**context, "issue": self.head(issue)})

    def head(self, issue: Issue) -> str:
        head = self.heads.get(id(issue))
        if head is None:  # described once per issue: its intro can be long
            head = self.heads[id(issue)] = hexhash("issue-head", issue.key, issue.start, issue.end, issue.newer,
                                                   issue.older, issue.intro, issue.status)
        return head

    def paper_page(self, route: Any, shallow: bool) -> str:
        """The key of a paper's page (context: paper, related, issue), as page() would make it
        from of() or shallow(), in a third of the time: one hash of joined strings."""
        context = route.context
        issue = context["issue"]
        memo = self.memo  # papers described already: no call for them
        parts = [self.site_key, route.path, route.url, "shallow" if shallow else "deep",
                 self.head(issue) if shallow else str(self.of(issue)), self.paper(context["paper"])]
        parts += [memo.get(id(paper)) or self.paper(paper) for paper in context["related"]]
        return joined_hash(parts)

    def tag_page(self, route: Any) -> str:
        """The key of a page of a tag's papers, made like paper_page's."""
        context = route.context
        memo = self.memo
        parts = [self.site_key, route.path, route.url, "tag", str(self.of(context["tag"])), str(context["page"]),
                 str(context["pages"]), context["prev_url"] or "-", context["next_url"] or "-"]
        parts += [memo.get(id(paper)) or self.paper(paper) for paper in context["papers"]]
        return joined_hash(parts)

    def paper(self, paper: Paper) -> str:
        known = self.memo.get(id(paper))
        if known is None:
            known = self.memo[id(paper)] = (f"paper:{paper.id}:{self.hashes.get(paper.source) or hexhash(paper)}:"
                                            f"{self.links(paper.id)}")
        return known  # type: ignore[return-value]

    def of(self, value: Any) -> object:
        if isinstance(value, Paper):
            return self.paper(value)
        if isinstance(value, (list, tuple)):  # mostly papers, described already: no call for them
            memo = self.memo
            return [memo.get(id(v)) or self.of(v) for v in value]
        if isinstance(value, dict):
            return [(k, self.of(v)) for k, v in sorted(value.items())]
        if isinstance(value, Issue):
            known = self.memo.get(id(value))
            if known is None:
                known = self.memo[id(value)] = hexhash("issue", value.key, value.start, value.end, value.newer,
                                                       value.older, value.intro, value.status, self.of(value.papers))
            return known
        if isinstance(value, TagInfo):
            known = self.memo.get(id(value))
            if known is None:  # a tag page shows its own slice (in the context) and the tag's size
                known = self.memo[id(value)] = joined_hash(
                    [
                        "tag",
                        value.slug,
                        repr(value.name),
                        repr(value.description),
                        *(f"{p.id} {p.date}" for p in value.papers),
                    ]
                )
            return known
        return value



def theme_folders(config: SiteConfig) -> list[Path]:
    """The folders of templates and theme files in use, most specific first."""
    from digestgen.render import builtin_theme, theme_dirs

    return [config.root / "templates", *theme_dirs(config.root, config.fields.theme), builtin_theme()]


def render_key_of(config: SiteConfig) -> str:
    """Everything besides the content that every page depends on: settings, theme, version, today."""
    # not where the site and its output are: a CI runner's checkout reuses what its cache holds
    return hexhash(parse_key_of(config), theme_fingerprint(theme_folders(config)), config.base_url,
                   replace(config.options, output=None), config.today, config.fields)


def fingerprint(config: SiteConfig, render_key: str) -> tuple[str, int, list[tuple[str, StatKey]], str]:
    """The state of every input file (by size, times and inode), to notice a build with nothing
    to do; the newest file time among them; the file stats themselves, and their digest."""
    stats = tree_stats(config.root, WATCHED)
    newest = max((max(st[1], st[2]) for _, st in stats), default=0)
    sources = stats_digest(stats)
    return hexhash(render_key, sources), newest, stats, sources
