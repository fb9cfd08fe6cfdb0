"""`digestgen check --links` against a local server that answers 200, 301, 404, 429, 500, slowly and never."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from digestgen.cache import cache_folder
from digestgen.cli import main
from digestgen.config import BuildOptions
from digestgen.link_gathering import markdown_urls
from digestgen.links import (
    ALLOW_PRIVATE_ENV,
    MEMORY_FORMAT,
    Checker,
    check_links,
    gather,
    remembered_for,
    request_url,
)
from digestgen.load import check
from digestgen.site_schema import LinkCheck


class Server:
    """A 127.0.0.1 server whose paths say how to answer; it counts requests and concurrency."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        self.busy = 0
        self.most_busy = 0
        self.release = threading.Event()  # ends the stalls of /never at teardown
        self.two_in = threading.Barrier(2, timeout=5)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self.answer(body=False)

            def do_GET(self) -> None:
                self.answer(body=True)

            def answer(self, body: bool) -> None:
                path = self.path.split("?")[0]
                with outer.lock:
                    outer.seen[(self.command, path)] += 1
                    count = outer.seen[(self.command, path)]
                    outer.busy += 1
                    outer.most_busy = max(outer.most_busy, outer.busy)
                self.counted = True
                try:
                    self.route(path, count, body)
                finally:
                    self.done()

            def done(self) -> None:
                """No longer busy: before the answer is sent, since the client may ask again at once."""
                with outer.lock:
                    outer.busy -= self.counted
                    self.counted = False

            def send(self, status: int, headers: dict[str, str] | None = None) -> None:
                self.done()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def route(self, path: str, count: int, body: bool) -> None:
                if path.startswith("/ok"):
                    self.send(200)
                elif path == "/moved":
                    self.send(301, {"Location": "/ok/new-home"})
                elif path == "/moved-308":
                    self.send(308, {"Location": f"http://127.0.0.1:{outer.port}/ok/308"})
                elif path == "/found":  # a temporary redirect: followed, not reported
                    self.send(302, {"Location": "/ok/temporary"})
                elif path == "/chain":  # permanent, then temporary: the permanent target is the new URL
                    self.send(301, {"Location": "/found"})
                elif path == "/loop":
                    self.send(302, {"Location": "/loop"})
                elif path == "/gone":
                    self.send(404)
                elif path == "/busy":  # 429 with Retry-After the first time, then fine
                    self.send(429, {"Retry-After": "2"}) if count == 1 else self.send(200)
                elif path == "/busy-long":
                    self.send(429, {"Retry-After": "3600"})
                elif path == "/broken":
                    self.send(500)
                elif path == "/no-head":
                    self.send(405 if self.command == "HEAD" else 200)
                elif path == "/slow":
                    time.sleep(0.2)
                    self.send(200)
                elif path.startswith("/pair"):  # answers once two requests are in at the same time
                    try:
                        outer.two_in.wait()
                    except threading.BrokenBarrierError:
                        pass
                    self.send(200)
                elif path == "/never":
                    outer.release.wait(10)
                else:
                    self.send(404)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")  # the local server is at a loopback address
    s = Server()
    yield s
    s.close()


def settings(**extra: object) -> LinkCheck:
    return LinkCheck.model_validate({"timeout": 0.5, **extra})


