"""The email edition: `digestgen email` files, `digestgen send` against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from helpers_feeds import BASE, FEEDS_SITE, build_copy, urls_in
from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html

from digestgen.cli import main
from digestgen.errors import UsageError
from digestgen.mail import MAX_HTML_BYTES, html_to_text
from digestgen.sending import parse_recipients, smtp_settings

SMTP_ENV = ("DIGESTGEN_SMTP_HOST", "DIGESTGEN_SMTP_PORT", "DIGESTGEN_SMTP_USER", "DIGESTGEN_SMTP_PASSWORD",
            "DIGESTGEN_SMTP_STARTTLS")


@pytest.fixture(autouse=True)
def _no_smtp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SMTP_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def edition(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(site, folder of its editions) of the feeds site with `digestgen email latest` run once."""
    site = tmp_path_factory.mktemp("email") / "site"
    shutil.copytree(FEEDS_SITE, site)
    assert main(["email", "latest", "--site", str(site)]) == 0  # no build needed
    return site, site / "email"


def test_email_writes_html_and_text(edition: tuple[Path, Path]) -> None:
    _site, out = edition
    html = (out / "2025-W48/email.html").read_text("utf-8")
    text = (out / "2025-W48/email.txt").read_text("utf-8")
    assert len(html.encode("utf-8")) < MAX_HTML_BYTES
    assert "Agents at scale: &lt;b&gt;bold&lt;/b&gt; &amp; friends" in html and "Agents at work" in html
    assert "Agents at scale: <b>bold</b> & friends" in text


def test_email_puts_the_curator_note_before_the_abstract(edition: tuple[Path, Path]) -> None:
    _site, out = edition
    for name in ("email.html", "email.txt"):
        body = (out / "2025-W48" / name).read_text("utf-8")
        assert body.index("A short note with") < body.index("Work, by agents."), name


def test_email_html_is_inlined_tables_with_absolute_urls(edition: tuple[Path, Path]) -> None:
    _site, out = edition
    html = (out / "2025-W48/email.html").read_text("utf-8")
    tree = lxml_html.document_fromstring(html)
    assert tree.xpath("//table[@role='presentation']")
    styles = tree.xpath("//style")
    assert len(styles) == 1 and "prefers-color-scheme: dark" in styles[0].text  # only the dark-mode rules stay
    assert tree.xpath("//meta[@name='color-scheme']/@content") == ["light dark"]
    cells = tree.xpath("//td[contains(concat(' ', @class, ' '), ' cell ')]")
    assert cells and all("font-family" in td.get("style", "") for td in cells)  # CSS inlined
    assert not tree.xpath("//script|//iframe|//form|//link[@rel='stylesheet']")
    for element in tree.iter():
        if isinstance(element.tag, str):
            assert not [a for a in element.attrib if a.lower().startswith("on")]
    urls = urls_in(html.split("<body", 1)[1].split(">", 1)[1].rsplit("</body>", 1)[0])
    assert urls and all(u.startswith(("https://", "http://", "mailto:")) for u in urls), urls
    assert BASE + "issues/2025-W48/" in urls and BASE + "papers/p-alpha/" in urls
    assert BASE + "issues/2025-W48/papers/p-beta/" in urls  # the intro's relative link, resolved
    assert "https://lists.example.org/unsubscribe?list=feeds&amp;email={email}" in html
    assert "javascript:" not in "".join(urls)


def test_email_text_is_readable_plain_text(edition: tuple[Path, Path]) -> None:
    _site, out = edition
    text = (out / "2025-W48/email.txt").read_text("utf-8")
    lines = text.splitlines()
    assert lines[:4] == ["Feed Test Digest", "Agents & pictures", "Week 48 · 24–30 Nov 2025 · 2 papers",
                         f"Read on the web: {BASE}issues/2025-W48/"]
    for line in lines:
        assert len(line) <= 72 or re.search(r"\S{30,}", line), line  # only unbreakable URLs overflow
    assert not re.search(r"<(p|a|em|div|td)\b", text)
    assert "1. Agents at scale: <b>bold</b> & friends [featured]" in text
    assert f"   {BASE}papers/p-alpha/" in lines
    assert "   Code: https://github.com/example/alpha" in lines
    assert "   - one\n   - two\n" in text
    assert f"beta <{BASE}papers/p-beta/>" in text
    assert "↩" not in text  # footnote back-links mean nothing in text
    assert "Unsubscribe: https://lists.example.org/unsubscribe?list=feeds&email={email}" in lines


