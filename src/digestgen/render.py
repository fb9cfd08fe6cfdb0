"""Jinja2 rendering: theme lookup, template globals and filters, the list of pages to write.

Lookup order: the site's templates/ -> themes/<theme>/templates/ -> the built-in default
theme. Each theme is also reachable under a prefix ("default/base.html") so an override can
extend the template it replaces and change a single block.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import jinja2.bccache
from markupsafe import Markup, escape

from digestgen import __version__, social
from digestgen.authors import Author
from digestgen.bibtex import bibtex
from digestgen.citations import CITATION_LINKS, TAG_CITATION_LINKS
from digestgen.citations import meta_tags as citation_meta
from digestgen.content import Paper
from digestgen.errors import ThemeError
from digestgen.publish import moment_text
from digestgen.reads import (
    UNTRACKED_GLOBALS,
    Counted,
    IssueOf,
    Watched,
    model_view,
    watching_context,
)
from digestgen.site import Issue, SiteModel, TagInfo


def builtin_theme() -> Path:
    """The default theme: inside the installed package, or at the repository root in a checkout."""
    packaged = Path(__file__).parent / "themes" / "default"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "themes" / "default"


def theme_dirs(root: Path, theme: str) -> list[Path]:
    """Theme folders from most to least specific (site theme, then built-in default)."""
    dirs = []
    if theme != "default" or (root / "themes" / "default").is_dir():
        own = root / "themes" / theme
        if own.is_dir() and own.resolve() != builtin_theme().resolve():
            dirs.append(own)
    dirs.append(builtin_theme())
    return dirs


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept for the life of the process, keyed by name and source checksum.

    Each build makes a fresh Environment (its globals belong to one site model), but a long
    process such as `digestgen serve` then skips re-compiling unchanged templates; an edited
    template has another checksum and is compiled again.
    """

    def __init__(self) -> None:
        self.store: dict[str, tuple[str, bytes]] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        found = self.store.get(bucket.key)
        if found is not None and found[0] == bucket.checksum:
            bucket.bytecode_from_string(found[1])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = (bucket.checksum, bucket.bytecode_to_string())


_BYTECODE = _MemoryBytecodeCache()


def make_environment(root: Path, theme: str) -> jinja2.Environment:
    dirs = theme_dirs(root, theme)
    choice: list[jinja2.BaseLoader] = []
    if (root / "templates").is_dir():
        choice.append(jinja2.FileSystemLoader(str(root / "templates")))
    choice += [jinja2.FileSystemLoader(str(d / "templates")) for d in dirs]
    prefixes = {"default": jinja2.FileSystemLoader(str(builtin_theme() / "templates"))}
    if theme != "default" and len(dirs) > 1:
        prefixes[theme] = jinja2.FileSystemLoader(str(dirs[0] / "templates"))
    choice.append(jinja2.PrefixLoader(prefixes))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(choice),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=-1,
        bytecode_cache=_BYTECODE,
    )
    env.filters.update(
        human_date=human_date,
        iso_date=lambda d: d.isoformat() if d else "",
        authors_short=authors_short,
        jsonld=jsonld,
        urlquote=lambda s: quote(str(s), safe=""),
    )
    return env


@lru_cache(maxsize=4096)  # a few dates, shown on thousands of cards
def human_date(day: dt.date | None, fmt: str = "long") -> str:
    if day is None:
        return ""
    if fmt == "short":
        return f"{day.day} {day.strftime('%b')}"
    return f"{day.day} {day.strftime('%b')} {day.year}"


def authors_short(authors: tuple[str, ...], keep: int = 3) -> str:
    """'A, B, C + 9 more' for cards; the full list lives on the paper page."""
    if len(authors) <= keep + 1:
        return ", ".join(authors)
    return ", ".join(authors[:keep]) + f" + {len(authors) - keep} more"


