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


PAGES_URL = "https://curators.github.io/digest/"  # what actions/configure-pages gives the build


def _checkout(tmp_path: Path, runner: str, sources: Path) -> Path:
    """A fresh clone on a runner: the sources, no output, no spare."""
    site = _example(tmp_path / runner / "work" / "digest")
    shutil.copytree(sources / "content", site / "content", dirs_exist_ok=True)
    return site


def _cache_dir(tmp_path: Path, runner: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The runner's DIGESTGEN_CACHE_DIR, as the deploy job sets it (under $RUNNER_TEMP)."""
    folder = tmp_path / runner / "temp" / "digestgen-cache"
    monkeypatch.setenv("DIGESTGEN_CACHE_DIR", str(folder))
    return folder


def _save(site: Path, cache: Path, entry: Path) -> None:
    """What the deploy job saves in one cache entry: the cache folder and public/ without
    pagefind/ (copied, as tar restores them: the same bytes and times, other inodes)."""
    shutil.copytree(cache, entry / "cache")
    shutil.copytree(site / "public", entry / "public", ignore=shutil.ignore_patterns("pagefind"))


def _restore(entry: Path, site: Path, cache: Path) -> None:
    """actions/cache/restore on a new runner: both paths where the workflow keeps them."""
    shutil.copytree(entry / "cache", cache)
    shutil.copytree(entry / "public", site / "public")


def _edit_title(site: Path, number: int) -> str:
    paper = sorted((site / "content" / "papers").rglob("*.md"))[number]
    text = paper.read_text("utf-8")
    paper.write_text(text.replace('title: "', 'title: "Revised ', 1), "utf-8")
    assert paper.read_text("utf-8") != text
    return paper.relative_to(site).as_posix()


def _main_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, WriteStats]:
    """The deploy job of an earlier push to main: a fresh checkout built and saved; returns the
    repository's sources, the saved cache entry and that build's stats."""
    repo = _example(tmp_path / "repository")
    site = _checkout(tmp_path, "runner-1", repo)
    cache = _cache_dir(tmp_path, "runner-1", monkeypatch)
    first = build(site, BuildOptions(base_url=PAGES_URL))
    _save(site, cache, tmp_path / "entry")
    return repo, tmp_path / "entry", first.stats


def test_a_ci_runner_with_the_restored_cache_and_output_builds_incrementally(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deploy job after a push that edits one paper: a new runner checks out the sources,
    restores the cache entry of the last run on main (cache folder and public/), builds, and
    makes only what the edit changed; the site it publishes is the cold build's."""
    repo, entry, first = _main_run(tmp_path, monkeypatch)
    edited = _edit_title(repo, 5)
    site = _checkout(tmp_path, "runner-2", repo)
    cache = _cache_dir(tmp_path, "runner-2", monkeypatch)
    _restore(entry, site, cache)
    parsed: list[str] = []
    real_parse = workers.parse_papers
    monkeypatch.setattr(workers, "parse_papers",
                        lambda root, rels, *a: parsed.extend(rels) or real_parse(root, rels, *a))
    again = build(site, BuildOptions(base_url=PAGES_URL)).stats
    assert parsed == [edited]
    assert again.files == first.files and again.reused > first.files * 3 // 4, again
    assert again.written < first.files // 10, again  # the paper's page, its issue's, lists, feeds
    cold = tmp_path / "cold"
    build(site, BuildOptions(base_url=PAGES_URL, output=cold), use_cache=False)
    assert _tree(site / "public") == _tree(cold)
    assert "Revised " in (site / "public" / "papers.json").read_text("utf-8")


def test_a_tampered_or_partial_restored_output_never_reaches_the_published_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The restored output's manifest matches the cache, but a page was changed, one is
    missing, one is a link to another file and a stray file was added: each file is checked
    before it is taken, so what is published is still the cold build, and the rest is reused."""
    repo, entry, first = _main_run(tmp_path, monkeypatch)
    pages = sorted(p for p in (entry / "public" / "papers").rglob("index.html"))
    pages[0].write_bytes(pages[0].read_bytes().replace(b"</main>", b"<script>alert(1)</script></main>"))
    pages[1].unlink()
    pages[2].unlink()
    pages[2].symlink_to(repo / "site.yaml")
    (entry / "public" / "planted.html").write_text("<script>alert(1)</script>", "utf-8")
    site = _checkout(tmp_path, "runner-2", repo)
    cache = _cache_dir(tmp_path, "runner-2", monkeypatch)
    _restore(entry, site, cache)
    again = build(site, BuildOptions(base_url=PAGES_URL)).stats
    assert again.files == first.files and again.reused > first.files * 3 // 4, again
    cold = tmp_path / "cold"
    build(site, BuildOptions(base_url=PAGES_URL, output=cold), use_cache=False)
    assert _tree(site / "public") == _tree(cold)
    assert not (site / "public" / pages[2].relative_to(entry / "public")).is_symlink()


def test_an_output_put_back_by_hand_is_checked_even_when_nothing_changed(tmp_path: Path) -> None:
    """A build with nothing to do trusts only the very folder the last build left: the same
    manifest in a copy (a backup put back, a folder restored from a cache) is not enough."""
    site = _example(tmp_path / "site")
    build(site)
    copy = tmp_path / "copy"
    shutil.copytree(site / "public", copy)
    page = next((copy / "papers").rglob("index.html"))
    page.write_bytes(page.read_bytes().replace(b"</main>", b"<p>planted</p></main>"))
    shutil.rmtree(site / "public")
    shutil.copytree(copy, site / "public")
    again = build(site)
    assert again.stats.written == 1, again.stats
    cold = tmp_path / "cold"
    build(site, BuildOptions(output=cold), use_cache=False)
    assert _tree(site / "public") == _tree(cold)


def test_a_spare_folder_copied_with_the_site_is_not_trusted(tmp_path: Path) -> None:
    """The spare (the build before last, refreshed in place by the next build) is used only
    where the last build left it: one that came with a copy of the site, or was committed into
    it, could hold any bytes under a manifest that matches."""
    first = _example(tmp_path / "one" / "site")
    build(first)
    _edit_title(first, 3)
    build(first)  # the first build's output is now the spare
    moved = tmp_path / "elsewhere" / "site"
    shutil.copytree(first, moved)
    for page in (moved / ".public.spare").rglob("index.html"):
        page.write_bytes(page.read_bytes().replace(b"</main>", b"<p>planted</p></main>"))
    _edit_title(moved, 20)
    build(moved)
    cold = tmp_path / "cold"
    build(moved, BuildOptions(output=cold), use_cache=False)
    assert _tree(moved / "public") == _tree(cold)