def test_email_for_a_key_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site, out = build_copy(tmp_path)
    published = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert main(["email", "2025-W47", "--site", str(site), "--output", str(tmp_path / "mail")]) == 0
    html = (tmp_path / "mail" / "2025-W47/email.html").read_text("utf-8")
    assert re.search(r"<code[^>]*>\$a\+b\$</code>", html) and "<math" not in html  # mail clients drop MathML
    assert main(["email", "2024-W01", "--site", str(site), "--output", str(tmp_path / "mail")]) == 2
    assert "there is no issue '2024-W01'" in capsys.readouterr().err
    # never into a built site: it is replaced whole by a build, never changed after it
    for inside in (site / "public", site / "public" / "issues", tmp_path, out, out / "issues" / "2025-W47"):
        assert main(["email", "latest", "--site", str(site), "--output", str(inside)]) == 2
        assert "the built site is only ever replaced whole" in capsys.readouterr().err
    assert main(["email", "latest", "--site", str(site), "-o", str(site / "content" / "mail")]) == 2
    assert "it holds the site's sources" in capsys.readouterr().err
    (site / "email").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert main(["email", "latest", "--site", str(site)]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()} == published
    assert not (site / "public").exists()


def test_huge_issue_is_shortened_under_the_clipping_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    shutil.copytree(FEEDS_SITE, site)
    note = "A long note about the paper, repeated to make the issue heavy. " * 40
    for n in range(150):
        (site / f"content/papers/2025/bulk-{n:03d}.md").write_text(
            f'---\ntitle: Bulk paper number {n}\ndate: 2025-11-25\narxiv: "2511.{10000 + n}"\n'
            f"authors: [Someone Else]\ntldr: Bulk finding {n}.\n---\n{note}\n", "utf-8")
    capsys.readouterr()
    assert main(["email", "latest", "--site", str(site)]) == 0
    assert "shortened to fit" in capsys.readouterr().out
    html = (site / "email/2025-W48/email.html").read_bytes()
    assert len(html) < MAX_HTML_BYTES
    assert f"{BASE}issues/2025-W48/".encode() in html


def test_html_to_text() -> None:
    source = ('<p>See <a href="/x/">this</a> and <a href="https://e.org/">https://e.org/</a>.</p>'
              '<ol><li>first</li><li>second</li></ol><blockquote><p>quoted</p></blockquote>'
              '<p><math display="inline"><semantics><mrow><mi>x</mi></mrow>'
              '<annotation encoding="application/x-tex">x^2</annotation></semantics></math> done</p>')
    assert html_to_text(source, "https://s.org/d/") == (
        "See this <https://s.org/x/> and https://e.org/.\n\n1. first\n2. second\n\n> quoted\n\n$x^2$ done")


