"""Feeds as records and as files: FeedItem and Feed, format-neutral, written as Atom, RSS 2.0,
JSON Feed 1.1 and an OPML list. The only module that knows feedgen (feeds.py makes the records
from the model).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree

from feedgen.feed import FeedGenerator

from digestgen import __version__
from digestgen.reuse import remembered
from digestgen.site import SiteModel

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)  # 'updated' of a feed with no items
ATOM = "application/atom+xml"
RSS = "application/rss+xml"
JSON_FEED = "application/feed+json"


@dataclass(frozen=True)
class FeedItem:
    """One entry, format-neutral."""

    id: str
    url: str
    title: str
    published: dt.datetime
    updated: dt.datetime
    summary_text: str
    summary_html: str
    content_html: str | None
    authors: tuple[str, ...] = ()
    categories: tuple[tuple[str, str, str], ...] = ()  # (slug, name, tag page URL)
    image: str | None = None
    source: str = "site.yaml"  # the file the item comes from, for error messages


@dataclass
class Feed:
    """One feed, format-neutral; path is where it is written (e.g. 'tags/vision/feed.xml')."""

    path: str
    id: str
    title: str
    subtitle: str
    home_url: str
    self_url: str
    items: list[FeedItem] = field(default_factory=list)
    newest: dt.datetime | None = None  # the updated time, when known without the items
    group: str = ""  # the folder of the OPML list it is in: "tags", "authors" (none: the site's own)

    @property
    def updated(self) -> dt.datetime:
        if self.newest is not None:
            return self.newest
        return max((item.updated for item in self.items), default=EPOCH)


def _generator(feed: Feed, model: SiteModel, self_type: str) -> FeedGenerator:
    fields = model.config.fields
    fg = FeedGenerator()
    if any(item.image for item in feed.items):
        fg.load_extension("media", atom=True, rss=True)
    fg.id(feed.id)
    fg.title(feed.title)
    fg.subtitle(feed.subtitle)
    fg.link(href=feed.self_url, rel="self", type=self_type)
    fg.link(href=feed.home_url, rel="alternate", type="text/html")  # last: feedgen makes it the RSS channel link
    fg.language(fields.language)
    author = {"name": fields.author.name if fields.author else fields.title}
    if fields.author and fields.author.email:
        author["email"] = fields.author.email
    if fields.author and fields.author.url:
        author["uri"] = fields.author.url
    fg.author(author)
    fg.generator("digestgen", version=__version__)
    fg.updated(feed.updated)
    fg.lastBuildDate(feed.updated)
    for item in feed.items:
        entry = fg.add_entry(order="append")
        entry.id(item.id)
        entry.guid(item.id, permalink=False)
        entry.title(item.title)
        entry.link(href=item.url, rel="alternate", type="text/html")
        entry.published(item.published)
        entry.updated(item.updated)
        entry.summary(item.summary_html, type="html")
        if item.content_html is not None:
            entry.content(item.content_html, type="html")
        if item.authors:
            entry.author([{"name": name} for name in item.authors])
        if item.categories:
            entry.category([{"term": slug, "label": name, "scheme": url} for slug, name, url in item.categories])
        if item.image:
            entry.media.thumbnail({"url": item.image})
    return fg


def atom(feed: Feed, model: SiteModel) -> bytes:
    """Atom 1.0 (RFC 4287), not indented: the indentation was an eighth of a digest's feeds."""
    return _generator(feed, model, ATOM).atom_str(pretty=False)  # type: ignore[no-any-return]


def rss(feed: Feed, model: SiteModel) -> bytes:
    """RSS 2.0; the channel link is the site, atom:link rel=self the feed."""
    return _generator(feed, model, RSS).rss_str(pretty=False)  # type: ignore[no-any-return]


def json_feed(feed: Feed, model: SiteModel) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    fields = model.config.fields
    body: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": feed.home_url,
        "feed_url": feed.self_url,
        "description": feed.subtitle,
        "language": fields.language,
        "authors": [{"name": fields.author.name if fields.author else fields.title,
                     **({"url": fields.author.url} if fields.author and fields.author.url else {})}],
        "items": [],
    }
    for item in feed.items:
        record: dict[str, Any] = {
            "id": item.id,
            "url": item.url,
            "title": item.title,
            "content_html": item.content_html if item.content_html is not None else item.summary_html,
            "summary": item.summary_text,
            "date_published": item.published.isoformat(),
            "date_modified": item.updated.isoformat(),
        }
        if item.image:
            record["image"] = item.image
        if item.authors:
            record["authors"] = [{"name": name} for name in item.authors]
        if item.categories:
            record["tags"] = [name for _slug, name, _url in item.categories]
        body["items"].append(record)
    return (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def opml(feeds: list[Feed], model: SiteModel) -> bytes:
    """OPML 2.0 listing every feed: issues, every paper, a folder of tags, one of authors, one of formats.

    /rss.xml and /feed.json carry exactly the items of /feed.xml, so they sit in their own
    folder ("other formats") that a reader importing the list can leave unticked.
    """
    fields = model.config.fields
    key = (fields.title, fields.author.name if fields.author else None, model.config.base_url,
           tuple((f.title, f.self_url, f.home_url, f.group, f.updated) for f in feeds))
    return remembered("opml", key, _opml, feeds, model)


def _opml(feeds: list[Feed], model: SiteModel) -> bytes:
    fields = model.config.fields
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = f"{fields.title}: feeds"
    updated = max((f.updated for f in feeds), default=EPOCH)
    ElementTree.SubElement(head, "dateModified").text = format_datetime(updated)  # RFC 822, locale-free
    if fields.author:
        ElementTree.SubElement(head, "ownerName").text = fields.author.name
    body = ElementTree.SubElement(root, "body")

    def outline(parent: ElementTree.Element, feed: Feed) -> None:
        ElementTree.SubElement(parent, "outline", type="rss", text=feed.title, title=feed.title,
                               xmlUrl=feed.self_url, htmlUrl=feed.home_url)

    outline(body, feeds[0])
    outline(body, feeds[1])
    for group in ("tags", "authors"):
        members = [feed for feed in feeds if feed.group == group]
        if members:
            folder = ElementTree.SubElement(
                body, "outline", text=f"{fields.title}: {group}", title=f"{fields.title}: {group}"
            )
            for feed in members:
                outline(folder, feed)
    formats = ElementTree.SubElement(body, "outline", text=f"{fields.title}: issues in other formats",
                                     title=f"{fields.title}: issues in other formats")
    for path, kind in (("rss.xml", "RSS"), ("feed.json", "JSON Feed")):
        ElementTree.SubElement(formats, "outline", type="rss", text=f"{feeds[0].title} ({kind})",
                               title=f"{feeds[0].title} ({kind})", xmlUrl=model.config.base_url + path,
                               htmlUrl=feeds[0].home_url)
    ElementTree.indent(root)
    out = io.BytesIO()
    ElementTree.ElementTree(root).write(out, encoding="UTF-8", xml_declaration=True)
    return out.getvalue() + b"\n"
