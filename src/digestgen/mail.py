"""The email edition of an issue: HTML with inlined CSS plus plain text (sending.py sends it).

The HTML is a table layout rendered from the theme's email/ templates, CSS inlined with
css-inline (the dark-mode rules stay in a <style> block, where clients that support them read
them), every URL absolute, and kept under the size at which Gmail clips a message: when an issue
is too long, abstracts, then notes, then papers are left for the web page.
"""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin

from digestgen.config import SiteConfig
from digestgen.errors import UsageError
from digestgen.publish import moment_text
from digestgen.site import Issue, SiteModel

MAX_HTML_BYTES = 100_000  # Gmail clips messages whose HTML is larger than about 102 KB
TEXT_WIDTH = 72
_MATH = re.compile(r"<math\b([^>]*)>.*?</math>", re.DOTALL)
_TEX = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.DOTALL)


@dataclass(frozen=True)
class Edition:
    """One issue, ready to send."""

    key: str
    subject: str
    html: str
    text: str
    web_url: str
    shown: int  # papers with their text
    omitted: int  # papers left for the web page
    level: str  # "full", "short", "titles" or "cut"


@dataclass(frozen=True)
class Level:
    name: str
    abstracts: bool
    notes: bool
    papers: int | None  # None: all


LEVELS = [Level("full", True, True, None), Level("short", False, True, None), Level("titles", False, False, None)]


def pick_issue(model: SiteModel, which: str) -> Issue:
    """An issue by key (one not yet published only with --future or --drafts), or the newest
    published one for 'latest'."""
    published = [i for i in model.issues if i.published]
    if which == "latest":
        if not published:
            raise UsageError("the site has no published issues yet" + _next(model))
        return published[0]
    issue = model.issues_by_key.get(which)
    if issue is None:
        held = next((i for i in model.upcoming if i.key == which), None)
        if held is not None:
            when = f"publishes {moment_text(held.publish_at)}" if held.publish_at else "is held back as a draft"
            flag = "--future" if held.publish_at else "--drafts"
            raise UsageError(f"issue {which} is not published yet ({when}); preview it with {flag}")
        keys = ", ".join(i.key for i in published[:5]) or "none yet"
        raise UsageError(f"there is no issue {which!r}; use 'latest' or a key such as {keys}")
    return issue


def _next(model: SiteModel) -> str:
    upcoming = model.next_issue
    return f"; the first, {upcoming.key}, publishes {moment_text(upcoming.publish_at)}" \
        if upcoming is not None and upcoming.publish_at is not None else ""


def _math_as_tex(html: str) -> str:
    """Mail clients drop MathML: show the TeX source instead."""
    def swap(match: re.Match[str]) -> str:
        tex = _TEX.search(match.group(0))
        if tex is None:
            return ""
        return (
            f"<code>$${tex.group(1)}$$</code>"
            if 'display="block"' in match.group(1)
            else f"<code>${tex.group(1)}$</code>"
        )

    return _MATH.sub(swap, html)


