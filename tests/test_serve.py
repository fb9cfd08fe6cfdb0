"""digestgen serve end to end on a free port: pages, live reload over SSE, the error overlay, safety."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from digestgen.serve import Preview, Watcher, is_loopback
from digestgen.serve_handler import inject
from digestgen.watch import Debouncer, is_noise

PAPER = "content/papers/2025/1706.03762.md"
DEADLINE = 20.0


def wait_for(check: Callable[[], object], what: str, timeout: float = DEADLINE) -> object:
    """Poll until check() is truthy; fail with `what` after the deadline."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def get(port: int, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """A raw GET (the path is sent exactly as given, nothing normalised)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_host=True)
    conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


class Events:
    """A Server-Sent Events client for /__digestgen/events."""

    def __init__(self, port: int, page: str | None = None, loaded: int | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
        query = (f"?page={quote(page, safe='')}" if page else "") + (f"&build={loaded}" if loaded is not None else "")
        self.conn.request("GET", "/__digestgen/events" + query)
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type", "").startswith("text/event-stream")

    def next(self, *names: str) -> dict[str, object]:
        """The data of the next event named one of names (others are skipped)."""
        event, data = "", ""
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            line = self.response.readline().decode()
            if not line:
                raise AssertionError("event stream closed")
            line = line.rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and event:
                if event in names:
                    return {"event": event, **json.loads(data)}
                event, data = "", ""
        raise AssertionError(f"no {names} event before the deadline")

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return shutil.copytree(Path(__file__).parent / "sites/basic", tmp_path / "site")


@pytest.fixture
def preview(site: Path) -> Iterator[Preview]:
    logs: list[str] = []
    running = Preview(site, port=0, settle=0.1, log=logs.append)
    running.logs = logs  # type: ignore[attr-defined]
    running.start()
    yield running
    running.stop()


def edit(site: Path, rel: str, old: str, new: str) -> None:
    path = site / rel
    path.write_text(path.read_text().replace(old, new))


def test_serves_the_site_at_the_root_with_drafts_and_live_script(preview: Preview, site: Path) -> None:
    status, headers, body = get(preview.port, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode()
    assert re.search(r'<script src="/__digestgen/live.js" data-build="1"></script>\n</body>', page)
    assert 'href="/papers/future-paper/"' in page and "/digest/" not in page  # links work at the dev root
    files = preview.files()
    assert files is not None and b"__digestgen" not in files["index.html"]  # added while serving only
    assert not (site / "public").exists()
    assert not (site / ".digestgen-cache/serve/index.html").exists()  # built into memory
    for url, badge in (("/papers/draft-paper/", b">Draft</span>"), ("/papers/future-paper/", b">Scheduled</span>")):
        status, _, body = get(preview.port, url)
        assert status == 200 and badge in body
    assert b">Scheduled</span>" in body and b">Scheduled</span>" not in get(preview.port, "/papers/1706.03762/")[2]
    status, headers, _ = get(preview.port, "/papers/1706.03762")
    assert status == 301 and headers["Location"] == "/papers/1706.03762/"
    status, _, body = get(preview.port, "/no/such/page/")
    assert status == 404 and b"live.js" in body  # the site's 404 page, live too
    status, headers, body = get(preview.port, "/__digestgen/live.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"EventSource" in body
    assert b"innerHTML" not in body  # the overlay is built from text nodes only


def test_edit_reloads_and_serves_new_content(preview: Preview, site: Path) -> None:
    events = Events(preview.port)
    assert events.next("hello") == {"event": "hello", "build": 1}
    edit(site, PAPER, "title: Attention Is All You Need", "title: Attention Is Still All You Need")
    assert events.next("reload", "error") == {"event": "reload", "build": 2}
    assert b"Attention Is Still All You Need" in get(preview.port, "/papers/1706.03762/")[2]
    events.close()


def test_the_page_on_screen_reloads_before_the_rest_is_built(
        preview: Preview, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A browser showing the edited paper gets its page as soon as it is made (early.py) and
    no second reload when the whole build made the same page; a browser showing another page
    reloads once, after the whole build; so does one that does not say what it shows."""
    from digestgen import build

    shown, whole = threading.Event(), build.build

    def held(*args: Any, **kwargs: Any) -> Any:
        shown.wait(DEADLINE)  # (a build done at once can come before the early reload is sent)
        return whole(*args, **kwargs)

    monkeypatch.setattr("digestgen.build.build", held)
    paper, about, anyone = Events(preview.port, "/papers/1706.03762/"), Events(preview.port, "/about/"), \
        Events(preview.port)
    for events in (paper, about, anyone):
        assert events.next("hello") == {"event": "hello", "build": 1}
    assert preview.hub.viewed() == ["about/index.html", "papers/1706.03762/index.html"]
    edit(site, PAPER, "title: Attention Is All You Need", "title: Attention, Early")
    assert paper.next("reload", "built", "error") == {"event": "reload", "build": 2}
    assert b"Attention, Early" in get(preview.port, "/papers/1706.03762/")[2]
    shown.set()
    assert paper.next("reload", "built", "error") == {"event": "built", "build": 3}
    for events in (about, anyone):
        assert events.next("reload", "built", "error") == {"event": "reload", "build": 3}
    # a browser that reloaded the early page (build 2) and connects after the whole build
    late = Events(preview.port, "/papers/1706.03762/", loaded=2)
    assert late.next("hello") == {"event": "hello", "build": 3, "same": True}
    late.close()
    stale = Events(preview.port, "/about/", loaded=2)  # not made early: the build's is newer
    assert stale.next("hello") == {"event": "hello", "build": 3}
    stale.close()
    assert any(line.startswith("showed 1 page in ") for line in preview.logs)  # type: ignore[attr-defined]
    # a paper that moves to another tag: only the whole build can tell what changes
    edit(site, PAPER, "tags: [transformers]", "tags: [transformers, vision]")
    for events in (paper, about, anyone):
        assert events.next("reload", "built", "error") == {"event": "reload", "build": 4}
    for events in (paper, about, anyone):
        events.close()


def test_a_failed_build_after_an_early_page_brings_back_the_last_good_one(
        preview: Preview, site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The early page is gone when the whole build fails (another file broke meanwhile): its
    browser reloads the last good page (and gets the error there); another browser gets the
    error on the page it shows."""
    from digestgen.errors import UsageError

    shown = threading.Event()

    def broken(*args: object, **kwargs: object) -> None:
        shown.wait(DEADLINE)  # (a build that fails at once can come before the early reload is sent)
        raise UsageError("the whole build broke")

    paper, about = Events(preview.port, "/papers/1706.03762/"), Events(preview.port, "/about/")
    for events in (paper, about):
        events.next("hello")
    monkeypatch.setattr("digestgen.build.build", broken)
    edit(site, PAPER, "title: Attention Is All You Need", "title: Attention, Never Built")
    assert paper.next("reload", "built", "error") == {"event": "reload", "build": 2}
    shown.set()
    assert paper.next("reload", "built", "error") == {"event": "reload", "build": 3}
    assert about.next("reload", "built", "error")["event"] == "error"
    body = get(preview.port, "/papers/1706.03762/")[2]
    assert b"Attention Is All You Need" in body and b"Never Built" not in body
    late = Events(preview.port, "/papers/1706.03762/", loaded=2)  # loaded the early page, connects now
    assert late.next("hello") == {"event": "hello", "build": 3}  # a newer build: it reloads
    for events in (paper, about, late):
        events.close()


def _dispositions(_: int) -> tuple[object, ...]:
    return tuple(signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT))


def test_workers_leave_stopping_to_the_parent() -> None:
    """serve's first build forks workers while its own handlers (which raise KeyboardInterrupt)
    are set; a worker must not run them when the pool ends it with SIGTERM: one that died so
    holding the lock of the pool's task queue left the next worker, and serve, stuck for good
    (a 100,000-paper preview never started)."""
    from digestgen import workers

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    before = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        with workers._pool(2) as pool:
            got = pool.map(_dispositions, range(4), chunksize=1)
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
    assert got == [(signal.SIG_DFL, signal.SIG_DFL, signal.SIG_IGN)] * 4


def test_a_stream_that_missed_the_early_build_reloads_after_the_whole_one() -> None:
    """The events a browser gets depend on what it saw: one that was not woken between the
    early build and the whole one (a slow event loop) has not got its page yet."""
    import asyncio

    from digestgen.serve_handler import Hub, event_stream, shown_build, shown_page

    async def events(publish: Callable[[Hub], None]) -> list[bytes]:
        hub = Hub(build=1)
        stream = event_stream(hub, "papers/x/index.html", heartbeat=5.0)
        got = [await anext(stream)]  # hello
        publish(hub)
        got.append(await anext(stream))
        await stream.aclose()
        return got

    def both(hub: Hub) -> None:
        hub.publish(2, [], early=frozenset({"papers/x/index.html"}))
        hub.publish(3, [], settled=frozenset({"papers/x/index.html"}))

    assert asyncio.run(events(both))[1].startswith(b"event: reload\ndata: {\"build\": 3}")
    assert asyncio.run(events(lambda hub: hub.publish(2, [], settled=frozenset({"papers/x/index.html"}))))[
        1].startswith(b"event: reload")  # settled, but never shown early: reload
    assert shown_page("/__digestgen/events?page=%2Fpapers%2Fx%2F") == "papers/x/index.html"
    assert shown_page("/__digestgen/events?page=%2F") == "index.html"
    assert shown_page("/__digestgen/events?page=%2Fcaf%25C3%25A9%2F") == "café/index.html"
    for hostile in ("%2F..%2Fsecret", "http%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example%2F", "%2F__digestgen%2Fx",
                    ""):
        assert shown_page(f"/__digestgen/events?page={hostile}") is None, hostile
    assert shown_page("/__digestgen/events") is None
    assert shown_build("/__digestgen/events?page=%2F&build=12") == 12
    for hostile in ("-1", "1e3", "١٢", "9" * 40, ""):
        assert shown_build(f"/__digestgen/events?build={hostile}") is None, hostile


def test_a_save_that_changes_nothing_does_not_reload(preview: Preview, site: Path) -> None:
    events = Events(preview.port)
    assert events.next("hello")["build"] == 1
    before = preview.builds
    (site / PAPER).write_bytes((site / PAPER).read_bytes())  # the editor saved without a change
    wait_for(lambda: preview.builds > before, "the no-op rebuild")
    assert preview.hub.build == 1
    edit(site, PAPER, "upvotes: 120", "upvotes: 123")
    assert events.next("reload", "error") == {"event": "reload", "build": 2}  # the first event after hello
    events.close()


def test_broken_file_reports_an_error_and_keeps_the_last_good_site(preview: Preview, site: Path) -> None:
    events = Events(preview.port)
    events.next("hello")
    edit(site, PAPER, 'arxiv: "1706.03762"', "arxiv: 1706.03762\nrank: first")
    event = events.next("reload", "error")
    assert event["event"] == "error" and event["build"] == 1
    errors = event["errors"]
    assert isinstance(errors, list)
    assert f"{PAPER}:5:8: arxiv: " in errors[0] and "quote" in errors[0]
    assert any(e.startswith(f"{PAPER}:6:7: rank: ") for e in errors)
    assert any(PAPER in line for line in preview.logs)  # type: ignore[attr-defined]
    status, _, body = get(preview.port, "/papers/1706.03762/")
    assert status == 200 and b"Attention Is All You Need" in body  # the last good build
    late = Events(preview.port)  # a page opened now learns about the errors at once
    assert late.next("hello")["build"] == 1
    assert late.next("error")["errors"] == errors
    edit(site, PAPER, "arxiv: 1706.03762\nrank: first", 'arxiv: "1706.03762"')
    assert events.next("reload", "error") == {"event": "reload", "build": 2}
    assert preview.hub.errors == []
    fresh = Events(preview.port)
    assert fresh.next("hello")["build"] == 2
    for stream in (events, late, fresh):
        stream.close()


def test_a_site_broken_from_the_start_is_served_once_fixed(site: Path) -> None:
    edit(site, PAPER, "title: Attention Is All You Need", "title: [unclosed")
    running = Preview(site, port=0, settle=0.1, log=lambda message: None)
    running.start()
    try:
        status, _, body = get(running.port, "/")
        assert status == 503 and b"No successful build yet" in body and b"/__digestgen/live.js" in body
        events = Events(running.port)
        assert events.next("hello")["build"] == 0
        errors = events.next("error")["errors"]
        assert isinstance(errors, list) and errors == [
            f"{PAPER}:3:5: (yaml): invalid YAML: did not find expected ',' or ']'"
        ]
        edit(site, PAPER, "title: [unclosed", "title: Attention Is All You Need")
        assert events.next("reload", "error") == {"event": "reload", "build": 1}
        assert get(running.port, "/papers/1706.03762/")[0] == 200
        events.close()
    finally:
        running.stop()


def test_template_errors_do_not_stop_the_server(preview: Preview, site: Path) -> None:
    events = Events(preview.port)
    events.next("hello")
    (site / "templates").mkdir()
    (site / "templates/404.html").write_text(
        "{% extends 'default/404.html' %}\n{% block content %}{{ oops(\n{% endblock %}\n"
    )
    event = events.next("reload", "error")
    assert event["event"] == "error"
    errors = event["errors"]
    assert isinstance(errors, list) and len(errors) == 1 and "404.html:3: template error" in errors[0]
    shutil.rmtree(site / "templates")
    assert events.next("reload", "error")["event"] == "reload"
    events.close()


def test_atomic_rename_and_moved_in_files(preview: Preview, site: Path, tmp_path: Path) -> None:
    events = Events(preview.port)
    events.next("hello")
    # an editor's safe save: write a temporary file, then rename it over the entry
    tmp = site / f"{PAPER}.tmp"
    tmp.write_text((site / PAPER).read_text().replace("upvotes: 120", "upvotes: 121"))
    os.replace(tmp, site / PAPER)
    assert events.next("reload", "error")["event"] == "reload"
    assert b"121" in get(preview.port, "/papers/1706.03762/")[2]
    # a file written elsewhere and moved into content/
    outside = tmp_path / "moved.md"
    outside.write_text("---\ntitle: Moved In\ndate: 2025-11-19\nlinks: {code: 'https://example.org/m'}\n---\n")
    shutil.move(outside, site / "content/papers/2025/moved.md")
    assert events.next("reload", "error")["event"] == "reload"
    assert b"Moved In" in get(preview.port, "/papers/moved/")[2]
    events.close()


def test_a_checkout_burst_gives_at_most_two_rebuilds(preview: Preview, site: Path) -> None:
    before = preview.builds
    folder = site / "content/papers/burst"
    folder.mkdir()
    for i in range(100):
        (folder / f"b{i:03d}.md").write_text(f"---\ntitle: Burst {i}\ndate: 2025-11-20\nabstract: x\n---\n")
    wait_for(lambda: get(preview.port, "/papers/b099/")[0] == 200, "the burst to be built")
    # a marker change after the burst: once it is built, every burst event has been handled
    edit(site, PAPER, "upvotes: 120", "upvotes: 122")
    wait_for(lambda: b"122" in get(preview.port, "/papers/1706.03762/")[2], "the marker change")
    assert preview.builds - before <= 3  # at most two for the burst, one for the marker


def test_git_checkout_of_100_files_gives_at_most_two_rebuilds(preview: Preview, site: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(site), "-c", "user.name=Test", "-c", "user.email=test@example.org",
                        "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)

    def settled(marker: int) -> None:
        """Wait until a change made after everything else is built: then every earlier event was handled."""
        (site / f"content/papers/marker{marker}.md").write_text(
            f"---\ntitle: Marker {marker}\ndate: 2025-11-20\nabstract: x\n---\n")
        wait_for(lambda: get(preview.port, f"/papers/marker{marker}/")[0] == 200, f"marker {marker}")

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "site")
    git("checkout", "-q", "-b", "more")
    for i in range(100):
        (site / f"content/papers/2025/c{i:03d}.md").write_text(
            f"---\ntitle: C {i}\ndate: 2025-11-20\nabstract: x\n---\n"
        )
    git("add", "-A")
    git("commit", "-q", "-m", "100 papers")
    settled(0)
    for branch, status, marker in (("main", 404, 1), ("more", 200, 2)):
        before = preview.builds
        git("checkout", "-q", branch)
        wait_for(lambda status=status: get(preview.port, "/papers/c099/")[0] == status, f"checkout of {branch}")
        settled(marker)
        assert preview.builds - before <= 3, branch  # two for the checkout at most, one for the marker


def test_editor_noise_and_output_are_ignored(site: Path) -> None:
    seen: list[str] = []
    watcher = Watcher(site.resolve(), [site.resolve() / ".digestgen-cache", site.resolve() / "public"], seen.append)
    root = site.resolve()
    for noise in ("content/papers/2025/.1706.03762.md.swp", "content/papers/2025/1706.03762.md~", "content/papers/4913",
                  "content/papers/.#draft.md", "content/papers/2025/x.md___jb_tmp___", "content/papers/x.md.tmp",
                  ".digestgen-cache/serve/index.html", "public/index.html", "README.md", ".git/index",
                  "content/.hidden/x.md", "content/papers/#x.md#"):
        assert watcher.relevant(str(root / noise)) is None, noise
    for real in ("site.yaml", PAPER, "static/img/vit.svg", "templates/base.html", "themes/mine/templates/x.html"):
        assert watcher.relevant(str(root / real)) == real
    assert is_noise("4913") and not is_noise("2511.11002.md")


def test_path_traversal_and_symlinks_answer_404(preview: Preview, site: Path) -> None:
    secret = site / "site.yaml"
    for path in ("/../site.yaml", "/%2e%2e/site.yaml", "/%2E%2E/%2e%2e/etc/passwd", "/papers/..%2f..%2f..%2fsite.yaml",
                 "//example.org/", "/%5c..%5csite.yaml", "/..\\site.yaml", "/papers/%00", "/.digestgen.json",
                 "/%ff%fe", "http://example.org/../site.yaml"):
        status, _, body = get(preview.port, path)
        assert status == 404, path
        assert secret.read_bytes() not in body
    folder = preview.search_folder() / "pagefind"  # the only part of a preview served from disk
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "leak").symlink_to(secret)
    (folder / "leakdir").symlink_to(site / "content", target_is_directory=True)
    assert get(preview.port, "/pagefind/leak")[0] == 404
    assert get(preview.port, "/pagefind/leakdir/pages/about.md")[0] == 404


def test_foreign_host_is_refused(preview: Preview) -> None:
    port = preview.port
    assert get(port, "/", host="evil.example")[0] == 403
    assert get(port, "/", host=f"evil.example:{port}")[0] == 403
    assert get(port, "/", host=f"127.0.0.1:{port + 1 if port < 65535 else 1}")[0] == 403
    assert get(port, "/", host="")[0] == 403
    assert get(port, "/__digestgen/events", host="attacker.test")[0] == 403
    for good in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost", f"[::1]:{port}"):
        assert get(port, "/", host=good)[0] == 200, good


def test_injection_and_loopback_helpers() -> None:
    assert inject(b"<html><body><p>x</p></BODY></html>", 7).endswith(
        b'<script src="/__digestgen/live.js" data-build="7"></script>\n</BODY></html>')
    assert inject(b"no body", 1).startswith(b"no body<script")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_cli_serve_prints_the_url_and_warns_on_public_bind(site: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        busy_port = probe.getsockname()[1]
        probe.listen()
        taken = subprocess.run(
            [sys.executable, "-m", "digestgen", "serve", "--site", str(site), "--port", str(busy_port)],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert taken.returncode == 2 and "try another --port" in taken.stderr
    proc = subprocess.Popen([sys.executable, "-m", "digestgen", "serve", "--site", str(site), "--port", "0",
                             "--bind", "0.0.0.0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        port = int(match.group(1))
        assert get(port, "/")[0] == 200
        assert get(port, "/", host=f"192.0.2.7:{port}")[0] == 200  # bound to every address: any IP of the machine
        assert get(port, "/", host=f"evil.example:{port}")[0] == 403  # names still refused (DNS rebinding)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "reachable from other machines" in proc.stderr.read()


def test_overlay_in_the_browser(preview: Preview, site: Path) -> None:
    """What the reader of the preview sees: the overlay names the broken file, and goes away when fixed."""
    from helpers_theme import chromium_or_skip
    from playwright import sync_api

    chromium_or_skip()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{preview.port}/papers/1706.03762/")
            page.wait_for_function("() => window.digestgenLive === 'connected'")
            edit(site, PAPER, "tags: [transformers]", "tags: [transformers]\ntitel: typo")
            overlay = page.locator("#digestgen-errors")
            overlay.wait_for(state="visible", timeout=DEADLINE * 1000)
            text = overlay.inner_text()
            assert f"{PAPER}:9:1: titel: " in text and "did you mean" in text
            assert page.locator("#digestgen-errors li").count() == 1
            edit(site, PAPER, "tags: [transformers]\ntitel: typo", "tags: [transformers]")
            overlay.wait_for(state="detached", timeout=DEADLINE * 1000)
            edit(site, PAPER, "title: Attention Is All You Need", "title: Attention, Reloaded")
            page.get_by_text("Attention, Reloaded").first.wait_for(timeout=DEADLINE * 1000)
            # the page on screen is made early (early.py): one reload, not a second after the build
            wait_for(lambda: not preview.early_files, "the whole build")
            page.wait_for_function(f"() => window.digestgenBuild === '{preview.hub.build}'")
            loads: list[str] = []
            page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
            before = preview.hub.build
            edit(site, PAPER, "title: Attention, Reloaded", "title: Attention, Once")
            page.get_by_text("Attention, Once").first.wait_for(timeout=DEADLINE * 1000)
            wait_for(lambda: preview.hub.build == before + 2, "the early build and the whole one")
            page.wait_for_function(f"() => window.digestgenBuild === '{before + 2}'")
            assert loads == [f"http://127.0.0.1:{preview.port}/papers/1706.03762/"]
        finally:
            browser.close()


def test_search_index_follows_an_edit_in_the_background(site: Path) -> None:
    """With search on, a rebuild does not wait for Pagefind: the page reloads, then the search
    bundle of the new pages is put in place whole."""
    config = site / "site.yaml"
    config.write_text(config.read_text().replace("search: false", "search: true"))
    running = Preview(site, port=0, settle=0.1, log=lambda message: None)
    running.start()
    try:
        bundle = running.search_folder() / "pagefind"

        def fragments() -> set[str]:
            return {p.name for p in (bundle / "fragment").iterdir()} if (bundle / "fragment").is_dir() else set()

        wait_for(lambda: running.indexer.idle() and (bundle / "pagefind.js").is_file(), "the first search bundle")
        first = fragments()
        events = Events(running.port)
        events.next("hello")
        edit(site, PAPER, "title: Attention Is All You Need", "title: Attention Was All We Needed")
        assert events.next("reload", "error")["event"] == "reload"
        wait_for(lambda: running.indexer.idle() and fragments() not in (first, set()), "the search bundle of the edit")
        assert get(running.port, "/pagefind/pagefind.js")[0] == 200
        assert not [p.name for p in (site / ".digestgen-cache").iterdir() if "-search-" in p.name]
        events.close()
    finally:
        running.stop()


def test_the_quiet_hook_runs_once_after_a_rebuild_and_waits_for_quiet() -> None:
    """serve collects a rebuild's garbage only once the changes have stopped (watch.Debouncer)."""
    calls: list[str] = []
    quiet = threading.Event()
    first = threading.Event()

    def action(changed: list[str]) -> None:
        calls.append("build " + ",".join(changed))
        first.set()

    debouncer = Debouncer(action, settle=0.01, on_quiet=lambda: (calls.append("quiet"), quiet.set()), quiet=1.0)
    debouncer.thread.start()
    try:
        debouncer.notify("content/a.md")
        assert first.wait(10)
        debouncer.notify("content/b.md")  # within the quiet time: built first, collected after
        assert quiet.wait(10)
    finally:
        debouncer.stop()
    assert calls == ["build content/a.md", "build content/b.md", "quiet"]


def test_the_quiet_hook_also_runs_when_nothing_changes_for_a_while() -> None:
    """An idle preview still collects what answering requests left."""
    actions: list[list[str]] = []
    idle = threading.Event()
    debouncer = Debouncer(actions.append, on_quiet=idle.set, quiet=5.0, idle=0.05)
    debouncer.thread.start()
    try:
        assert idle.wait(10)
    finally:
        debouncer.stop()
    assert actions == []
