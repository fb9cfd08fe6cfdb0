"""Fixtures of the theme tests: the example digest built once under a subpath and served locally.

The site is served from 127.0.0.1 on a free port by http.server in a thread, at /digest/, so
every test also checks that links, assets and the search bundle work under a base_url subpath.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
REPO = TESTS.parent
SITES = TESTS / "sites"
ARTIFACTS = REPO / "test-artifacts"
EXAMPLE_EPOCH = "1795953600"  # 2026-11-29 12:00 UTC, the example digest's "today"
SUBPATH = "/digest/"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@contextlib.contextmanager
def epoch(value: str) -> Iterator[None]:
    """Pin SOURCE_DATE_EPOCH for the duration of a build."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def build(site: Path, out: Path, *extra: str, when: str = EXAMPLE_EPOCH) -> None:
    """Build site into out through the command line; fail the test on a non-zero exit."""
    from digestgen.cli import main

    with epoch(when):
        code = main(["build", "--site", str(site), "--output", str(out), *extra])
    assert code == 0, f"building {site.name} failed with exit code {code}"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path, handler_class: type[http.server.SimpleHTTPRequestHandler] = QuietHandler) -> Iterator[str]:
    """Serve folder on 127.0.0.1 (free port) in a thread; yield the root URL."""
    handler = functools.partial(handler_class, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass(frozen=True)
class Site:
    """A built site: the output folder and the URL it is served at (ends with '/')."""

    out: Path
    url: str

    def page(self, path: str) -> str:
        return (self.out / path).read_text("utf-8")

    def html_files(self) -> list[Path]:
        return sorted(p for p in self.out.rglob("*.html"))


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The repository's example digest, built once with base_url http://127.0.0.1:PORT/digest/."""
    root = tmp_path_factory.mktemp("served")
    out = root / SUBPATH.strip("/")
    with serve(root) as origin:
        base_url = origin + SUBPATH
        build(REPO, out, "--base-url", base_url)
        yield Site(out, base_url)


def forty_paper_site(dest: Path) -> Path:
    """A copy of the example digest with all 40 papers moved into one weekly issue (2026-W47)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "site.yaml", dest / "site.yaml")
    shutil.copytree(REPO / "content" / "pages", dest / "content" / "pages")
    shutil.copy(REPO / "content" / "tags.yaml", dest / "content" / "tags.yaml")
    papers = dest / "content" / "papers"
    papers.mkdir(parents=True)
    for source in sorted((REPO / "content" / "papers").rglob("*")):
        if source.suffix in (".md", ".yaml"):
            text = source.read_text("utf-8")
            text = re.sub(r"^date: .*$", "date: 2026-11-17", text, count=1, flags=re.MULTILINE)  # a finished week
            text = re.sub(r"^draft: .*\n", "", text, flags=re.MULTILINE)
            (papers / source.name).write_text(text, "utf-8")
    return dest


def tree_digest(folder: Path) -> dict[str, str]:
    """Path -> sha256 of every file under folder."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def missing(what: str) -> None:
    """Skip a test whose system dependency is absent; under CI (DIGESTGEN_TEST_STRICT=1) fail it."""
    if os.environ.get("DIGESTGEN_TEST_STRICT") == "1":
        pytest.fail(f"{what} (DIGESTGEN_TEST_STRICT=1: CI must run every test)")
    pytest.skip(what)


def chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        missing(f"Chromium is not installed at {CHROMIUM} (.ci/run installs it)")
