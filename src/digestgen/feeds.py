"""Feeds: issues as Atom, RSS 2.0 and JSON Feed 1.1; every paper and each tag as Atom; an OPML list.

Items are first built here as plain records (feed_formats.FeedItem) and then serialised per
format (feed_formats.py, the only module that knows feedgen), so all formats carry the same ids,
dates and content:

- ids are tag: URIs made from the paper id or issue key alone (never the title, the scheme or
  base_url's path), so moving or retitling never shows a reader an item as new;
- dates are featured dates, never the build time (an issue's is when it was published, from
  its papers' dates and the publishing rule); a feed's updated is its newest item;
- items are newest first with the id as tie-break, cut at feeds.limit;
- every URL in content is absolute, and content HTML is only the sanitised *_html fields
  plus escaped values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from markupsafe import escape

from digestgen import __version__
from digestgen.content import Paper, xml_invalid
from digestgen.errors import ContentError, Problem
from digestgen.feed_formats import EPOCH, Feed, FeedItem, atom, json_feed, opml, rss
from digestgen.files import File
from digestgen.reuse import remembered
from digestgen.site import Issue, SiteModel

if TYPE_CHECKING:
    from digestgen.render import Renderer

TAG_DATE = "2000"  # the date part of every tag: URI; constant so ids never change
MAX_AUTHORS = 20  # author elements per entry; the content names the rest as a count
# XML 1.0 Char production: anything else makes lxml raise a context-free ValueError
_URL_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)(")')


def absolutize(html: str, base_url: str) -> str:
    """Resolve every href/src in our own rendered HTML against base_url (a page's full URL)."""
    parts = urlsplit(base_url)
    origin = f"{parts.scheme}://{parts.netloc}"

    def resolve(m: re.Match[str]) -> str:
        url = m.group(2)
        if url.startswith(("https://", "http://", "mailto:")):
            return m.group(0)  # already absolute: the common case, no parsing needed
        if url.startswith("/") and not url.startswith("//"):
            return m.group(1) + origin + url + m.group(3)
        return m.group(1) + urljoin(base_url, url) + m.group(3)

    return _URL_ATTR.sub(resolve, html)


def tag_uri(domain: str, specific: str) -> str:
    """A stable id like tag:example.org,2000:paper:2511.11002 (RFC 4151)."""
    return f"tag:{domain},{TAG_DATE}:{specific}"


def id_domain(model: SiteModel) -> str:
    """feeds.id_domain, else base_url's host: keep ids when the site moves to a new domain."""
    pinned = model.config.fields.feeds.id_domain
    return pinned or urlsplit(model.config.base_url).hostname or "localhost"


def stamp(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """Midnight of day in the site's timezone."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def newest_items(items: Iterable[FeedItem], limit: int) -> list[FeedItem]:
    """Newest first (by updated), ties broken by id; at most limit items."""
    return sorted(items, key=lambda i: (-i.updated.timestamp(), i.id))[:limit]


def newest_issues(issues: list[Issue], limit: int) -> list[Issue]:
    """The limit issues whose newest paper is newest (issue keys break ties, as ids do)."""
    return sorted(issues, key=lambda i: (-max(p.date for p in i.papers).toordinal(), i.key))[:limit]


class _Builder:
    """Turns papers and issues into FeedItems for one site."""

    def __init__(self, model: SiteModel, renderer: Renderer):
        from digestgen.render import issue_label, paper_links

        self.model = model
        self.renderer = renderer
        self.cfg = model.config
        self.domain = id_domain(model)
        self.label: Callable[[Issue], str] = lambda issue: issue_label(issue, self.cfg.fields.cadence)
        self.links = paper_links

    def url(self, path: str) -> str:
        return self.renderer.abs_url(path)

    def when(self, day: dt.date) -> dt.datetime:
        return stamp(day, self.cfg.tz)

    def authors_line(self, paper: Paper) -> str:
        names = paper.authors
        if len(names) <= MAX_AUTHORS:
            return ", ".join(names)
        return ", ".join(names[:MAX_AUTHORS]) + f" and {len(names) - MAX_AUTHORS} more"

    def paper_html(self, paper: Paper, *, in_issue: bool) -> str:
        """A paper as HTML: (heading,) image, authors, dates, links, tldr, note, abstract."""
        key = (paper, in_issue, self.renderer.base_url)  # everything the HTML is made of
        return remembered("feed-paper", key, self._paper_html, paper, in_issue)

    def _paper_html(self, paper: Paper, in_issue: bool) -> str:
        page = self.url(f"/papers/{paper.id}/")
        parts: list[str] = []
        if in_issue:
            parts.append(f'<h2><a href="{escape(page)}">{escape(paper.title)}</a></h2>')
        if paper.image and not in_issue:
            parts.append(f'<p><img src="{escape(self.url(paper.image))}" alt="{escape(paper.image_alt or "")}"></p>')
        if paper.authors:
            parts.append(f"<p><em>{escape(self.authors_line(paper))}</em></p>")
        if not in_issue:
            dates = f"Added {paper.date.isoformat()}"
            if paper.published:
                dates += f" · published {paper.published.isoformat()}"
            parts.append(f"<p>{escape(dates)}</p>")
        links = [f'<a href="{escape(href)}">{escape(name)}</a>' for _label, name, href in self.links(paper) if href]
        if links:
            parts.append("<p>" + " · ".join(links) + "</p>")
        if paper.tldr:
            parts.append(f"<p><strong>TL;DR:</strong> {escape(paper.tldr)}</p>")
        if paper.note_html:
            parts.append(("<h3>Curator’s note</h3>" if not in_issue else "") + paper.note_html)
        if paper.abstract_html and (not in_issue or not paper.tldr):
            parts.append(("<h3>Abstract</h3>" if not in_issue else "") + paper.abstract_html)
        return absolutize("\n".join(parts), page)

    def paper_item(self, paper: Paper, full: bool = True) -> FeedItem:
        """A paper as an item: with the whole entry as content when full and feeds.full_content,
        else (an author's feed) its summary and authors alone, without its tags."""
        when = self.when(paper.date)
        summary = paper.tldr or _plain(paper.abstract or "") or paper.title
        tags = self.model.tags
        return FeedItem(
            id=tag_uri(self.domain, f"paper:{paper.id}"),
            url=self.url(f"/papers/{paper.id}/"),
            title=paper.title,
            published=when,
            updated=when,
            summary_text=summary,
            summary_html=str(escape(summary)),
            content_html=self.paper_html(paper, in_issue=False)
            if full and self.cfg.fields.feeds.full_content
            else None,
            authors=paper.authors[:MAX_AUTHORS],
            categories=tuple((t, tags[t].name if t in tags else t, self.url(f"/tags/{t}/")) for t in paper.tags)
            if full
            else (),
            image=self.url(paper.image) if paper.image else None,
            source=paper.source,
        )

    def issue_title(self, issue: Issue) -> str:
        label = self.label(issue)
        return f"{issue.title} ({label})" if issue.title else label

    def _in_issue(self, paper: Paper, page: str) -> str:
        return absolutize(self.paper_html(paper, in_issue=True), page)

    def issue_published(self, issue: Issue) -> dt.datetime:
        """When it appeared: its first paper's day (on-date), the end of its period or its publish_at."""
        return issue.publish_at if issue.publish_at is not None else self.when(min(p.date for p in issue.papers))

    def issue_updated(self, issue: Issue) -> dt.datetime:
        return max(self.issue_published(issue), self.when(max(p.date for p in issue.papers)))

    def issue_item(self, issue: Issue) -> FeedItem:
        page = self.url(f"/issues/{issue.key}/")
        count = len(issue.papers)
        titles = "; ".join(p.title for p in issue.papers)
        intro_summary = issue.intro.summary if issue.intro and issue.intro.summary else None
        summary_text = intro_summary or f"{count} paper{'s' * (count != 1)}: {titles}"
        listing = "".join(f'<li><a href="{escape(self.url(f"/papers/{p.id}/"))}">{escape(p.title)}</a></li>'
                          for p in issue.papers)
        summary_html = (f"<p>{escape(intro_summary)}</p>" if intro_summary else "") + f"<ul>{listing}</ul>"
        content = None
        if self.cfg.fields.feeds.full_content:
            parts = [absolutize(issue.intro.intro_html, page)] if issue.intro and issue.intro.intro_html else []
            parts += [
                remembered("feed-in-issue", (p, self.renderer.base_url, page), self._in_issue, p, page)
                for p in issue.papers
            ]
            content = "\n".join(parts)
        published = self.issue_published(issue)
        return FeedItem(
            id=tag_uri(self.domain, f"issue:{issue.key}"),
            url=page,
            title=self.issue_title(issue),
            published=published,
            updated=self.issue_updated(issue),
            summary_text=summary_text,
            summary_html=summary_html,
            content_html=content,
            source=issue.intro.source if issue.intro else "site.yaml",
        )


def _plain(markdown_text: str, limit: int = 500) -> str:
    """A one-paragraph plain summary of Markdown source (for summary elements)."""
    text = " ".join(markdown_text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- the feeds of a site ---------------------------------------------------------------------


_Made = tuple[Feed, Callable[[], list[FeedItem]], list[Paper], tuple[object, ...]]


def site_feeds(model: SiteModel, renderer: Renderer) -> list[_Made]:
    """Every Atom feed of the site: issues, every paper, then one per tag that has papers and
    one per author with a page.

    Each comes with how to make its items, the papers it is made of and the plain values
    besides them, so that a feed is made only when it is written (see feed_files). A feed's
    updated time is known without its items.
    """
    b = _Builder(model, renderer)
    fields = model.config.fields
    limit = fields.feeds.limit
    description = fields.description or fields.title
    newest = newest_issues(model.issues, limit)
    heads = tuple((i.key, i.title, i.start, i.end, i.intro, i.status, i.publish_at) for i in newest)
    names = tuple((slug, tag.name) for slug, tag in model.tags.items())  # the paper items' categories
    issues = Feed(
        "feed.xml", tag_uri(b.domain, "feed:issues"), fields.title, description, b.url("/"), b.url("/feed.xml")
    )
    issues.newest = max((b.issue_updated(i) for i in newest), default=EPOCH)
    papers = Feed("papers/feed.xml", tag_uri(b.domain, "feed:papers"), f"{fields.title}: every paper",
                  f"Every paper of {fields.title}, newest first.", b.url("/"), b.url("/papers/feed.xml"))
    papers.newest = max((b.when(p.date) for p in model.papers[:limit]), default=EPOCH)
    feeds: list[_Made] = [
        (issues, lambda: newest_items((b.issue_item(i) for i in newest), limit),
         [p for i in newest for p in i.papers], heads),
        (papers, lambda: [b.paper_item(p) for p in model.papers[:limit]], model.papers[:limit], names),
    ]
    for tag in model.tags.values():
        if not tag.papers:
            continue  # no page to link to; the tag appears once a paper uses it
        feeds.append(_list_feed(b, f"tags/{tag.slug}/", f"tag:{tag.slug}", tag.name,
                                tag.description or f"Papers tagged {tag.name} in {fields.title}.",
                                tag.papers, (tag.name, tag.description, names)))
    for author in model.authors.pages.values():
        feeds.append(_list_feed(b, f"authors/{author.slug}/", f"author:{author.slug}", author.name,
                                f"Papers by {author.name} in {fields.title}.", model.authors.papers[author.slug],
                                (author,), "authors"))
    return feeds


def _list_feed(b: _Builder, folder: str, specific: str, name: str, subtitle: str, papers: list[Paper],
               more: tuple[object, ...], group: str = "tags") -> _Made:
    """The Atom feed of a list of papers (a tag's, an author's; newest first) at folder/feed.xml;
    more: what else the feed shows (for its key). An author's items carry the summary and
    authors, not the whole entry nor the tags: a digest has thousands of authors, whose feeds
    would otherwise weigh more than the rest of the site."""
    path = f"{folder}feed.xml"
    feed = Feed(path, tag_uri(b.domain, f"feed:{specific}"), f"{b.cfg.fields.title}: {name}", subtitle,
                b.url(f"/{folder}"), b.url(f"/{path}"), group=group)
    limit = b.cfg.fields.feeds.limit
    chosen = papers[:limit]
    feed.newest = b.when(max(p.date for p in chosen)) if chosen else EPOCH
    return feed, partial(_list_items, b, chosen, limit, group != "authors"), chosen, more


def _list_items(b: _Builder, papers: list[Paper], limit: int, full: bool) -> list[FeedItem]:
    return newest_items([b.paper_item(p, full) for p in papers], limit)


def feed_files(model: SiteModel, renderer: Renderer) -> list[File]:
    """Every feed file; ContentError first if some text cannot be put in XML."""
    problems = xml_problems(model)
    if problems:
        raise ContentError(problems)
    feeds = site_feeds(model, renderer)
    files: list[File] = []
    for feed, items, papers, more in feeds:
        files.append(File(feed.path, partial(_made, feed, items, model, atom), papers, more, heavy=True))
    issues, items, papers, more = feeds[0]
    rss_feed = Feed("rss.xml", issues.id, issues.title, issues.subtitle, issues.home_url, renderer.abs_url("/rss.xml"))
    json_one = Feed(
        "feed.json", issues.id, issues.title, issues.subtitle, issues.home_url, renderer.abs_url("/feed.json")
    )
    files.append(File("rss.xml", partial(_made, rss_feed, items, model, rss), papers, more, heavy=True))
    files.append(File("feed.json", partial(_made, json_one, items, model, json_feed), papers, more, heavy=True))
    listed = [feed for feed, *_ in feeds]
    files.append(File("feeds.opml", lambda: opml(listed, model)))
    return files


def _made(feed: Feed, items: Callable[[], list[FeedItem]], model: SiteModel,
          writer: Callable[[Feed, SiteModel], bytes]) -> bytes:
    feed = replace(feed, items=items())  # (the plan's feed does not keep them once written)
    return _serialise(feed, model, writer) if writer is not json_feed else json_feed(feed, model)


def all_feeds(model: SiteModel, renderer: Renderer) -> dict[str, bytes]:
    """Every feed file by output path, made now."""
    return {file.path: file.make() for file in feed_files(model, renderer)}  # type: ignore[misc]


def _serialise(feed: Feed, model: SiteModel, writer: Callable[[Feed, SiteModel], bytes]) -> bytes:
    f = model.config.fields
    author = (f.author.name, f.author.email, f.author.url) if f.author else None
    key = (writer.__name__, __version__, f.title, f.language, author, feed.path, feed.id, feed.title, feed.subtitle,
           feed.home_url, feed.self_url, tuple(feed.items))
    return remembered("feed", key, _write, feed, model, writer)


def _write(feed: Feed, model: SiteModel, writer: Callable[[Feed, SiteModel], bytes]) -> bytes:
    try:
        return writer(feed, model)
    except ValueError as exc:  # lxml refuses some text; xml_problems should have caught it first
        for item in feed.items:
            for name, value in vars(item).items():
                char = xml_invalid(value) if name != "source" else None
                if char is not None:
                    field_name = {
                        "summary_text": "summary",
                        "summary_html": "summary",
                        "content_html": "content",
                        "categories": "tags",
                    }.get(name, name)
                    raise ContentError(
                        [
                            Problem(
                                item.source,
                                1,
                                1,
                                field_name,
                                f"contains the character U+{ord(char):04X}, which XML feeds cannot carry; remove it",
                            )
                        ]
                    ) from None
        raise ContentError([Problem("site.yaml", 1, 1, "feeds", f"/{feed.path} could not be written: {exc}")]) from None


# --- characters XML cannot carry -------------------------------------------------------------


def xml_problems(model: SiteModel) -> list[Problem]:
    """Text that lxml would refuse, reported as file:line:col: field, before feedgen sees it."""
    problems: list[Problem] = []

    def report(path: str, line: int, col: int, name: str, char: str) -> None:
        problems.append(Problem(path, line, col, name, f"contains the character U+{ord(char):04X}, which XML feeds "
                                                       "cannot carry; remove it"))

    # papers are checked as they are read (content.xml_unsafe_fields): by check, and once per version
    for issue in model.issues:
        if issue.intro is None:
            continue
        for name, value in (
            ("title", issue.intro.title),
            ("summary", issue.intro.summary),
            ("body", issue.intro.intro_html),
        ):
            char = xml_invalid(value)
            if char is not None:
                report(issue.intro.source, issue.intro.line if name == "body" else 1, 1, name, char)
    for tag in model.tags.values():
        for name, value in (("name", tag.name), ("description", tag.description)):
            char = xml_invalid(value)
            if char is not None:
                report("content/tags.yaml", 1, 1, f"{tag.slug}.{name}", char)
    for person in model.authors.pages.values():
        path, line, col, where = person.origin
        for name, value in ((where, person.name), (f"{person.slug}.affiliation", person.affiliation)):
            char = xml_invalid(value)
            if char is not None:
                report(path, line, col, name, char)
    fields = model.config.fields
    author = fields.author
    for name, value in (
        ("title", fields.title),
        ("description", fields.description),
        ("author.name", author.name if author else None),
        ("author.email", author.email if author else None),
        ("author.url", author.url if author else None),
    ):
        char = xml_invalid(value)
        if char is not None:
            report("site.yaml", 1, 1, name, char)
    return problems