class EmailRenderer:
    """Renders editions of one site through the theme's email/ templates."""

    def __init__(self, model: SiteModel):
        import jinja2

        from digestgen.render import Renderer, issue_label, paper_links

        self.model = model
        self.renderer = Renderer(model)
        self.html_env = self.renderer.env
        self.text_env = jinja2.Environment(
            loader=self.html_env.loader,
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.text_env.filters["wrap"] = wrap
        self.label = lambda issue: issue_label(issue, model.config.fields.cadence)
        self.links = paper_links

    def context(self, issue: Issue, level: Level) -> dict[str, Any]:
        from digestgen.feeds import absolutize
        from digestgen.render import authors_short

        url = self.renderer.abs_url
        fields = self.model.config.fields
        web_url = url(f"/issues/{issue.key}/")
        label = self.label(issue)
        title = issue.title or label
        shown = issue.papers if level.papers is None else issue.papers[: level.papers]
        papers = []
        for paper in shown:
            page = url(f"/papers/{paper.id}/")
            abstract = paper.abstract_html if level.abstracts and not paper.tldr else ""
            note = paper.note_html if level.notes else ""
            papers.append({
                "title": paper.title,
                "url": page,
                "featured": paper.featured,
                "authors": authors_short(paper.authors, 6),
                "links": [(name, href) for _label, name, href in self.links(paper) if href],
                "tldr": paper.tldr,
                "abstract_html": _math_as_tex(absolutize(abstract, page)),
                "abstract_text": html_to_text(abstract, page, TEXT_WIDTH - 3),
                "note_html": _math_as_tex(absolutize(note, page)),
                "note_text": html_to_text(note, page, TEXT_WIDTH - 3),
            })
        intro_html = issue.intro.intro_html if issue.intro else ""
        summary = issue.intro.summary if issue.intro and issue.intro.summary else None
        preheader = summary or "; ".join(p.title for p in issue.papers[:3])
        email_cfg = fields.email
        return {
            "site": fields,
            "issue": issue,
            "subject": f"{fields.title}: {title}",
            "title": title,
            "label": label,
            "summary": summary,
            "preheader": preheader[:200],
            "count": len(issue.papers),
            "intro_html": _math_as_tex(absolutize(intro_html, web_url)),
            "intro_text": html_to_text(intro_html, web_url),
            "papers": papers,
            "omitted": len(issue.papers) - len(shown),
            "shortened": not (level.abstracts and level.notes),
            "home_url": url("/"),
            "web_url": web_url,
            "archive_url": url("/issues/"),
            "feed_url": url("/feed.xml"),
            "unsubscribe_url": email_cfg.unsubscribe_url if email_cfg else None,
            "rule": "-" * TEXT_WIDTH,
        }

    def render(self, issue: Issue, limit: int = MAX_HTML_BYTES) -> Edition:
        """The richest edition whose HTML fits in limit bytes."""
        import css_inline

        inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)
        template = self.html_env.get_template("email/issue.html")

        def attempt(level: Level) -> tuple[dict[str, Any], str]:
            ctx = self.context(issue, level)
            return ctx, inliner.inline(template.render(ctx))

        def fits(html: str) -> bool:
            return len(html.encode("utf-8")) <= limit

        for level in LEVELS:
            ctx, html = attempt(level)
            if fits(html):
                break
        else:
            # still too big: the most papers (titles only) that fit, found by bisection
            lo, hi = 1, len(issue.papers) - 1
            ctx, html = attempt(Level("cut", False, False, lo))
            while lo < hi:
                mid = (lo + hi + 1) // 2
                tried = attempt(Level("cut", False, False, mid))
                if fits(tried[1]):
                    lo, (ctx, html) = mid, tried
                else:
                    hi = mid - 1
            level = Level("cut", False, False, lo)
        text = self.text_env.get_template("email/issue.txt").render(ctx)
        return Edition(
            issue.key, ctx["subject"], html, text, ctx["web_url"], len(ctx["papers"]), ctx["omitted"], level.name
        )


def render_edition(model: SiteModel, issue: Issue) -> Edition:
    return EmailRenderer(model).render(issue)


EMAIL_DIR = "email"  # in the site folder, beside public/: where `digestgen email` writes by default


def edition_folder(config: SiteConfig, chosen: Path | None = None) -> Path:
    """Where `digestgen email` writes: chosen, else email/ in the site; never in the built site
    (a published folder is only ever replaced whole, by a build) nor among the sources."""
    root = config.root.resolve()
    folder = (chosen or root / EMAIL_DIR).absolute()
    resolved = folder.resolve()
    shown = chosen or EMAIL_DIR
    from digestgen.manifest import MANIFEST

    built = [
        place for place in (resolved, *resolved.parents) if (place / MANIFEST).is_file()
    ]  # any output of digestgen's
    if built or resolved.is_relative_to(config.output.resolve()) or config.output.resolve().is_relative_to(resolved):
        raise UsageError(f"refusing to write the email edition into {shown}: the built site is only ever "
                         f"replaced whole by 'digestgen build'; choose another --output")
    for place in (root, root / "content", root / "static", root / "templates", root / "themes"):
        if resolved == place or (place != root and resolved.is_relative_to(place)):
            raise UsageError(f"refusing to write the email edition into {shown}: it holds the site's sources")
    if folder.is_symlink():
        raise UsageError(f"refusing to write the email edition into {shown}: it is a symbolic link")
    return folder


def write_edition(folder: Path, edition: Edition) -> list[Path]:
    """Write <key>/email.html and email.txt into folder (each atomically)."""
    from digestgen.output import write_file

    target = folder / edition.key
    if target.is_symlink():
        raise UsageError(f"refusing to write the email edition into {target}: it is a symbolic link")
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in (("email.html", edition.html), ("email.txt", edition.text)):
        path = target / name
        tmp = target / f".{name}.tmp-{os.getpid()}"
        write_file(tmp, body)  # a full disk names the file
        os.replace(tmp, path)
        written.append(path)
    return written