def jsonld(value: Any) -> Markup:
    """JSON for a <script type="application/ld+json"> block, safe against </script> breakouts."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def issue_months(issues: list[Issue]) -> list[tuple[int, list[dt.date]]]:
    """The years that have issues, newest first, each with the first days of its months that
    have issues, January first: what the date navigator of an issue page links to. It reads
    only the issues' start dates, which every keyed page's key covers (the issue keys)."""
    months = sorted({issue.start.replace(day=1) for issue in issues})
    years: dict[int, list[dt.date]] = {}
    for month in months:
        years.setdefault(month.year, []).append(month)
    return sorted(years.items(), reverse=True)


def issue_label(issue: Issue, cadence: str) -> str:
    """'Week 47 · 17–23 Nov 2025', '20 Nov 2025' or 'November 2025'."""
    if cadence == "daily":
        return human_date(issue.start)
    if cadence == "monthly":
        return issue.start.strftime("%B %Y")
    week = issue.start.isocalendar()[1]
    s, e = issue.start, issue.end
    if s.year != e.year:
        span = f"{human_date(s)} – {human_date(e)}"
    elif s.month != e.month:
        span = f"{s.day} {s.strftime('%b')} – {e.day} {e.strftime('%b')} {e.year}"
    else:
        span = f"{s.day}–{e.day} {e.strftime('%b')} {e.year}"
    return f"Week {week} · {span}"


AUTHOR_INDEX_MAX = 1500  # authors listed on /authors/; past it, each letter has a page (/authors/a/)


def letter_slug(letter: str) -> str:
    """'A' -> 'a'; the section of names that start with no letter ('#') -> '0'. Author slugs
    are never one character long, so these never take an author's address."""
    return letter.lower() if letter != "#" else "0"


def letter_path(letter: str) -> str:
    return f"/authors/{letter_slug(letter)}/"


@dataclass(frozen=True, slots=True)
class Route:
    """One output file: where it goes, which template renders it, with what."""

    path: str  # relative to the output root, e.g. "papers/x/index.html"
    template: str
    context: dict[str, Any]
    url: str  # site path, e.g. "/papers/x/"