# --- send ------------------------------------------------------------------------------------


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps every message and refuses bounce@ recipients."""

    envelopes: list[Any] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("bounce@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def smtp_server(**kwargs: Any) -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site, _out = build_copy(tmp_path_factory.mktemp("send"))
    return site


def use_server(monkeypatch: pytest.MonkeyPatch, port: int, **extra: str) -> None:
    monkeypatch.setenv("DIGESTGEN_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("DIGESTGEN_SMTP_PORT", str(port))
    monkeypatch.setenv("DIGESTGEN_SMTP_STARTTLS", "0")
    for name, value in extra.items():
        monkeypatch.setenv(name, value)


def parts(message: email.message.EmailMessage) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


def test_send_to_a_real_smtp_server_reports_each_recipient(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    recipients = tmp_path / "list.txt"
    recipients.write_text(
        "# readers\nfirst@example.com\nbounce@example.com\n\nReader Two <second+news@example.com>\n", "utf-8"
    )
    with smtp_server() as (recorder, port):
        use_server(monkeypatch, port)
        code = main(["send", "latest", "--to", f"@{recipients}", "--site", str(site)])
    captured = capsys.readouterr()
    assert code == 1  # one recipient failed
    assert "failed: bounce@example.com: refused by the server: 550 5.1.1 no such mailbox" in captured.err
    assert "sent: first@example.com" in captured.out and "sent: Reader Two <second+news@example.com>" in captured.out
    assert "sent 2 of 3" in captured.out
    assert [e.rcpt_tos for e in recorder.envelopes] == [["first@example.com"], ["second+news@example.com"]]
    for envelope, to in zip(recorder.envelopes, ["first@example.com", "Reader Two <second+news@example.com>"]):
        assert envelope.mail_from == "digest@example.org"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert message.get_content_type() == "multipart/alternative"
        assert message["To"] == to
        assert message["From"] == "Feed Test Digest <digest@example.org>"
        assert message["Reply-To"] == "editors@example.org"
        assert message["Subject"] == "Feed Test Digest: Agents & pictures"
        body = parts(message)
        assert list(body) == ["text/plain", "text/html"]
        assert "Agents at work" in body["text/plain"] and "Agents at work" in body["text/html"]
    second = email.message_from_bytes(recorder.envelopes[1].content, policy=email.policy.default)
    unsubscribe = "https://lists.example.org/unsubscribe?list=feeds&email=second%2Bnews@example.com"
    assert second["List-Unsubscribe"].strip() == f"<{unsubscribe}>"
    assert second["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.replace("&", "&amp;") in parts(second)["text/html"]
    assert f"Unsubscribe: {unsubscribe}" in parts(second)["text/plain"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_send_with_login(site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        ok = data.login == b"curator" and data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    with smtp_server(authenticator=authenticator, auth_require_tls=False, auth_required=True) as (recorder, port):
        use_server(monkeypatch, port, DIGESTGEN_SMTP_USER="curator", DIGESTGEN_SMTP_PASSWORD="s3cret")
        assert main(["send", "2025-W47", "--to", "a@example.com,b@example.com", "--site", str(site)]) == 0
        assert len(recorder.envelopes) == 2
        monkeypatch.setenv("DIGESTGEN_SMTP_PASSWORD", "wrong")
        assert main(["send", "2025-W47", "--to", "a@example.com,b@example.com", "--site", str(site)]) == 1
        assert len(recorder.envelopes) == 2
    # smtplib tries PLAIN, then LOGIN, on one connection; a refused login is not tried again per recipient
    assert logins[0] == (b"curator", b"s3cret") and logins[1:] == [(b"curator", b"wrong")] * 2
    err = capsys.readouterr().err
    for address in ("a@example.com", "b@example.com"):
        assert f"failed: {address}: cannot use 127.0.0.1:" in err and "535" in err


def test_send_to_an_unreachable_server_fails_every_recipient_at_once(
        site: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    use_server(monkeypatch, free_port())  # nothing listens there
    assert main(["send", "latest", "--to", "a@example.com,b@example.com,c@example.com", "--site", str(site)]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("failed: ") == 3 and "cannot use 127.0.0.1:" in captured.err
    assert "sent 0 of 3" in captured.out


def test_send_refuses_a_server_without_starttls(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    with smtp_server() as (recorder, port):
        use_server(monkeypatch, port, DIGESTGEN_SMTP_STARTTLS="1")
        assert main(["send", "latest", "--to", "a@example.com", "--site", str(site)]) == 1
    assert recorder.envelopes == []
    assert "does not offer STARTTLS" in capsys.readouterr().err


def test_dry_run_prints_the_headers_and_the_text_part_readably(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "latest", "--to", "one@example.com,two@example.com", "--dry-run", "--site", str(site)]) == 0
    printed = capsys.readouterr().out
    shown, _, tail = printed.partition("dry run: the same message would go to two@example.com")
    head, _, body = shown.partition("\n\n")
    headers = dict(line.split(": ", 1) for line in head.splitlines())
    assert headers["To"] == "one@example.com" and headers["Subject"] and "Content-Type" not in headers
    assert headers["List-Unsubscribe"] == "<https://lists.example.org/unsubscribe?list=feeds&email=one@example.com>"
    text, _, html = body.partition("----- text/html -----")
    assert text.startswith("----- text/plain -----\nFeed Test Digest\n")
    assert "Agents at scale" in text and "Content-Transfer-Encoding" not in printed
    assert not re.search(r"^[A-Za-z0-9+/]{60,}={0,2}$", printed, flags=re.MULTILINE), "a base64 line"
    assert re.fullmatch(
        r"\n\(\d{1,3}(,\d{3})* bytes, not shown: 'digestgen email 2025-W48' writes it to a file\)\n", html
    )
    assert "2 messages not sent" in tail


def test_send_configuration_errors_exit_2(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "latest", "--to", "a@example.com", "--site", str(site)]) == 2
    assert "DIGESTGEN_SMTP_HOST" in capsys.readouterr().err
    assert main(["send", "latest", "--to", "not-an-address,b@example.com", "--dry-run", "--site", str(site)]) == 2
    assert "not an email address: 'not-an-address'" in capsys.readouterr().err
    assert (
        main(["send", "latest", "--to", "a@example.com\r\nBcc: x@evil.example", "--dry-run", "--site", str(site)]) == 2
    )
    capsys.readouterr()
    no_sender = tmp_path / "site"
    shutil.copytree(site, no_sender)
    yaml = no_sender / "site.yaml"
    yaml.write_text(re.sub(r"email:\n(  .*\n)+", "", yaml.read_text("utf-8")), "utf-8")
    assert main(["send", "latest", "--to", "a@example.com", "--dry-run", "--site", str(no_sender)]) == 2
    assert "add  email: {from: digest@example.org}" in capsys.readouterr().err


def test_smtp_settings() -> None:
    settings = smtp_settings({"DIGESTGEN_SMTP_HOST": "smtp.example.org"})
    assert (settings.port, settings.starttls, settings.implicit_tls, settings.user) == (587, True, False, None)
    assert smtp_settings({"DIGESTGEN_SMTP_HOST": "smtp.example.org", "DIGESTGEN_SMTP_PORT": "465"}).implicit_tls
    for bad, message in (
        ({"DIGESTGEN_SMTP_PORT": "smtp"}, "must be a port number"),
        ({"DIGESTGEN_SMTP_STARTTLS": "maybe"}, "must be true or false"),
        ({"DIGESTGEN_SMTP_USER": "me"}, "set both"),
        (
            {"DIGESTGEN_SMTP_USER": "me", "DIGESTGEN_SMTP_PASSWORD": "pw", "DIGESTGEN_SMTP_STARTTLS": "no"},
            "refusing to send the SMTP password unencrypted",
        ),
    ):
        with pytest.raises(UsageError, match=message):
            smtp_settings({"DIGESTGEN_SMTP_HOST": "smtp.example.org", **bad})


def test_parse_recipients(tmp_path: Path) -> None:
    assert parse_recipients(" a@example.com , b@example.com,a@example.com ") == ["a@example.com", "b@example.com"]
    listing = tmp_path / "to.txt"
    listing.write_text(
        'x@example.com # first\n\n# comment\ny@example.com, z@example.com\n"Doe, Jane" <jane@example.com>\n'
        "odd#local@example.com\n",
        "utf-8",
    )
    assert parse_recipients(f"@{listing}") == [
        "x@example.com",
        "y@example.com",
        "z@example.com",
        '"Doe, Jane" <jane@example.com>',
        "odd#local@example.com",
    ]
    with pytest.raises(UsageError, match="cannot read the recipient list"):
        parse_recipients(f"@{tmp_path / 'missing.txt'}")
    with pytest.raises(UsageError, match="no recipients"):
        parse_recipients(" , ")


@given(st.text(alphabet=st.sampled_from("ab cd\n*_-[]()#>1.$^/:"), max_size=300))
def test_any_note_becomes_wrapped_plain_text(source: str) -> None:
    from digestgen.markdown import render

    text = html_to_text(render(source, doc_id="p").html, "https://s.org/", 40)
    assert "<p>" not in text and "</" not in text
    for line in text.splitlines():
        assert len(line) <= 40 or " " not in line.strip().lstrip("> -").strip() or re.search(r"\S{20,}", line), line


def test_site_yaml_email_and_id_domain_are_validated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "site.yaml").write_text(
        'title: T\nbase_url: https://example.org/\nfeeds: {id_domain: "https://x.org/"}\n'
        'email:\n  from: not an address\n  reply_to: "Editors <ed@example.org>"\n',
        "utf-8",
    )
    assert main(["check", "--site", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "site.yaml:3:20: feeds.id_domain: 'https://x.org/' is not a domain name" in err
    assert "site.yaml:5:9: email.from: 'not an address' is not an email address" in err
    assert "reply_to" not in err


def test_email_reads_well_in_light_and_dark_clients(edition: tuple[Path, Path]) -> None:
    """Chromium stands in for a client that honours prefers-color-scheme (Apple Mail, iOS)."""
    from helpers_theme import CHROMIUM, CHROMIUM_ARGS, chromium_or_skip
    from playwright import sync_api

    chromium_or_skip()
    _site, out = edition
    url = (out / "2025-W48/email.html").as_uri()
    colours = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for scheme in ("light", "dark"):
                page = browser.new_page(color_scheme=scheme, viewport={"width": 380, "height": 800})
                page.route(
                    "**/*",
                    lambda route: route.abort() if not route.request.url.startswith("file:") else route.continue_(),
                )
                page.goto(url)
                colours[scheme] = page.evaluate("""() => {
                    const style = (sel) => getComputedStyle(document.querySelector(sel));
                    return {bg: style('.container').backgroundColor, text: style('.cell').color,
                            link: style('.cell a').color, wide: document.documentElement.scrollWidth};
                }""")
                page.close()
        finally:
            browser.close()

    def luminance(rgb: str) -> float:
        r, g, b = (int(x) for x in re.findall(r"\d+", rgb)[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = colours["light"], colours["dark"]
    assert luminance(light["bg"]) > 200 and luminance(light["text"]) < 80
    assert luminance(dark["bg"]) < 60 and luminance(dark["text"]) > 180 and luminance(dark["link"]) > 120
    assert light["wide"] <= 380 and dark["wide"] <= 380  # no sideways scrolling on a phone
