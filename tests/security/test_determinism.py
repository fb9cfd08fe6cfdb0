"""Class 10, determinism as a safety net: one new paper changes only what it must; builds are reproducible."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .security_helpers import EPOCH, build, make_site, pinned_env, tree, write

SITE = """title: Reproducible Digest
base_url: https://digest.example.org/
timezone: Europe/Berlin
search: {search}
"""


def paper(n: int, day: int, tags: list[str], title: str | None = None) -> str:
    return (f'---\ntitle: "{title or f"Paper number {n}"}"\ndate: 2025-11-{day:02d}\narxiv: "2511.{n:05d}"\n'
            f"authors: [\"Author {n}\", \"Coauthor {n}\"]\ntags: [{', '.join(tags)}]\nupvotes: {n}\n"
            f'tldr: "Summary {n}."\nabstract: "An abstract with $x^{n}$ and a [link](https://example.org/{n})."\n---\n'
            f"A note about paper {n}, see [the first one](/papers/2511.00001/).\n")


def make(root: Path, search: bool = False) -> Path:
    make_site(root, site_yaml=SITE.format(search=str(search).lower()), good_paper=False)
    layout = [
        (1, 3, ["vision"]),
        (2, 4, ["vision", "language"]),
        (3, 10, ["language"]),
        (4, 11, ["language", "theory"]),
        (5, 17, ["theory"]),
        (6, 18, ["vision"]),
        (7, 19, ["language"]),
        (8, 20, ["theory", "vision"]),
    ]
    for n, day, tags in layout:
        write(root, f"content/papers/2025/2511.{n:05d}.md", paper(n, day, tags))
    write(root, "content/pages/about.md", '---\ntitle: "About"\n---\nAbout this digest.\n')
    write(root, "content/issues/2025-W47.md", '---\ntitle: "Week 47"\n---\nAn intro.\n')
    return root


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


MUST = {
    "tags/robotics/index.html", "tags/robotics/feed.xml", "tags/index.html",  # its tag, the tag index
    "tags/robotics/robotics.bib", "tags/robotics/robotics.ris", "tags/robotics/robotics.csl.json",  # its citations
    "index.html", "issues/index.html",  # home (newest issue) and archive (paper counts)
    "feed.xml", "rss.xml", "feed.json", "papers/feed.xml", "feeds.opml",  # feeds
    "sitemap.xml", "papers.json", "llms.txt", "reading-list/index.json", ".digestgen.json",  # exports, manifest
}
MUST_FOLDERS = ("papers/2511.00009/", "issues/2025-W47/", "pagefind/")  # its page (+ citation files), its issue, search


@pytest.fixture(scope="module")
def one_more_paper(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Files that differ after adding one paper to the newest issue, with a tag of its own."""
    root = make(tmp_path_factory.mktemp("det") / "site")
    with pinned_env():
        assert build(root).code == 0
        before = tree(root / "public")
        write(root, "content/papers/2025/2511.00009.md", paper(9, 21, ["robotics"], "A brand new paper"))
        assert build(root).code == 0
    return changed(before, tree(root / "public"))


def test_adding_one_paper_changes_only_what_it_must(one_more_paper: set[str]) -> None:
    unexpected = sorted(p for p in one_more_paper - MUST if not p.startswith(MUST_FOLDERS))
    assert unexpected == [], f"these files changed although the new paper is not on them: {unexpected}"
    assert {"papers/2511.00009/index.html", "issues/2025-W47/index.html", "index.html"} <= one_more_paper
    # other papers, even of the same issue, other issues and other tags are the very same files
    assert not {"papers/2511.00001/index.html", "papers/2511.00008/index.html", "issues/2025-W46/index.html",
                "tags/vision/index.html"} & one_more_paper


def test_a_correction_to_one_paper_changes_only_its_pages(tmp_path: Path) -> None:
    root = make(tmp_path / "site")
    with pinned_env():
        assert build(root).code == 0
        before = tree(root / "public")
        text = (root / "content/papers/2025/2511.00003.md").read_text("utf-8")
        write(
            root,
            "content/papers/2025/2511.00003.md",
            text.replace("A note about paper 3", "A corrected note about paper 3"),
        )
        assert build(root).code == 0
    diff = changed(before, tree(root / "public"))
    # the note shows on its page, its issue and tag listings and in feeds and exports
    allowed = {"papers/2511.00003/index.html", "papers/2511.00003/2511.00003.bib", "issues/2025-W46/index.html",
               "issues/2025-W46/2025-W46.bib", "tags/language/index.html",
               "tags/language/feed.xml", "feed.xml", "rss.xml", "feed.json", "papers/feed.xml", "papers.json",
               "llms.txt", ".digestgen.json", "index.html"}
    assert "papers/2511.00003/index.html" in diff
    assert sorted(diff - allowed) == []


def _subprocess_build(root: Path, cwd: Path, hashseed: str, tz: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(SOURCE_DATE_EPOCH=EPOCH, PYTHONHASHSEED=hashseed, TZ=tz, LC_ALL="C.UTF-8" if hashseed == "1" else "C")
    proc = subprocess.run([sys.executable, "-m", "digestgen", "build", "--site", str(root)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("search", [False, True], ids=["no-search", "search"])
def test_builds_are_byte_identical_across_hash_seeds_timezones_and_folders(tmp_path: Path, search: bool) -> None:
    first = make(tmp_path / "one" / "site", search)
    second = tmp_path / "elsewhere" / "deeper" / "copy"
    shutil.copytree(first, second)
    _subprocess_build(first, Path("/"), "1", "UTC")
    _subprocess_build(second, tmp_path, "4242", "Pacific/Kiritimati")
    # Pagefind's own index files differ from run to run even for identical input (reported
    # upstream-bound to the search owner); everything digestgen writes must be identical
    a = {k: v for k, v in tree(first / "public").items() if not k.startswith("pagefind/")}
    b = {k: v for k, v in tree(second / "public").items() if not k.startswith("pagefind/")}
    assert sorted(a) == sorted(b)
    assert [k for k in a if a[k] != b[k]] == []
    for path in (first / "public").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".txt"):
            text = path.read_bytes()
            assert str(first).encode() not in text and str(tmp_path).encode() not in text, path