class Renderer:
    """Renders the site model through the theme's templates."""

    def __init__(self, model: SiteModel):
        self.model = model
        cfg = model.config
        self.base_url = cfg.base_url
        self.base_path = cfg.base_path
        self.env = make_environment(cfg.root, cfg.fields.theme)
        # set when the render in progress reads what no page key covers (see render())
        self.untracked = [False]
        self.env.context_class = watching_context(self.untracked, UNTRACKED_GLOBALS)
        self.issue_of = IssueOf(model.issue_of, self.untracked)
        self.env.globals.update(
            site=cfg.fields,
            model=model_view(model, self.untracked),
            url=self.url,
            abs_url=self.abs_url,
            paper_url=lambda p: self.url(f"/papers/{p.id}/"),
            issue_url=lambda key: self.url(f"/issues/{key}/"),
            tag_url=lambda slug: self.url(f"/tags/{slug}/"),
            author_url=lambda slug: self.url(f"/authors/{slug}/"),
            author_names=self.author_names,
            author_jsonld=author_jsonld,
            issue_label=lambda issue: issue_label(issue, cfg.fields.cadence),
            issue_months=issue_months(model.issues),
            moment_text=moment_text,
            issue_of=self.issue_of,
            bibtex=bibtex,
            citation_tags=lambda paper: citation_meta(paper, self.abs_url),
            citation_files=lambda folder, key: [
                (label, self.url(f"/{folder}/{key}/{key}.{ext}"))
                for ext, label in (TAG_CITATION_LINKS if folder == "tags" else CITATION_LINKS)
            ],
            link_name=link_name,
            paper_links=paper_links,
            paper_summary=paper_summary,
            card_blurb=card_blurb,
            paper_jsonld=lambda paper, canonical: paper_jsonld(paper, canonical, self.abs_url),
            card_size=(social.WIDTH, social.HEIGHT),
            social_image=social.SocialCards(cfg, lambda issue: issue_label(issue, cfg.fields.cadence)).image,
            version=__version__,
            serve=cfg.options.serve,
            updated=model.updated,
        )

    def url(self, path: str) -> str:
        """Site path -> link under base_url's path (works when the site lives in a subfolder)."""
        if path.startswith(("http://", "https://", "mailto:")):
            return path
        return self.base_path + path.lstrip("/")

    def abs_url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + path.lstrip("/")

    def author_names(self, paper: Paper, keep: int | None = None) -> Markup:
        """The paper's authors, each with a page linked to it; with keep, 'A, B + 9 more' (as
        authors_short). A page's key covers these links (see Authors.signature)."""
        names = paper.authors
        slugs = self.model.authors.links.get(paper.id, ())
        shown = len(names) if keep is None or len(names) <= keep + 1 else keep
        parts = [Markup('<a href="{}">{}</a>').format(self.url(f"/authors/{slugs[i]}/"), name)
                 if i < len(slugs) and slugs[i] else escape(name) for i, name in enumerate(names[:shown])]
        more = f" + {len(names) - shown} more" if shown < len(names) else ""
        return Markup(", ").join(parts) + more

    def routes(self) -> Iterator[Route]:
        m = self.model
        yield Route("index.html", "home.html", {"issue": m.issues[0] if m.issues else None,
                                                "recent": m.issues[1:6]}, "/")
        yield Route("issues/index.html", "archive.html", {"issues": m.issues, "paper_count": len(m.papers)},
                    "/issues/")
        for issue in m.issues:
            yield Route(f"issues/{issue.key}/index.html", "issue.html", {"issue": issue}, f"/issues/{issue.key}/")
        for paper in m.papers:
            yield Route(f"papers/{paper.id}/index.html", "paper.html",
                        {"paper": paper, "related": m.related.get(paper.id, []),
                         "issue": m.issues_by_key[m.issue_of[paper.id]]}, f"/papers/{paper.id}/")
        tags = [t for t in m.tags.values() if t.papers]
        yield Route("tags/index.html", "tags.html", {"tags": tags}, "/tags/")
        for tag in tags:
            yield from self.paged(f"tags/{tag.slug}/", "tag.html", {"tag": tag}, tag.papers)
        yield from self.author_routes()
        for page in m.pages:
            yield Route(f"{page.slug}/index.html", "page.html", {"page": page}, f"/{page.slug}/")
        if m.config.fields.search:
            yield Route("search/index.html", "search.html", {}, "/search/")
        yield Route("reading-list/index.html", "reading-list.html", {}, "/reading-list/")
        yield Route("404.html", "404.html", {}, "/404.html")

    def paged(self, folder: str, template: str, context: dict[str, Any], papers: list[Paper]) -> Iterator[Route]:
        """The pages of a list of papers (a tag's, an author's): per_page each, the first at
        folder, the others at folder/page/N/."""
        per_page = self.model.config.fields.per_page
        pages = max(1, math.ceil(len(papers) / per_page))
        for number in range(1, pages + 1):
            prefix = folder + ("" if number == 1 else f"page/{number}/")
            ctx = {
                **context,
                "papers": papers[(number - 1) * per_page : number * per_page],
                "page": number,
                "pages": pages,
                "prev_url": None
                if number == 1
                else self.url(f"/{folder}" + ("" if number == 2 else f"page/{number - 1}/")),
                "next_url": None if number == pages else self.url(f"/{folder}page/{number + 1}/"),
            }
            yield Route(prefix + "index.html", template, ctx, "/" + prefix)

    def author_routes(self) -> Iterator[Route]:
        """The index of authors (one page, or a page per letter for a big digest) and a page
        (or pages) of each author's papers."""
        authors = self.model.authors
        letters: dict[str, list[Author]] = {}
        for author in authors.pages.values():
            letters.setdefault(author.letter, []).append(author)
        split = len(authors.pages) > AUTHOR_INDEX_MAX
        bar = [(letter, self.url(letter_path(letter)) if split else f"#letter-{letter_slug(letter)}", len(people))
               for letter, people in letters.items()]
        context = {"letters": [] if split else list(letters.items()), "bar": bar, "everyone": authors.everyone,
                   "listed": len(authors.pages), "min_papers": self.model.config.fields.author_pages, "letter": None}
        yield Route("authors/index.html", "authors.html", context, "/authors/")
        for letter, people in letters.items() if split else ():
            yield Route(letter_path(letter).lstrip("/") + "index.html", "authors.html",
                        {**context, "letters": [(letter, people)], "letter": letter}, letter_path(letter))
        for author in authors.pages.values():
            yield from self.paged(f"authors/{author.slug}/", "author.html", {"author": author},
                                  authors.papers[author.slug])

    def render(self, route: Route, looked: list[bool] | None = None) -> bytes:
        """The page's bytes. looked (for pages of one paper): looked[0] set to True if the
        template looked at the papers of the paper's issue, so the page depends on all of them,
        not only on the issue's name and dates; looked[1] (when there) set to True if it read
        anything no page key covers (see model_view), so the page is rendered at every build
        (see build._render_pages)."""
        ctx = dict(route.context)
        if looked is not None and isinstance(ctx.get("issue"), Issue):
            ctx["issue"] = replace(ctx["issue"], papers=Watched(ctx["issue"].papers, looked))
        if isinstance(ctx.get("tag"), TagInfo):  # a tag page's key has its papers' ids and dates only
            ctx["tag"] = replace(ctx["tag"], papers=Counted(ctx["tag"].papers, self.untracked))
        if isinstance(ctx.get("tags"), list):  # and so has the tag index's
            ctx["tags"] = [replace(t, papers=Counted(t.papers, self.untracked))  # type: ignore[arg-type]
                           if isinstance(t, TagInfo) else t for t in ctx["tags"]]
        ctx["page_url"] = route.url
        ctx["canonical"] = self.abs_url(route.url)
        self.untracked[0] = False
        self.issue_of.showing(route.context)
        try:
            data = _render(self.env.get_template(route.template), ctx).encode("utf-8")
        except jinja2.TemplateError as exc:
            raise theme_error(exc, route.template, self.model.config.root) from None
        if looked is not None and len(looked) > 1:
            looked[1] = self.untracked[0]
        return data