def test_each_answer_becomes_the_right_result(server: Server) -> None:
    waits: list[float] = []
    checker = Checker(settings(), sleep=waits.append)
    got = {path: checker.check(server.url(path)) for path in (
        "/ok", "/moved", "/moved-308", "/found", "/chain", "/gone", "/busy", "/broken", "/no-head", "/slow")}
    assert got["/ok"].state == "ok" and got["/found"].state == "ok" and got["/slow"].state == "ok"
    assert (got["/moved"].state, got["/moved"].moved_to) == ("moved", server.url("/ok/new-home"))
    assert (got["/moved-308"].state, got["/moved-308"].moved_to) == ("moved", server.url("/ok/308"))
    assert (got["/chain"].state, got["/chain"].moved_to) == ("moved", server.url("/found"))
    assert (got["/gone"].state, got["/gone"].detail) == ("dead", "HTTP 404 Not Found")
    assert got["/busy"].state == "ok" and waits == [2.0]  # Retry-After honoured, then asked again
    assert (got["/broken"].state, got["/broken"].detail) == ("unreachable", "HTTP 500 Internal Server Error")
    assert got["/no-head"].state == "ok"
    # HEAD first; GET only where HEAD failed (404 from HEAD may be a server that mishandles it)
    assert server.seen[("HEAD", "/no-head")] == 1 and server.seen[("GET", "/no-head")] == 1
    assert server.seen[("GET", "/ok")] == 0 and server.seen[("GET", "/gone")] == 1


def test_a_doi_resolves_when_the_resolver_knows_it(server: Server) -> None:
    checker = Checker(settings())
    checker.resolvers = frozenset({f"127.0.0.1:{server.port}"})  # this server plays doi.org
    assert checker.check(server.url("/found")).state == "ok"  # known: redirected to the publisher
    assert server.seen[("HEAD", "/ok/temporary")] == 0  # whose page is not asked
    assert checker.check(server.url("/gone")).state == "dead"  # an unknown DOI


def test_bounds_timeouts_waits_and_redirect_loops(server: Server) -> None:
    waits: list[float] = []
    checker = Checker(settings(timeout=0.3), sleep=waits.append)
    started = time.monotonic()
    never = checker.check(server.url("/never"))
    assert never.state == "unreachable" and never.detail == "no answer within 0.3 s"
    assert time.monotonic() - started < 3
    long_wait = checker.check(server.url("/busy-long"))
    assert long_wait.state == "unreachable" and "asked to wait 3600 s" in long_wait.detail and waits == []
    loop = checker.check(server.url("/loop"))
    assert loop.state == "unreachable" and "redirects" in loop.detail
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    refused = checker.check(f"http://127.0.0.1:{closed}/")
    assert refused.state == "unreachable" and refused.detail == "the connection was refused"


def test_addresses_with_other_scripts_are_asked_in_ascii(server: Server) -> None:
    assert request_url("https://bücher.example/straße?q=ä") == "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%A4"
    assert request_url("https://example.org/a%20b?x=1") == "https://example.org/a%20b?x=1"
    assert Checker(settings()).check(server.url("/ok/naïve")).state == "ok"
    assert server.seen[("HEAD", "/ok/na%C3%AFve")] == 1


def test_requests_to_one_host_are_limited(server: Server) -> None:
    urls = [server.url(f"/pair/{i}") for i in range(8)]
    results = Checker(settings(per_host=2, timeout=5)).check_all(urls)
    assert {r.state for r in results.values()} == {"ok"}
    assert server.most_busy == 2  # two at a time (the barrier shows both lanes run at once), never more
    server.most_busy = 0
    Checker(settings(per_host=1, timeout=5)).check_all([server.url(f"/ok/{i}") for i in range(6)])
    assert server.most_busy == 1


def test_markdown_urls_are_the_links_a_page_shows() -> None:
    text = ("See [code](https://github.com/a/b), <https://example.org/x>, https://bare.example.org/p.\n\n"
            "![chart](https://img.example.org/c.png) and [site](/about/) and [mail](mailto:a@b.org).\n\n"
            "[ref]: https://ref.example.org/\n\nA [reference][ref].\n")
    assert markdown_urls(text) == ["https://github.com/a/b", "https://example.org/x", "https://bare.example.org/p",
                                   "https://img.example.org/c.png", "https://ref.example.org/"]


SITE = """\
title: Links Digest
base_url: https://example.org/
search: false
link_check:
  timeout: 0.5
  remember_days: 7
  skip: [{skip}]
"""


