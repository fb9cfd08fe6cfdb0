"""Feeds: the only module that knows feedgen. One item per issue (Atom and RSS)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from markupsafe import escape

from digestgen.site import Issue, SiteModel

_ROOT_RELATIVE = re.compile(r'(\s(?:href|src))="/(?!/)')


def absolutize(html: str, base_url: str) -> str:
    """Make every root-relative href/src in our own rendered HTML absolute."""
    origin = "{0.scheme}://{0.netloc}/".format(urlsplit(base_url))
    return _ROOT_RELATIVE.sub(lambda m: f'{m.group(1)}="{origin}', html)


def tag_uri(base_url: str, specific: str, day: dt.date | None) -> str:
    """A stable id: tag:host,date:specific. Independent of http/https and of the path."""
    host = urlsplit(base_url).hostname or "localhost"
    return f"tag:{host},{(day or dt.date(2000, 1, 1)).isoformat()}:{specific}"


def stamp(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz)


def issue_html(model: SiteModel, issue: Issue, url) -> str:  # type: ignore[no-untyped-def]
    parts = []
    if issue.intro and issue.intro.intro_html:
        parts.append(issue.intro.intro_html)
    for paper in issue.papers:
        parts.append(f'<h2><a href="{escape(url(f"/papers/{paper.id}/"))}">{escape(paper.title)}</a></h2>')
        if paper.authors:
            parts.append(f"<p><em>{escape(', '.join(paper.authors))}</em></p>")
        if paper.tldr:
            parts.append(f"<p>{escape(paper.tldr)}</p>")
        if paper.note_html:
            parts.append(paper.note_html)
    return absolutize("\n".join(parts), model.config.base_url)


def issue_feeds(model: SiteModel, url, label) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """/feed.xml (Atom) and /rss.xml (RSS 2.0), one item per issue, newest first."""
    cfg = model.config
    fields = cfg.fields
    fg = FeedGenerator()
    start = model.issues[-1].start if model.issues else None
    fg.id(tag_uri(cfg.base_url, "feed", start))
    fg.title(fields.title)
    fg.subtitle(fields.description or fields.title)
    fg.link(href=cfg.base_url, rel="alternate")
    fg.language(fields.language)
    if fields.author:
        fg.author({"name": fields.author.name, **({"email": fields.author.email} if fields.author.email else {})})
    updated = stamp(model.updated or dt.date(2000, 1, 1), cfg.tz)
    fg.updated(updated)
    fg.lastBuildDate(updated)
    fg.generator("digestgen")
    for issue in model.issues[: fields.feeds.limit]:
        entry = fg.add_entry(order="append")
        newest = max(p.date for p in issue.papers)
        entry.id(tag_uri(cfg.base_url, f"issue:{issue.key}", issue.start))
        entry.guid(tag_uri(cfg.base_url, f"issue:{issue.key}", issue.start), permalink=False)
        entry.title(f"{fields.title}: {issue.title or label(issue)}")
        entry.link(href=cfg.base_url + f"issues/{issue.key}/")
        entry.updated(stamp(newest, cfg.tz))
        entry.published(stamp(newest, cfg.tz))
        entry.content(issue_html(model, issue, url), type="CDATA" if False else "html")
    fg.link(href=cfg.base_url + "feed.xml", rel="self", replace=False)
    atom = fg.atom_str(pretty=True)
    fg.link(href=cfg.base_url + "rss.xml", rel="self", replace=True)
    fg.link(href=cfg.base_url, rel="alternate")
    rss = fg.rss_str(pretty=True)
    return {"feed.xml": atom, "rss.xml": rss}