def _render(template: jinja2.Template, values: dict[str, Any]) -> str:
    """template.render(values), leaving nothing for the garbage collector: a macro defined by
    a template refers to the context it is stored in, a cycle that would keep the context and
    every value of the page alive until a collection (a build runs without one). (Macros
    imported `with context` hold a context of their own, out of reach: left to the collector.)"""
    context = template.new_context(values)
    try:
        return template.environment.concat(template.root_render_func(context))  # type: ignore[attr-defined,no-any-return]
    except Exception:
        template.environment.handle_exception()  # raises it again, with the template's lines
        raise  # (for readers and linters: the line above does not return)
    finally:
        context.vars.clear()
        context.exported_vars.clear()
        context.blocks.clear()


def theme_error(exc: jinja2.TemplateError, template: str, root: Path | None = None) -> ThemeError:
    """A template bug as 'file:line: message' instead of a traceback."""
    import traceback

    name = getattr(exc, "filename", None) or template
    line = getattr(exc, "lineno", None) or 0
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt")):
            name, line = frame.filename, frame.lineno or 0
            break
    root = root or Path.cwd()
    try:
        name = Path(name).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        name = Path(name).name
    return ThemeError(f"{name}:{line}: template error: {exc.message or exc}")


_TAG = re.compile(r"<[^>]*>")
# Tags inside a line of text: removing them must not split "<a>word</a>." into "word ."
_INLINE_TAG = re.compile(r"</?(?:a|abbr|b|cite|code|em|i|kbd|mark|q|s|samp|small|span|strong|sub|sup|u|var)\b[^>]*>")
_MATH = re.compile(r"<math\b.*?</math>", re.DOTALL)
_ANNOTATION = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.DOTALL)


def plain_text(fragment: str) -> str:
    """Sanitised HTML -> one line of text (math shown as its LaTeX source)."""
    def math(m: re.Match[str]) -> str:
        source = _ANNOTATION.search(m.group(0))
        return f"${source.group(1)}$" if source else ""

    text = _TAG.sub(" ", _INLINE_TAG.sub("", _MATH.sub(math, fragment)))
    return " ".join(html.unescape(text).split())


