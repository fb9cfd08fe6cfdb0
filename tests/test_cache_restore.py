"""A build cache restored into another checkout (as a CI runner restores it) still reuses pages."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from digestgen import cache as cache_mod
from digestgen import workers
from digestgen.build import build
from digestgen.config import BuildOptions
from digestgen.output import WriteStats

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _one_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One cache folder for every checkout of a test, as a CI runner restores it."""
    monkeypatch.setenv("DIGESTGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795936000")  # every entry of the example is published
    monkeypatch.setattr(cache_mod, "RACY_NS", 0)  # files in tests are seconds old at most


def _moved(tmp_path: Path, options: BuildOptions) -> tuple[Path, WriteStats]:
    """The example built once, then copied with its output to another folder; the first build's stats."""
    first = build(_example(tmp_path / "one" / "site"), options)
    moved = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(tmp_path / "one" / "site", moved)
    return moved, first.stats


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _example(site: Path) -> Path:
    """The example digest (40 papers), without search so that no indexer runs."""
    site.mkdir(parents=True)
    shutil.copytree(REPO / "content", site / "content")
    text = (REPO / "site.yaml").read_text("utf-8").replace("search: true", "search: false")
    (site / "site.yaml").write_text(text, "utf-8")
    return site


@pytest.mark.parametrize("base_url", [None, "https://digest.example.org/reading/"])
def test_a_site_moved_to_another_folder_reuses_its_cache(tmp_path: Path, base_url: str | None) -> None:
    """The keys of pages and files say nothing of where the site and its output are: the same
    site checked out elsewhere, with the same cache folder, links what it built before."""
    options = BuildOptions(base_url=base_url)
    moved, first = _moved(tmp_path, options)
    assert first.written == first.files  # nothing to take over yet
    again = build(moved, options)
    assert again.stats.files == first.files and again.stats.written == 0
    # every paper's, issue's and tag's page and file is linked from the output that came with
    # the checkout; what has no key (the lists, papers.json, the sitemap...) is made again
    assert again.stats.reused > first.files * 3 // 4, again.stats

    cold = tmp_path / "cold"
    build(moved, BuildOptions(base_url=base_url, output=cold), use_cache=False)
    assert _tree(moved / "public") == _tree(cold)


def test_a_moved_site_with_another_base_url_makes_its_pages_again(tmp_path: Path) -> None:
    """base_url changes the bytes of pages: the keys keep it, wherever the site is."""
    moved, first = _moved(tmp_path, BuildOptions())
    other = BuildOptions(base_url="https://elsewhere.example.net/")
    again = build(moved, other)
    assert again.stats.files == first.files and again.stats.reused == 0
    cold = tmp_path / "cold"
    build(moved, BuildOptions(base_url="https://elsewhere.example.net/", output=cold), use_cache=False)
    assert _tree(moved / "public") == _tree(cold)


def test_a_fresh_checkout_with_a_restored_cache_builds_what_a_cold_build_does(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A CI runner: the cache of an earlier run, the sources checked out anew, no output yet;
    only the paper edited since that run is parsed."""
    build(_example(tmp_path / "one" / "site"))
    parsed: list[str] = []
    real_parse = workers.parse_papers
    monkeypatch.setattr(workers, "parse_papers",
                        lambda root, rels, *a: parsed.extend(rels) or real_parse(root, rels, *a))
    paper = sorted((tmp_path / "one" / "site" / "content" / "papers").rglob("*.md"))[5]
    paper.write_text(paper.read_text("utf-8").replace("title: ", "title: Revised ", 1), "utf-8")
    runner = _example(tmp_path / "runner" / "work")
    shutil.copytree(tmp_path / "one" / "site" / "content", runner / "content", dirs_exist_ok=True)
    result = build(runner)
    assert parsed == [paper.relative_to(tmp_path / "one" / "site").as_posix()]
    assert result.stats.reused == 0  # no output to take pages from
    cold = tmp_path / "cold"
    build(runner, BuildOptions(output=cold), use_cache=False)
    assert _tree(runner / "public") == _tree(cold)
    assert "Revised " in (runner / "public" / "papers.json").read_text("utf-8")
