"""The email edition of an issue: HTML with inlined CSS plus plain text, and sending it over SMTP.

The HTML is a table layout rendered from the theme's email/ templates, CSS inlined with
css-inline (the dark-mode rules stay in a <style> block, where clients that support them read
them), every URL absolute, and kept under the size at which Gmail clips a message: when an issue
is too long, abstracts, then notes, then papers are left for the web page.
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urljoin

from markupsafe import escape

from digestgen.config import SiteConfig
from digestgen.errors import UsageError
from digestgen.site import Issue, SiteModel

MAX_HTML_BYTES = 100_000  # Gmail clips messages whose HTML is larger than about 102 KB
TEXT_WIDTH = 72
SMTP_TIMEOUT = 30.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
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
    """An issue by key, or the newest one for 'latest'."""
    if not model.issues:
        raise UsageError("the site has no published issues yet")
    if which == "latest":
        return model.issues[0]
    issue = model.issues_by_key.get(which)
    if issue is None:
        keys = ", ".join(i.key for i in model.issues[:5])
        raise UsageError(f"there is no issue {which!r}; use 'latest' or a key such as {keys}")
    return issue


def _math_as_tex(html: str) -> str:
    """Mail clients drop MathML: show the TeX source instead."""
    def swap(match: re.Match[str]) -> str:
        tex = _TEX.search(match.group(0))
        if tex is None:
            return ""
        return f"<code>$${tex.group(1)}$$</code>" if 'display="block"' in match.group(1) else f"<code>${tex.group(1)}$</code>"
    return _MATH.sub(swap, html)


class EmailRenderer:
    """Renders editions of one site through the theme's email/ templates."""

    def __init__(self, model: SiteModel):
        import jinja2

        from digestgen.render import Renderer, issue_label, paper_links

        self.model = model
        self.renderer = Renderer(model)
        self.html_env = self.renderer.env
        self.text_env = jinja2.Environment(loader=self.html_env.loader, autoescape=False, undefined=jinja2.StrictUndefined,
                                           trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
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
        return Edition(issue.key, ctx["subject"], html, text, ctx["web_url"], len(ctx["papers"]), ctx["omitted"], level.name)


def render_edition(model: SiteModel, issue: Issue) -> Edition:
    return EmailRenderer(model).render(issue)


def write_edition(config: SiteConfig, edition: Edition) -> list[Path]:
    """Write issues/<key>/email.html and email.txt into the built site (atomically per file)."""
    from digestgen.output import MANIFEST, build_lock, check_output

    output = config.output
    check_output(output, config.root)
    if not (output / MANIFEST).is_file():
        raise UsageError(f"{output.name} has no built site; run 'digestgen build' first, then 'digestgen email'")
    written = []
    with build_lock(output):
        folder = output / "issues" / edition.key
        folder.mkdir(parents=True, exist_ok=True)
        for name, body in (("email.html", edition.html), ("email.txt", edition.text)):
            target = folder / name
            tmp = folder / f".{name}.tmp-{os.getpid()}"
            tmp.write_text(body, "utf-8", newline="\n")
            os.replace(tmp, target)
            written.append(target)
    return written


# --- plain text ------------------------------------------------------------------------------


def wrap(text: str, width: int = TEXT_WIDTH, first: str | None = None, indent: str = "") -> str:
    """Fill one paragraph; URLs and long words are never broken."""
    return textwrap.fill(" ".join(text.split()), width=width, initial_indent=indent if first is None else first,
                         subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False)


class _Text(HTMLParser):
    """Sanitised HTML (our Markdown output) to readable plain text."""

    BLOCKS: ClassVar[frozenset[str]] = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "tr", "section", "hr", "table", "ul", "ol"})

    def __init__(self, base: str, width: int):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.width = width
        self.blocks: list[str] = []
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
                self.blocks.append(textwrap.indent(text.strip("\n"), "    "))
            return
        if not text.strip():
            return
        lead = "> " * self.quote
        first = lead + self.prefix
        rest = lead + " " * len(self.prefix)
        self.blocks.append(wrap(text, self.width, first=first, indent=rest))
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
    return "\n\n".join(parser.blocks)


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    implicit_tls: bool


def smtp_settings(environ: Mapping[str, str] | None = None) -> SmtpSettings:
    """SMTP settings from DIGESTGEN_SMTP_*; UsageError (exit 2) when they are missing or wrong."""
    env = os.environ if environ is None else environ
    host = env.get("DIGESTGEN_SMTP_HOST", "").strip()
    if not host:
        raise UsageError("set DIGESTGEN_SMTP_HOST (and DIGESTGEN_SMTP_PORT, DIGESTGEN_SMTP_USER, DIGESTGEN_SMTP_PASSWORD) "
                         "to send; or use --dry-run to print the message")
    raw_port = env.get("DIGESTGEN_SMTP_PORT", "").strip() or "587"
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        raise UsageError(f"DIGESTGEN_SMTP_PORT must be a port number, got {raw_port!r}")
    port = int(raw_port)
    implicit_tls = port == 465
    raw_tls = env.get("DIGESTGEN_SMTP_STARTTLS", "").strip().lower()
    if raw_tls and raw_tls not in _TRUE | _FALSE:
        raise UsageError(f"DIGESTGEN_SMTP_STARTTLS must be true or false, got {raw_tls!r}")
    starttls = not implicit_tls and raw_tls not in _FALSE
    user = env.get("DIGESTGEN_SMTP_USER") or None
    password = env.get("DIGESTGEN_SMTP_PASSWORD") or None
    if bool(user) != bool(password):
        raise UsageError("set both DIGESTGEN_SMTP_USER and DIGESTGEN_SMTP_PASSWORD, or neither")
    if user and not (starttls or implicit_tls) and host not in ("localhost", "127.0.0.1", "::1"):
        raise UsageError("refusing to send the SMTP password unencrypted; unset DIGESTGEN_SMTP_STARTTLS=0 or use port 465")
    return SmtpSettings(host, port, user, password, starttls, implicit_tls)