def shorten(text: str, limit: int = 200) -> str:
    """Cut at a word boundary and add an ellipsis when text is longer than limit."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.–—-")
    return cut + "…"


def paper_summary(paper: Paper, limit: int = 200) -> str:
    """A page description for a paper: its tldr, else the start of its abstract, else its title."""
    if paper.tldr:
        return shorten(paper.tldr, limit)
    if paper.abstract_html:
        return shorten(plain_text(paper.abstract_html), limit)
    return paper.title


def card_blurb(paper: Paper, limit: int = 240) -> Markup | str:
    """A card's one or two lines: the start of the curator's note, else the tldr.

    The note's text is flattened, but its formulas stay MathML (inline, so that they fit the
    line): a card shows a formula as a reader of the paper page sees it, not as TeX source.
    Their TeX annotations stay on the paper page: a card's formula is read, not copied, and
    the annotations were a third of a card's math.
    """
    if not paper.note_html:
        return shorten(paper.tldr or "", limit)
    formulas: list[str] = []

    def hold(m: re.Match[str]) -> str:
        formulas.append(_SEMANTICS.sub("", m.group(0)).replace(' display="block"', ""))
        return f"\x00{len(formulas) - 1}\x00"

    text = shorten(plain_text(_MATH.sub(hold, paper.note_html)), limit)
    escaped = html.escape(text, quote=False)
    return Markup(_HELD.sub(lambda m: formulas[int(m.group(1))] if int(m.group(1)) < len(formulas) else "", escaped))


_HELD = re.compile("\x00(\\d+)\x00")
# a formula's TeX annotation and the <semantics> element that pairs it with the MathML
_SEMANTICS = re.compile(r'</?semantics>|<annotation encoding="application/x-tex">.*?</annotation>', re.DOTALL)


def paper_jsonld(paper: Paper, canonical: str, abs_url: Any) -> dict[str, Any]:
    """schema.org ScholarlyArticle data for a paper page.

    What tells search engines which paper the page is about: title, authors, date, a short
    description (the page's: the tldr, else the start of the abstract) and the arXiv and DOI
    addresses. The abstract (optional in schema.org) is on the page already, where it would be
    written twice more; tags and upvotes are in the page's other metadata and text.
    """
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": shorten(paper.title, 110),
        "url": canonical,
    }
    if paper.title != data["headline"]:
        data["name"] = paper.title
    if paper.authors:
        data["author"] = [{"@type": "Person", "name": name} for name in paper.authors]
    if paper.published:
        data["datePublished"] = paper.published.isoformat()
    if paper.tldr or paper.abstract_html:
        data["description"] = paper_summary(paper)
    same = [u for u in (paper.arxiv_abs, f"https://doi.org/{paper.doi}" if paper.doi else None) if u]
    if same:
        data["sameAs"] = same
    if paper.image:
        data["image"] = abs_url(paper.image)
    return data


def author_jsonld(author: Author, canonical: str) -> dict[str, Any]:
    """schema.org ProfilePage data for an author's page."""
    person: dict[str, Any] = {"@type": "Person", "name": author.name}
    if author.affiliation:
        person["affiliation"] = {"@type": "Organization", "name": author.affiliation}
    same = [u for u in (f"https://orcid.org/{author.orcid}" if author.orcid else None, author.homepage) if u]
    if same:
        person["sameAs"] = same
    return {"@context": "https://schema.org", "@type": "ProfilePage", "url": canonical, "mainEntity": person}


LINK_NAMES = {
    "arxiv": "arXiv", "pdf": "PDF", "code": "Code", "project": "Project page", "hf": "Hugging Face",
    "demo": "Demo", "data": "Data", "models": "Models", "video": "Video", "blog": "Blog post",
    "slides": "Slides", "poster": "Poster", "thread": "Thread", "doi": "DOI",
}


def link_name(label: str) -> str:
    return LINK_NAMES.get(label, label.replace("_", " ").replace("-", " ").capitalize())


def paper_links(paper: Paper) -> list[tuple[str, str, str]]:
    """(label, name, url) for every link of a paper: arXiv and PDF derived from the id first."""
    links: list[tuple[str, str, str]] = []
    given = dict(paper.links)
    if paper.arxiv:
        links.append(("arxiv", "arXiv", given.pop("arxiv", paper.arxiv_abs or "")))
        links.append(("pdf", "PDF", given.pop("pdf", paper.arxiv_pdf or "")))
    if paper.doi and "doi" not in given:
        links.append(("doi", "DOI", f"https://doi.org/{quote(paper.doi, safe='/:;()._-')}"))
    order = list(LINK_NAMES)
    for label in sorted(given, key=lambda k: (order.index(k) if k in order else len(order), k)):
        links.append((label, link_name(label), given[label]))
    return links