def make_site(root: Path, server: Server) -> Path:
    (root / "site.yaml").write_text(SITE.format(skip=server.url("/skipped")))
    papers = root / "content/papers/2025"
    papers.mkdir(parents=True)
    (papers / "first.md").write_text(f"""---
title: First
date: 2025-11-20
links:
  code: {server.url("/ok/code")}
  data: {server.url("/gone")}
  skipped: {server.url("/skipped/x")}
abstract: |
  Uses a dataset from {server.url("/moved")} and more.
---
The note links [a dead page]({server.url("/gone")}) and again {server.url("/gone")} here.
""")
    (papers / "second.yaml").write_text(f"""title: Second
date: 2025-11-21
draft: true
links:
  project: {server.url("/broken")}
note: |
  Nothing here but {server.url("/ok/note")}.
""")
    return root


def test_gather_finds_every_link_where_it_is_written(tmp_path: Path, server: Server) -> None:
    site = make_site(tmp_path, server)
    model, _ = check(site, BuildOptions(drafts=True, future=True))
    again = 30 + len(server.url("/gone")) + len(") and again ")
    where = [(link.path.rsplit("/", 1)[-1], link.line, link.column, link.field, link.url.split(str(server.port))[1])
             for link in gather(model)]
    assert where == [
        ("first.md", 5, 9, "links.code", "/ok/code"),
        ("first.md", 6, 9, "links.data", "/gone"),
        ("first.md", 7, 12, "links.skipped", "/skipped/x"),
        ("first.md", 9, 23, "abstract", "/moved"),
        ("first.md", 11, 30, "note", "/gone"),
        ("first.md", 11, again, "note", "/gone"),
        ("second.yaml", 5, 12, "links.project", "/broken"),
        ("second.yaml", 7, 20, "note", "/ok/note"),
    ]


