"""Lighthouse 100 in every category on each kind of page of the example digest, light and dark.

Runs the pinned Lighthouse of tests/lighthouse/ (`npm ci --prefix tests/lighthouse`, which
.ci/run does) against the example digest served from 127.0.0.1 under /digest/, compressed as
every static host serves text, with the system Chromium, as a phone (Lighthouse's default: a
Moto G Power on a slow 4G network, simulated). A new kind of page is one more line in PAGES.

Accessibility, best practices and SEO are audits of the page itself and must score 100 at
once. Performance is a simulation fed by the times this machine took, so on a busy machine a
page can fall short on a timing metric alone: such a page is measured again (three runs at
most) and its best run counts, as Lighthouse's documentation advises for variance. A page
that falls short on layout shift, or on any other audit, fails at once.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers_theme import (
    CHROMIUM,
    SUBPATH,
    TESTS,
    QuietHandler,
    Site,
    chromium_or_skip,
    missing,
    serve,
)

PAGES = {
    "home": "",
    "archive": "issues/",
    "issue": "issues/2026-W47/",
    "paper": "papers/2305.18290/",  # has display math
    "tag": "tags/transformers/",
    "authors": "authors/",
    "author": "authors/alec-radford/",
    "reading list": "reading-list/",  # as a first visit finds it: empty
}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# what the browser is told for each colour scheme (Blink's preferredColorScheme: 0 is dark)
SCHEMES = {"light": "", "dark": " --blink-settings=preferredColorScheme=0"}
TIMING = {"first-contentful-paint", "largest-contentful-paint", "speed-index", "total-blocking-time"}
RUNS = 3  # at most, for a page short on timing alone
LIGHTHOUSE = Path(os.environ.get("DIGESTGEN_LIGHTHOUSE", TESTS / "lighthouse" / "node_modules" / ".bin" / "lighthouse"))


def lighthouse_or_skip() -> None:
    chromium_or_skip()
    if not LIGHTHOUSE.exists():
        missing(f"Lighthouse is not installed at {LIGHTHOUSE} (npm ci --prefix tests/lighthouse; .ci/run does it)")


class _GzipHandler(QuietHandler):
    """Static files, text gzipped when the browser accepts it (as GitHub Pages, Netlify and
    Cloudflare Pages serve them): without it the stylesheet alone would weigh four times
    what readers download, and the simulated phone would wait for that."""

    TEXT = (".html", ".css", ".js", ".json", ".xml", ".svg", ".txt")

    def send_head(self) -> Any:  # the file to copy out, as the base class returns it
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if (not path.name.endswith(self.TEXT) or not path.is_file()
                or "gzip" not in self.headers.get("Accept-Encoding", "") or not self.path.endswith(("/", *self.TEXT))):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@pytest.fixture(scope="module")
def compressed_url(example_site: Site) -> Iterator[str]:
    """The example digest's URL (under /digest/) on a server that compresses text."""
    with serve(example_site.out.parent, _GzipHandler) as origin:
        yield origin + SUBPATH


def run_lighthouse(url: str, scheme: str) -> dict[str, Any]:
    """Lighthouse's report (LHR) of url in the four categories."""
    done = subprocess.run(
        [str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet",
         f"--only-categories={','.join(CATEGORIES)}", f"--chrome-path={CHROMIUM}",
         f"--chrome-flags=--headless=new --no-sandbox{SCHEMES[scheme]}"],
        capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, f"lighthouse failed on {url}:\n{done.stderr[-3000:]}"
    report: dict[str, Any] = json.loads(done.stdout)
    assert not report.get("runtimeError"), report["runtimeError"]
    return report


def shortfalls(report: dict[str, Any]) -> dict[str, list[str]]:
    """Category -> the audits that cost it points (id, score, what Lighthouse says), for each
    category under 100."""
    found: dict[str, list[str]] = {}
    for name, category in report["categories"].items():
        if category["score"] is not None and round(category["score"] * 100) == 100:
            continue
        audits = []
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                audits.append(f"{ref['id']} {audit['score']}: {audit.get('displayValue') or audit['title']}")
        found[name] = audits or [f"score {category['score']}"]
    return found


def timing_only(short: dict[str, list[str]]) -> bool:
    return list(short) == ["performance"] and all(line.split()[0] in TIMING for line in short["performance"])


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("name", list(PAGES))
def test_lighthouse_scores_100(compressed_url: str, name: str, scheme: str) -> None:
    lighthouse_or_skip()
    url = compressed_url + PAGES[name]
    runs = []
    for _ in range(RUNS):
        report = run_lighthouse(url, scheme)
        assert report["finalDisplayedUrl"] == url, "the page was redirected"
        runs.append(shortfalls(report))
        if not timing_only(runs[-1]):
            break
    assert not runs[-1], f"{name} page ({scheme}) under 100 after {len(runs)} run(s): {runs}"


def test_the_dark_runs_see_the_dark_theme(tmp_path: Path) -> None:
    """The browser flag of the dark runs makes the page match prefers-color-scheme: dark."""
    chromium_or_skip()
    page = tmp_path / "scheme.html"
    page.write_text("<!doctype html><title>x</title><p id=s></p><script>document.getElementById('s').textContent="
                    "matchMedia('(prefers-color-scheme: dark)').matches ? 'is-dark' : 'is-light'</script>", "utf-8")
    seen = {}
    for scheme, flags in SCHEMES.items():
        done = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", *flags.split(),
                               "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60, check=True)
        seen[scheme] = "is-dark" if '<p id="s">is-dark</p>' in done.stdout else "is-light"
    assert seen == {"light": "is-light", "dark": "is-dark"}