# --- plain text ------------------------------------------------------------------------------


def wrap(text: str, width: int = TEXT_WIDTH, first: str | None = None, indent: str = "") -> str:
    """Fill one paragraph; URLs and long words are never broken."""
    return textwrap.fill(" ".join(text.split()), width=width, initial_indent=indent if first is None else first,
                         subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


class _Text(HTMLParser):
    """Sanitised HTML (our Markdown output) to readable plain text."""

    BLOCKS: ClassVar[frozenset[str]] = frozenset(
        {
            "p",
            "div",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "li",
            "blockquote",
            "pre",
            "tr",
            "section",
            "hr",
            "table",
            "ul",
            "ol",
        }
    )

    def __init__(self, base: str, width: int):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.width = width
        self.blocks: list[tuple[str, bool]] = []  # (text, inside a list)
        self.words: list[str] = []
        self.prefix = ""
        self.lists: list[list[int]] = []  # per open list: [next number] or [] for bullets
        self.links: list[str | None] = []
        self.quote = 0
        self.pre = 0
        self.math = 0
        self.tex: list[str] | None = None
        self.skip = False
        self.link_start = 0

    def flush(self) -> None:
        text = "".join(self.words)
        self.words = []
        if self.pre:
            if text.strip("\n"):
                self.blocks.append((textwrap.indent(text.strip("\n"), "    "), False))
            return
        if not text.strip():
            return
        lead = "> " * self.quote
        first = lead + self.prefix
        rest = lead + " " * len(self.prefix)
        self.blocks.append((wrap(text, self.width, first=first, indent=rest), bool(self.lists)))
        self.prefix = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "a" and "footnote-backref" in (attr.get("class") or ""):
            self.skip = True  # the "back to text" arrow means nothing in plain text
        if self.skip:
            return
        if tag == "math":
            self.math += 1
            return
        if self.math:
            if tag == "annotation":
                self.tex = []
            return
        if tag in self.BLOCKS:
            self.flush()
        if tag in ("ul", "ol"):
            self.lists.append([1] if tag == "ol" else [])
        elif tag == "li":
            numbering = self.lists[-1] if self.lists else []
            depth = "  " * max(0, len(self.lists) - 1)
            if numbering:
                self.prefix = f"{depth}{numbering[0]}. "
                numbering[0] += 1
            else:
                self.prefix = f"{depth}- "
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "br":
            self.flush()
        elif tag == "a":
            href = attr.get("href") or ""
            self.links.append(None if href.startswith("#") or not href else urljoin(self.base, href))
            self.link_start = len(self.words)
        elif tag == "img":
            alt = attr.get("alt")
            if alt:
                self.words.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            self.skip = tag != "a"
            return
        if tag == "math":
            self.math = max(0, self.math - 1)
            return
        if self.math:
            if tag == "annotation" and self.tex is not None:
                self.words.append("$" + "".join(self.tex).strip() + "$")
                self.tex = None
            return
        if tag == "a" and self.links:
            href = self.links.pop()
            label = "".join(self.words[self.link_start:]).strip()
            if href and href != label and href.rstrip("/") != label.rstrip("/"):
                self.words.append(f" <{href}>")
        elif tag in ("ul", "ol") and self.lists:
            self.flush()
            self.lists.pop()
        elif tag == "blockquote":
            self.flush()
            self.quote = max(0, self.quote - 1)
        elif tag == "pre":
            self.flush()
            self.pre = max(0, self.pre - 1)
        elif tag in self.BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.math:
            if self.tex is not None:
                self.tex.append(data)
            return
        self.words.append(data)


def html_to_text(html: str, base: str, width: int = TEXT_WIDTH) -> str:
    """Plain text of sanitised HTML: wrapped paragraphs, '- ' lists, links as <URL>, math as $TeX$."""
    if not html:
        return ""
    parser = _Text(base, width)
    parser.feed(html)
    parser.close()
    parser.flush()
    out: list[str] = []
    previous_in_list = False
    for text, in_list in parser.blocks:
        if out:
            out.append("\n" if in_list and previous_in_list else "\n\n")  # list items stay together
        out.append(text)
        previous_in_list = in_list
    return "".join(out)