def test_check_links_reports_and_remembers(tmp_path: Path, server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site(tmp_path, server)
    gone = server.url("/gone")
    # answers committed into the site (where the cache was once kept) would hide a dead link: never read
    planted = {"format": MEMORY_FORMAT, "links": {gone: {"checked": int(time.time()), "state": "ok", "moved_to": None}}}
    (site / ".digestgen-cache").mkdir()
    (site / ".digestgen-cache/links.json").write_text(json.dumps(planted))
    assert main(["check", "--site", str(site), "--links"]) == 0
    out = capsys.readouterr()
    assert (f"content/papers/2025/first.md:6:9: warning: links.data: {gone} is dead (HTTP 404 Not Found); "
            f"an archived copy may be at https://web.archive.org/web/*/{gone}") in out.err.splitlines()
    assert f"first.md:11:30: warning: note: {gone} is dead" in out.err
    assert (f"first.md:9:23: warning: abstract: {server.url('/moved')} has moved permanently to "
            f"{server.url('/ok/new-home')}; update the link") in out.err
    assert "second.yaml:5:12: warning: links.project:" in out.err and "HTTP 500" in out.err  # drafts are checked too
    assert "/skipped" not in out.err and server.seen[("HEAD", "/skipped/x")] == 0
    assert "links: 5 checked (0 answered in the last 7 days): 1 dead, 1 unreachable, 1 moved permanently" in out.out
    assert server.seen[("HEAD", "/gone")] == 1  # one request per URL, however often it is written
    assert "ok: 1 paper, 1 draft, " in out.out  # the site's own check is as without --links

    memory = json.loads((cache_folder(site) / "links.json").read_text())
    assert sorted(memory["links"]) == [server.url(p) for p in ("/moved", "/ok/code", "/ok/note")]
    assert memory["links"][server.url("/moved")]["moved_to"] == server.url("/ok/new-home")

    # the next run asks only about what failed; the moved link is still reported from memory
    assert main(["check", "--site", str(site), "--links", "--format", "github"]) == 0
    out = capsys.readouterr()
    assert server.seen[("HEAD", "/ok/code")] == 1 and server.seen[("HEAD", "/gone")] == 2
    assert "links: 5 checked (3 answered in the last 7 days)" in out.out
    assert "::warning file=content/papers/2025/first.md,line=9,col=23::abstract: " in out.out

    # --strict makes them errors; remembering for 0 days asks about everything again
    (site / "site.yaml").write_text((site / "site.yaml").read_text().replace("remember_days: 7", "remember_days: 0"))
    assert main(["check", "--site", str(site), "--links", "--strict"]) == 1
    out = capsys.readouterr()
    assert f"first.md:6:9: links.data: {gone} is dead" in out.err and "digestgen: 5 errors" in out.err
    assert out.out.startswith("links: 5 checked: 1 dead")
    assert server.seen[("HEAD", "/ok/code")] == 2


def test_memory_expires_and_survives_garbage(tmp_path: Path, server: Server) -> None:
    site = make_site(tmp_path, server)
    model, _ = check(site, BuildOptions(drafts=True, future=True))
    day = 86400.0
    code = server.url("/ok/code")
    trusted = remembered_for(code, 7) / day
    assert 3.5 <= trusted <= 7 and remembered_for(code, 7) == remembered_for(code, 7)
    check_links(model, clock=lambda: 1_000 * day)
    assert server.seen[("HEAD", "/ok/code")] == 1
    check_links(model, clock=lambda: (1_000 + trusted - 0.01) * day)  # still trusted: remembered
    assert server.seen[("HEAD", "/ok/code")] == 1
    check_links(model, clock=lambda: (1_000 + trusted + 0.01) * day)  # older: asked again
    assert server.seen[("HEAD", "/ok/code")] == 2
    spread = sorted(remembered_for(f"https://arxiv.org/abs/2511.{n:05d}", 7) / day for n in range(1000))
    assert spread[0] >= 3.5 and spread[-1] <= 7 and spread[500] - spread[0] > 1  # re-checks spread over days
    memory = cache_folder(site) / "links.json"
    for garbage in ("not json", '{"format": 1, "links": []}', '{"format": 1, "links": {"x": {"checked": "soon"}}}'):
        memory.write_text(garbage)
        problems, summary = check_links(model, clock=lambda: 1_008 * day)
        assert summary.remembered == 0 and len(problems) == 5


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "169.254.169.254", "10.0.0.1", "[::1]", "[::ffff:127.0.0.1]"]
)
def test_private_addresses_are_not_asked_unless_allowed(
    server: Server, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    # an entry from a stranger's pull request must not make CI ask the runner's own services,
    # the cloud metadata address or the private network; nor may a public link redirect there
    monkeypatch.delenv(ALLOW_PRIVATE_ENV)
    checker = Checker(settings())
    result = checker.check(f"http://{host}:{server.port}/ok/private")
    assert result.state == "unreachable"
    assert "a private, loopback or link-local address; not asked" in result.detail
    assert f"{ALLOW_PRIVATE_ENV}=1" in result.detail
    assert server.seen[("HEAD", "/ok/private")] == server.seen[("GET", "/ok/private")] == 0
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")
    if host not in ("169.254.169.254", "10.0.0.1", "[::1]", "[::ffff:127.0.0.1]"):
        assert Checker(settings()).check(f"http://{host}:{server.port}/ok/private").state == "ok"


@pytest.mark.parametrize(("code", "state"), [(socket.EAI_NONAME, "dead"), (socket.EAI_AGAIN, "unreachable")])
def test_only_a_name_that_does_not_exist_is_dead(monkeypatch: pytest.MonkeyPatch, code: int, state: str) -> None:
    # a runner whose DNS is down (EAI_AGAIN, 'temporary failure') must not call every link dead
    def fail(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(code, "name lookup failed")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    for allow in ("0", "1"):
        monkeypatch.setenv(ALLOW_PRIVATE_ENV, allow)
        assert Checker(settings()).check("https://example.org/paper").state == state
