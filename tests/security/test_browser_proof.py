"""Class 9, browser proof: every page of a site full of payloads opens in Chromium and nothing runs."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
import time
from collections.abc import Iterator

import pytest
from helpers_theme import chromium_or_skip
from playwright.sync_api import Dialog, sync_playwright

from .security_helpers import MARKER, build, hostile_site, pinned_env

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """The hostile site (search on when Pagefind works) served from 127.0.0.1 under /sub/."""
    chromium_or_skip()
    root = hostile_site(tmp_path_factory.mktemp("browser") / "site", search=True)
    with pinned_env():
        run = build(root)
    assert run.code == 0, run.err
    docroot = root.parent / "docroot"
    shutil.copytree(root / "public", docroot / "sub")
    pages = sorted(p.relative_to(docroot).as_posix() for p in docroot.rglob("*.html"))
    handler = functools.partial(_Quiet, directory=str(docroot))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", pages
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_no_page_runs_content_script(served: tuple[str, list[str]]) -> None:
    base, pages = served
    assert len(pages) > 40
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context()
        # only our own server: payload images and links to other hosts never load
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
        page = context.new_page()

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(f"{page.url}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        for rel in pages:
            page.goto(base + rel, wait_until="load")
            assert page.evaluate(f"typeof window.{MARKER}") == "undefined", rel
        # search for the payloads, so result snippets built by script show hostile text too
        search = base + "sub/search/"
        if "sub/search/index.html" in pages:
            results = "main a[href*='/papers/']"
            for query in (MARKER, "script", "onerror"):
                page.goto(search + "?q=" + query, wait_until="load")
                deadline = time.monotonic() + 5  # poll until the index answered
                while time.monotonic() < deadline and not page.locator(results).count():
                    page.wait_for_timeout(50)
                assert page.locator(results).count() > 0, f"search for {query} showed no results"
            assert page.evaluate(f"typeof window.{MARKER}") == "undefined"
            # reflected payloads in the search page's own URL parameters
            from urllib.parse import quote

            payload = f"<img src=x onerror=window.{MARKER}=1><script>window.{MARKER}=1</script>\"'>"
            for query in (f"q={quote(payload)}", f"sort={quote(payload)}", f"tag={quote(payload)}&q=a",
                          f"q={quote('javascript:alert(1)')}&tag=alpha&tag={quote(payload)}"):
                page.goto(search + "?" + query, wait_until="load")
                page.wait_for_function("document.readyState === 'complete'")
                assert page.evaluate(f"typeof window.{MARKER}") == "undefined", query
        # hover and focus every element once: onmouseover/onfocus payloads would fire now
        page.goto(base + "sub/", wait_until="load")
        for element in page.locator("a, img, p, h1, h2, h3, li").all()[:300]:
            element.dispatch_event("mouseover")
            element.dispatch_event("focus")
        assert page.evaluate(f"typeof window.{MARKER}") == "undefined"
        browser.close()
    assert dialogs == []