def parse_recipients(spec: str) -> list[str]:
    """'a@x.org,b@y.org' or '@file' (one address per line; blank lines and # comments skipped)."""
    if spec.startswith("@"):
        path = Path(spec[1:])
        try:
            raw = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the recipient list {path}: {getattr(exc, 'strerror', None) or exc}") from None
        items = [line.split("#", 1)[0] for line in raw.splitlines()]
        items = [part for line in items for part in line.split(",")]
    else:
        items = spec.split(",")
    recipients: list[str] = []
    bad: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        if not valid_address(item):
            bad.append(item)
        elif item not in recipients:
            recipients.append(item)
    if bad:
        shown = ", ".join(repr(b[:80]) for b in bad[:5])
        raise UsageError(f"not an email address: {shown}; nothing was sent")
    if not recipients:
        raise UsageError("no recipients given; pass --to a@example.org,b@example.org or --to @list.txt")
    return recipients


def valid_address(value: str) -> bool:
    if any(c in value for c in "\r\n\x00") or len(value) > 320:
        return False
    name, addr = parseaddr(value)
    if not addr or "@" not in addr:
        return False
    try:
        parsed = Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError):
        return False
    return bool(parsed.username and parsed.domain)


def build_message(model: SiteModel, edition: Edition, recipient: str, *, date: str | None = None,
                  message_id: str | None = None) -> EmailMessage:
    """A multipart/alternative message (text, then HTML) for one recipient."""
    email_cfg = model.config.fields.email
    if email_cfg is None or not email_cfg.sender:
        raise UsageError("site.yaml has no sender; add  email: {from: digest@example.org}  to send")
    sender = email_cfg.sender
    html, text = edition.html, edition.text
    msg = EmailMessage()
    msg["Subject"] = edition.subject
    msg["From"] = sender
    msg["To"] = recipient
    if email_cfg.reply_to:
        msg["Reply-To"] = email_cfg.reply_to
    msg["Date"] = date or formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    msg["Message-ID"] = message_id or make_msgid("digest", domain=domain)
    if email_cfg.unsubscribe_url:
        personal = email_cfg.unsubscribe_url.replace("{email}", quote(parseaddr(recipient)[1], safe="@"))
        html = html.replace(str(escape(email_cfg.unsubscribe_url)), str(escape(personal))).replace(email_cfg.unsubscribe_url, personal)
        text = text.replace(email_cfg.unsubscribe_url, personal)
        msg["List-Unsubscribe"] = f"<{personal}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["List-Id"] = f"{model.config.fields.title} <{edition_list_id(model)}>"
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def edition_list_id(model: SiteModel) -> str:
    from digestgen.feeds import id_domain

    return f"digest.{id_domain(model)}"


@dataclass
class Outcome:
    recipient: str
    error: str | None = None


def send_all(messages: list[tuple[str, EmailMessage]], settings: SmtpSettings,
             progress: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Send each message to its recipient; a failure for one does not stop the others.

    A connection that breaks is opened again for the next recipient; when the server cannot be
    reached or refuses the login, the remaining recipients fail with that reason at once.
    """
    outcomes: list[Outcome] = []
    client: smtplib.SMTP | None = None
    fatal: str | None = None
    try:
        for recipient, message in messages:
            outcome = Outcome(recipient, fatal)
            if fatal is None and client is None:
                try:
                    client = connect(settings)
                except (smtplib.SMTPException, OSError) as exc:
                    fatal = outcome.error = f"cannot use {settings.host}:{settings.port}: {_describe(exc)}"
            if client is not None:
                try:
                    client.send_message(message, to_addrs=[parseaddr(recipient)[1]])
                except smtplib.SMTPRecipientsRefused as exc:
                    code, reason = next(iter(exc.recipients.values()), (0, b""))
                    outcome.error = f"refused by the server: {code} {_decode(reason)}"
                except smtplib.SMTPResponseException as exc:
                    outcome.error = f"the server answered {_describe(exc)}"
                    _reset(client)
                except (smtplib.SMTPException, OSError) as exc:
                    outcome.error = f"could not send: {_describe(exc)}"
                    _close(client)
                    client = None  # open a new connection for the next recipient
            outcomes.append(outcome)
            if progress:
                progress(outcome)
    finally:
        _close(client)
    return outcomes


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    return str(exc) or type(exc).__name__


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An SMTP connection with TLS and login as the settings ask."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.implicit_tls:
        client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=SMTP_TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT)
    try:
        client.ehlo()
        if settings.starttls:
            if not client.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError(
                    f"{settings.host} does not offer STARTTLS; set DIGESTGEN_SMTP_STARTTLS=0 only for a trusted local relay")
            client.starttls(context=context)
            client.ehlo()
        if settings.user and settings.password:
            client.login(settings.user, settings.password)
    except BaseException:
        _close(client)
        raise
    return client


def _reset(client: smtplib.SMTP | None) -> None:
    if client is not None:
        try:
            client.rset()
        except (smtplib.SMTPException, OSError):
            pass


def _close(client: smtplib.SMTP | None) -> None:
    if client is None:
        return
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

