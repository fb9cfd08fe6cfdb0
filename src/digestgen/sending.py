"""Sending editions over SMTP: settings from the environment, one message per recipient.

Each recipient gets their own multipart/alternative message (text, then HTML), so addresses are
never disclosed to each other and List-Unsubscribe can be personal. A refused recipient is
reported and the others still get theirs.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import quote

from markupsafe import escape

from digestgen.errors import UsageError
from digestgen.mail import Edition
from digestgen.site import SiteModel

SMTP_TIMEOUT = 30.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}



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
        raise UsageError(
            "set DIGESTGEN_SMTP_HOST (and DIGESTGEN_SMTP_PORT, DIGESTGEN_SMTP_USER, DIGESTGEN_SMTP_PASSWORD) "
            "to send; or use --dry-run to print the message"
        )
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
        raise UsageError(
            "refusing to send the SMTP password unencrypted; unset DIGESTGEN_SMTP_STARTTLS=0 or use port 465"
        )
    return SmtpSettings(host, port, user, password, starttls, implicit_tls)


def parse_recipients(spec: str) -> list[str]:
    """'a@x.org,b@y.org' or '@file' (one address per line; blank lines and # comments skipped)."""
    if spec.startswith("@"):
        path = Path(spec[1:])
        try:
            raw = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(
                f"cannot read the recipient list {path}: {getattr(exc, 'strerror', None) or exc}"
            ) from None
        lines = [line.split(" #", 1)[0] for line in raw.splitlines() if not line.lstrip().startswith("#")]
        items = [part for line in lines for part in split_addresses(line)]
    else:
        items = split_addresses(spec)
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


def split_addresses(text: str) -> list[str]:
    """Split at commas outside quotes and <...>: 'Doe, Jane <j@x.org>' stays one address."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    angle = 0
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == "<" and not quoted:
            angle += 1
        elif char == ">" and not quoted:
            angle = max(0, angle - 1)
        if char == "," and not quoted and not angle:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


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
    msg["Date"] = date or format_datetime(dt.datetime.now(dt.timezone.utc))
    domain = parseaddr(sender)[1].rpartition("@")[2] or None
    msg["Message-ID"] = message_id or make_msgid("digest", domain=domain)
    if email_cfg.unsubscribe_url:
        personal = email_cfg.unsubscribe_url.replace("{email}", quote(parseaddr(recipient)[1], safe="@"))
        html = html.replace(str(escape(email_cfg.unsubscribe_url)), str(escape(personal))).replace(
            email_cfg.unsubscribe_url, personal
        )
        text = text.replace(email_cfg.unsubscribe_url, personal)
        msg["List-Unsubscribe"] = f"<{personal}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["List-Id"] = f"{model.config.fields.title} <{edition_list_id(model)}>"
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def readable(message: EmailMessage, issue_key: str) -> str:
    """The message as a person checks it: its headers, the text part as text (not base64), and
    the size of the HTML part, which `digestgen email` writes to a file to look at."""
    lines = [f"{name}: {value}" for name, value in message.items() if name not in ("MIME-Version", "Content-Type")]
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    lines += ["", "----- text/plain -----", (text.get_content() if text else "").rstrip("\n"), "----- text/html -----"]
    if html is not None:
        size = len(html.get_content().encode("utf-8"))
        lines.append(f"({size:,} bytes, not shown: 'digestgen email {issue_key}' writes it to a file)")
    return "\n".join(lines) + "\n"


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
                    f"{settings.host} does not offer STARTTLS; set DIGESTGEN_SMTP_STARTTLS=0 only for a trusted local "
                    "relay"
                )
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

