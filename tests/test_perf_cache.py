"""The build cache, incremental rebuilds and worker processes never change a byte of the output."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest

from digestgen import cache as cache_mod
from digestgen import output as output_mod
from digestgen import quick, workers
from digestgen.build import build
from digestgen.build import build as _build
from digestgen.config import BuildOptions
from digestgen.progress import Progress
from digestgen.reuse import Reuse

PREVIEW = BuildOptions(serve=True)  # what digestgen serve asks for (without drafts and base_url)

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_EPOCH = "1795936000"  # 2026-11-29: every entry of the example digest is published


@pytest.fixture(autouse=True)
def _own_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test keeps its caches in a user cache folder of its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_EPOCH)
    monkeypatch.setattr(cache_mod, "RACY_NS", 0)  # files in tests are seconds old at most
    monkeypatch.setattr(quick, "RACY_NS", 0)


def tree_digest(folder: Path) -> dict[str, str]:
    """Path -> sha256 of every file under folder."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _site(tmp_path: Path) -> Path:
    """The example digest (40 papers) without search, so no indexer runs."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copytree(REPO / "content", site / "content")
    text = (REPO / "site.yaml").read_text("utf-8").replace("search: true", "search: false")
    (site / "site.yaml").write_text(text, "utf-8")
    return site


def _cold(site: Path, dest: Path) -> dict[str, str]:
    build(site, BuildOptions(output=dest), use_cache=False)
    return tree_digest(dest)


class _Builder:
    """build() with one Reuse per site, as a process keeps it; long_process: as serve's, which
    also keeps what it may in memory between builds. A preview is built into that Reuse."""

    def __init__(self, long_process: bool):
        self.long_process = long_process
        self.kept: dict[Path, Reuse] = {}

    def __call__(self, root: Path, options: BuildOptions | None = None, use_cache: bool = True):  # type: ignore[no-untyped-def]
        reuse = self.kept.setdefault(root, Reuse(root, long_lived=self.long_process)) if use_cache else None
        return _build(root, options, use_cache=use_cache, reuse=reuse)


def _builder(long_process: bool) -> _Builder:
    return _Builder(long_process)


def _memory_digest(reuse: Reuse) -> dict[str, str]:
    """Path -> sha256 of every file of a preview built into memory."""
    assert reuse.site is not None
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(reuse.site.items())}


def _cold_preview(site: Path, options: BuildOptions) -> dict[str, str]:
    reuse = Reuse(site, enabled=False)
    _build(site, options, use_cache=False, reuse=reuse)
    return _memory_digest(reuse)


def _without_manifest(files: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in files.items() if name != ".digestgen.json"}


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


def _edit(site: Path) -> Path:
    paper = sorted((site / "content" / "papers").rglob("*.md"))[3]
    text = paper.read_text("utf-8")
    paper.write_text(text.replace('title: "', 'title: "Revisited: ', 1), "utf-8")
    return paper


@pytest.mark.parametrize("long_process", [False, True], ids=["build", "kept-between-builds"])
def test_incremental_builds_match_a_cold_build(tmp_path: Path, long_process: bool) -> None:
    """Also in a long process (serve) that keeps per-paper results between builds (reuse.py)."""
    site = _site(tmp_path)
    reuse = Reuse(site, long_lived=True) if long_process else None

    def build(root: Path, options: BuildOptions | None = None):  # type: ignore[no-untyped-def]
        return _build(root, options, reuse=reuse)

    out = site / "public"
    first = build(site)
    assert first.stats.written == first.stats.files > 100
    assert sorted(cache_mod.cache_folder(site).glob("entries-*.bin"))
    again = build(site)
    assert again.stats.written == 0 and again.model.papers  # nothing to do, model still available
    assert tree_digest(out) == _cold(site, tmp_path / "cold0")

    _edit(site)
    edited = build(site)
    assert 0 < edited.stats.written < 45  # the paper, its issue and tags, feeds, exports, citation files
    assert tree_digest(out) == _cold(site, tmp_path / "cold1")

    added = site / "content" / "papers" / "2026" / "9999.00001.md"
    added.write_text(
        '---\ntitle: "A New Entry"\ndate: 2026-11-20\narxiv: "9999.00001"\ntags: [optimization]\n---\n\nShort '
        '*note*.\n',
        "utf-8",
    )
    build(site)
    assert (out / "papers" / "9999.00001" / "index.html").is_file()
    assert tree_digest(out) == _cold(site, tmp_path / "cold2")

    added.unlink()
    build(site)
    assert not (out / "papers" / "9999.00001").exists()
    assert tree_digest(out) == _cold(site, tmp_path / "cold3")
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".public.")) == [".public.lock", ".public.spare"]


def test_preview_rebuilds_in_a_long_process_match_a_cold_build(tmp_path: Path) -> None:
    """serve's way: one process, results kept between builds, pages known unchanged by the
    identity of what they show (carry_over.py). Every kind of edit still gives the bytes of a
    cold build: a note only, a title (which reorders an issue), a journal reference (as refresh
    adds), tags, an issue's intro, the tag vocabulary, a removed paper."""
    site = _site(tmp_path)
    out = site / "public"
    papers = sorted((site / "content" / "papers").rglob("*.md"))
    intro = min((site / "content" / "issues").glob("*.md"))
    vocabulary = site / "content" / "tags.yaml"
    edits = [
        lambda: (papers[5].open("a", encoding="utf-8").write("\nOne more sentence of the note.\n")),
        lambda: _replace(papers[7], 'title: "', 'title: "Zzz last in its issue: '),
        lambda: _replace(papers[3], 'title: "', 'journal: "Proceedings of a Test Venue 2026"\ntitle: "'),  # refresh
        lambda: _replace(papers[9], "tags: [", "tags: [scaling, "),
        lambda: _replace(intro, 'title: "', 'title: "Retitled: '),
        lambda: _replace(vocabulary, 'name: "Scaling"', 'name: "Scaling laws"'),
        lambda: papers[11].unlink(),
    ]
    reuse = Reuse(site, long_lived=True)
    build(site, PREVIEW, reuse=reuse)
    assert not out.exists()  # a preview is built into memory
    for number, edit in enumerate(edits):
        edit()
        result = build(site, PREVIEW, reuse=reuse)
        assert 0 < result.stats.written, number
        assert _memory_digest(reuse) == _without_manifest(_cold(site, tmp_path / f"cold{number}")), number


@pytest.mark.parametrize("pooled", [False, True], ids=["one-process", "feeds-in-the-pool"])
def test_one_shot_builds_after_every_kind_of_edit_match_a_cold_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     pooled: bool) -> None:
    """After an edit the feeds are made by a worker while this process makes papers.json
    (when it can fork), and a tag's feed is kept unless its papers, its name or description,
    or the name of a tag its papers carry changed: the bytes are a cold build's."""
    if pooled:
        monkeypatch.setattr(workers, "cpus", lambda: 2)
        monkeypatch.setattr(workers.threading, "active_count", lambda: 1)
        monkeypatch.setattr(workers, "RENDER_POOL_MIN", 1)  # as a big site's feeds would
    else:
        monkeypatch.setenv("DIGESTGEN_WORKERS", "1")
    started: list[int] = []
    real_pool = workers._pool
    monkeypatch.setattr(workers, "_pool", lambda size: started.append(size) or real_pool(size))
    site = _site(tmp_path)
    out = site / "public"
    papers = sorted((site / "content" / "papers").rglob("*.md"))
    vocabulary = site / "content" / "tags.yaml"
    edits = [
        lambda: papers[5].open("a", encoding="utf-8").write("\nOne more sentence of the note.\n"),
        lambda: _replace(papers[9], "tags: [", "tags: [scaling, "),
        lambda: _replace(vocabulary, 'name: "Scaling"', 'name: "Scaling laws"'),
        lambda: _replace(vocabulary, 'description: "Making training', 'description: "Making learning'),
        lambda: papers[11].unlink(),
    ]
    build(site)
    feeds = {p: p.stat().st_ino for p in (out / "tags").glob("*/feed.xml")}
    for number, edit in enumerate(edits):
        edit()
        result = build(site)
        assert 0 < result.stats.written, number
        assert tree_digest(out) == _cold(site, tmp_path / f"cold{number}"), number
    assert bool(started) == pooled
    # a tag no edit touched: its feed was never written again (a hard link to the first one)
    untouched = out / "tags" / "agents" / "feed.xml"
    assert untouched.stat().st_ino == feeds[untouched]


def test_an_error_met_by_a_worker_fails_the_build_and_keeps_the_site(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A problem met while making a feed over the pool (by a worker, or by this process taking
    its share) is reported with its file like any other, and the published site stays as it was."""
    from digestgen import feeds
    from digestgen.errors import ContentError, Problem

    monkeypatch.setattr(workers, "cpus", lambda: 2)
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)
    monkeypatch.setattr(workers, "RENDER_POOL_MIN", 1)  # as a big site's feeds would
    site = _site(tmp_path)
    build(site)
    before = tree_digest(site / "public")
    edited = _edit(site)
    makers = tmp_path / "makers"
    makers.mkdir()

    def failing(*args: object, **kwargs: object) -> bytes:
        (makers / str(os.getpid())).touch()
        raise ContentError([Problem(edited.relative_to(site).as_posix(), 2, 8, "title", "cannot be put in a feed")])

    monkeypatch.setattr(feeds, "_made", failing)
    pools: list[int] = []
    real_pool = workers._pool
    monkeypatch.setattr(workers, "_pool", lambda size: pools.append(size) or real_pool(size))
    with pytest.raises(ContentError) as failed:
        build(site)
    assert pools == [1] and [p.name for p in makers.iterdir()]  # met over the pool
    where = edited.relative_to(site).as_posix()
    assert [p.format() for p in failed.value.problems] == [f"{where}:2:8: title: cannot be put in a feed"]
    assert tree_digest(site / "public") == before
    assert not list(site.glob(".public.tmp-*"))


def test_no_change_rebuild_keeps_files_and_mtimes(tmp_path: Path) -> None:
    site = _site(tmp_path)
    build(site)
    before = {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*") if p.is_file()}
    result = build(site)
    assert result.stats.written == 0
    assert {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*") if p.is_file()} == before
    edited = _edit(site)
    build(site)  # a new folder; the previous one becomes the spare
    home = site / "public" / "404.html"
    assert home.stat().st_mtime_ns == before[home]  # unchanged bytes keep their mtime
    for n in range(3):  # later edits refresh the spare and swap it in
        _revise(site, edited, f"Take {n}:")
        result = build(site)
        assert 0 < result.stats.written < 45  # with the citation files of the paper, issue, tags
        assert home.stat().st_mtime_ns == before[home]
        assert b"Take %d: " % n in (site / "public" / "papers" / edited.stem / "index.html").read_bytes()
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold")


def test_git_does_not_see_the_spare_folder(tmp_path: Path) -> None:
    """Even in a repository whose .gitignore only names public/, the spare is not offered for
    committing; and its ignore file never reaches the published site."""
    import subprocess

    site = _site(tmp_path)
    (site / ".gitignore").write_text("public/\n", "utf-8")
    subprocess.run(["git", "init", "-q"], cwd=site, check=True)
    build(site)
    paper = _edit(site)
    build(site)
    assert (site / ".public.spare" / ".gitignore").is_file()
    for n in range(2):
        _revise(site, paper, f"Pass {n}:")
        build(site)
        assert not (site / "public" / ".gitignore").exists()
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=site, check=True,
                            capture_output=True, text=True).stdout
    assert ".public.spare" not in status and "content/" in status
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold")


def _revise(site: Path, paper: Path, words: str) -> None:
    text = paper.read_text("utf-8")
    paper.write_text(text.replace('title: "', f'title: "{words} ', 1), "utf-8")


def test_a_spare_that_changed_is_not_trusted(tmp_path: Path) -> None:
    site = _site(tmp_path)
    build(site)
    paper = _edit(site)
    build(site)
    spare = site / ".public.spare"
    manifest = spare / output_mod.MANIFEST
    manifest.write_text(manifest.read_text("utf-8").replace('"404.html":"', '"404.html":"0'), "utf-8")
    (spare / "404.html").unlink()  # a hard link to the published file: replace, do not write through
    (spare / "404.html").write_text("tampered", "utf-8")
    _revise(site, paper, "Again:")
    build(site)
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold")
    assert b"tampered" not in (spare / "404.html").read_bytes()  # the spare was replaced whole


@pytest.mark.parametrize("failure", [OSError, KeyboardInterrupt])
def test_a_refresh_that_fails_leaves_the_site_and_distrusts_the_spare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      failure: type[BaseException]) -> None:
    """An error while the spare is brought up to date: after a file-system error the build
    starts again without the spare; an interruption leaves the published site as it was."""
    site = _site(tmp_path)
    build(site)
    paper = _edit(site)
    build(site)
    before = tree_digest(site / "public")
    other = sorted((site / "content" / "papers").rglob("*.md"))[10]
    _revise(site, other, "Third:")  # the first edit's pages are linked from the published site
    real_link = os.link

    def failing_link(src, dst):  # type: ignore[no-untyped-def]
        if ".public.spare" in str(dst):
            raise failure("link refused")
        return real_link(src, dst)

    monkeypatch.setattr(output_mod.os, "link", failing_link)
    if failure is OSError:
        build(site)
        assert tree_digest(site / "public") == _cold(site, tmp_path / "cold1")
    else:
        with pytest.raises(failure):
            build(site)
        assert tree_digest(site / "public") == before
        assert not (site / ".public.spare" / output_mod.MANIFEST).exists()
    monkeypatch.setattr(output_mod.os, "link", real_link)
    _revise(site, paper, "Fourth:")
    build(site)
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold2")
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".public.")) == [".public.lock", ".public.spare"]


def test_files_deleted_by_hand_from_both_folders_are_made_again(tmp_path: Path) -> None:
    """A page gone from the published folder and from the spare: the refresh cannot link it,
    so the build starts again without the spare and renders it."""
    site = _site(tmp_path)
    build(site)
    first = _edit(site)
    build(site)
    _revise(site, first, "Again:")
    build(site)  # the first edit's pages now differ between the spare and the published site
    page = next(p for p in sorted((site / "public" / "papers").glob("*/index.html")) if p.parent.name != first.stem)
    rel = page.relative_to(site / "public")
    other = sorted((site / "content" / "papers").rglob("*.md"))[10]
    _revise(site, other, "Elsewhere:")
    (site / "public" / rel).unlink()
    (site / ".public.spare" / rel).unlink(missing_ok=True)
    build(site)
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold")


def test_deleting_the_cache_is_safe(tmp_path: Path) -> None:
    site = _site(tmp_path)
    build(site)
    _edit(site)
    shutil.rmtree(cache_mod.cache_folder(site))
    result = build(site)
    assert result.stats.written > 0
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped"])
def test_corrupt_cache_is_ignored_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    site = _site(tmp_path)
    build(site)
    _edit(site)
    for file in cache_mod.cache_folder(site).glob("*.bin"):
        blob = file.read_bytes()
        if damage == "garbage":
            file.write_bytes(b"\x80\x04not a cache at all")
        elif damage == "truncated":
            file.write_bytes(blob[: len(blob) // 2])
        else:
            middle = len(blob) // 2
            file.write_bytes(blob[:middle] + bytes([blob[middle] ^ 1]) + blob[middle + 1 :])
    capsys.readouterr()
    build(site)
    err = capsys.readouterr().err
    assert "ignoring the build cache file" in err and "safe to delete" in err
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold")


def test_papers_from_the_cache_leave_their_texts_in_it_until_shown(tmp_path: Path) -> None:
    """A build from the cache loads each paper without its abstract and note (most of its
    bytes); they are read back, checked, when a page or feed shows them, and are the same."""
    from digestgen.cache import Cache
    from digestgen.config import load_config
    from digestgen.load import load_site

    site = _site(tmp_path)
    fresh, _ = load_site(load_config(site))  # no cache: parsed
    build(site)
    config = load_config(site)
    cached, _ = load_site(config, Cache(config.root))
    assert [p.texts._values for p in cached.papers] == [None] * len(cached.papers)
    assert [(p.abstract, p.abstract_html, p.note, p.note_html) for p in cached.papers] == \
        [(p.abstract, p.abstract_html, p.note, p.note_html) for p in fresh.papers]
    assert cached.papers == fresh.papers and hash(cached.papers[0]) == hash(fresh.papers[0])


def test_papers_parsed_by_workers_keep_their_texts_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Texts parsed in worker processes are moved to a file as they arrive, then into the
    cache files: a cold build of a big site never holds them all in memory."""
    from digestgen.cache import Cache
    from digestgen.config import load_config
    from digestgen.load import load_site

    monkeypatch.setattr(workers, "PARSE_POOL_MIN", 1)
    monkeypatch.setattr(workers, "cpus", lambda: 2)
    site = _site(tmp_path)
    config = load_config(site)
    spilled, _ = load_site(config, Cache(config.root))
    parsed, _ = load_site(config)
    assert [p.texts._values for p in spilled.papers] == [None] * len(spilled.papers)
    assert [p.note_html for p in spilled.papers] == [p.note_html for p in parsed.papers]
    # nothing left beside the cache files (the file the texts were moved to has no name)
    assert {p.name.split("-")[0] for p in cache_mod.cache_folder(site).iterdir()} == {"entries", "related"}


def test_texts_changed_in_the_cache_are_never_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bytes of a cache file's texts changed in place (same size, so nothing looks wrong when
    it is opened) are noticed when read: the build starts again, checking every cache file as
    it reads it, ignores the damaged one with a warning, and gives the bytes of a cold build."""
    site = _site(tmp_path)
    build(site)
    _edit(site)
    for file in cache_mod.cache_folder(site).glob("entries-*.bin"):
        blob = bytearray(file.read_bytes())
        blob[-40:-20] = bytes(20)  # inside the last paper's texts, at the end of the file
        file.write_bytes(bytes(blob))
    capsys.readouterr()
    build(site)
    err = capsys.readouterr().err
    assert "ignoring the build cache file entries-" in err and "safe to delete" in err
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold")


def test_a_cache_folder_restored_elsewhere_gives_an_incremental_build(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """What the deploy workflow does: a fresh clone in another place, $DIGESTGEN_CACHE_DIR
    restored from an earlier run. No paper is parsed again, and the bytes are a cold build's."""
    for runner in ("runner-1", "runner-2"):
        (tmp_path / runner).mkdir()
    monkeypatch.setenv(cache_mod.CACHE_ENV, str(tmp_path / "runner-1" / "cache"))
    site = _site(tmp_path / "runner-1")
    build(site)
    clone = _site(tmp_path / "runner-2")  # the same sources: new inodes and times
    shutil.copytree(tmp_path / "runner-1" / "cache", tmp_path / "runner-2" / "cache")
    monkeypatch.setenv(cache_mod.CACHE_ENV, str(tmp_path / "runner-2" / "cache"))
    parsed: list[str] = []
    real_parse = workers.parse_papers
    monkeypatch.setattr(
        workers, "parse_papers", lambda root, rels, *a: parsed.extend(rels) or real_parse(root, rels, *a)
    )
    build(clone)
    assert parsed == []
    _edit(clone)
    build(clone)
    assert len(parsed) == 1
    assert tree_digest(clone / "public") == _cold(clone, tmp_path / "cold")
    parsed.clear()
    monkeypatch.delenv(cache_mod.CACHE_ENV)
    build(clone)  # in the user's cache folder, a cache of its own: every paper parsed
    assert len(parsed) == len([p for p in (clone / "content" / "papers").rglob("*") if p.is_file()]) > 30


def test_settings_theme_and_today_invalidate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path)
    build(site)
    yaml_path = site / "site.yaml"
    yaml_path.write_text(yaml_path.read_text("utf-8").replace("Papers of the Week", "Weekly Papers"), "utf-8")
    assert build(site).stats.written > 40
    assert b"Weekly Papers" in (site / "public" / "papers" / "1706.03762" / "index.html").read_bytes()
    (site / "templates").mkdir()
    (site / "templates" / "404.html").write_text("<p>gone</p>\n", "utf-8")
    assert build(site).stats.written >= 1
    assert (site / "public" / "404.html").read_text("utf-8") == "<p>gone</p>\n"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(os.environ["SOURCE_DATE_EPOCH"]) + 86400 * 400))
    build(site)
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold")


def test_worker_processes_give_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path)
    serial = _cold(site, tmp_path / "serial")
    monkeypatch.setattr(workers, "PARSE_POOL_MIN", 1)
    monkeypatch.setattr(workers, "RENDER_POOL_MIN", 1)
    monkeypatch.setattr(workers, "PARSE_CHUNK", 3)
    monkeypatch.setattr(workers, "RENDER_CHUNK", 5)
    monkeypatch.setattr(workers, "cpus", lambda: 2)
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)  # other tests leave threads behind
    pools: list[int] = []
    real_pool = workers._pool
    monkeypatch.setattr(workers, "_pool", lambda size: pools.append(size) or real_pool(size))
    build(site, BuildOptions(output=tmp_path / "pooled"))
    assert pools == [2, 1]  # parsing on both cores, rendering on one worker beside this process
    assert tree_digest(tmp_path / "pooled") == serial


def test_a_preview_built_by_workers_is_the_one_built_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """serve's first build may use worker processes: they send what they make back, and the
    site in memory is the one a single process makes."""
    site = _site(tmp_path)
    serial = _cold_preview(site, PREVIEW)
    monkeypatch.setattr(workers, "RENDER_POOL_MIN", 1)
    monkeypatch.setattr(workers, "RENDER_CHUNK", 5)
    monkeypatch.setattr(workers, "cpus", lambda: 2)
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)
    pools: list[int] = []
    real_pool = workers._pool
    monkeypatch.setattr(workers, "_pool", lambda size: pools.append(size) or real_pool(size))
    assert _cold_preview(site, PREVIEW) == serial
    assert pools == [2]


def test_a_failed_preview_build_keeps_serving_the_last_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A preview build that fails half-way leaves the site in memory as it was: the very files."""
    site = _site(tmp_path)
    reuse = Reuse(site, long_lived=True)
    build(site, PREVIEW, reuse=reuse)
    before = reuse.site
    assert before is not None and "index.html" in before
    _edit(site)

    class Killed(BaseException):
        pass

    def die(*args: object) -> None:
        raise Killed

    monkeypatch.setattr("digestgen.before_swap.checked", lambda *args: die)
    with pytest.raises(Killed):
        build(site, PREVIEW, reuse=reuse)
    assert reuse.site is before and _memory_digest(reuse) == {
        n: hashlib.sha256(d).hexdigest() for n, d in before.items()
    }
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    assert build(site, PREVIEW, reuse=reuse).stats.written > 0 and reuse.site is not before


def test_published_folder_is_never_patched_in_place(tmp_path: Path) -> None:
    """Outside serve, a rebuild swaps in a whole new folder: the old one is never touched."""
    site = _site(tmp_path)
    build(site)
    inode = (site / "public").stat().st_ino
    _edit(site)
    build(site)
    assert (site / "public").stat().st_ino != inode  # a new folder was swapped in
    assert not (site / ".public.journal").exists()


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr("digestgen.progress.DELAY", 0.0)
    shown = Tty()
    progress = Progress(shown)
    progress.advance("rendering", 5, 10)
    progress.done()
    assert "rendering 5/10" in shown.getvalue() and shown.getvalue().endswith("\r\x1b[2K")
    piped = io.StringIO()
    Progress(piped).advance("rendering", 5, 10)
    assert piped.getvalue() == ""
    monkeypatch.setenv("CI", "true")
    in_ci = Tty()
    Progress(in_ci).advance("rendering", 5, 10)
    assert in_ci.getvalue() == ""


def test_cache_keeps_the_state_of_a_few_output_folders_only(tmp_path: Path) -> None:
    """Building into many folders (tests, serve ports, --output) does not grow the cache forever."""
    site = _site(tmp_path)
    for n in range(cache_mod.KEEP_STATE_FILES + 4):
        build(site, BuildOptions(output=tmp_path / f"out-{n}"))
    states = sorted(cache_mod.cache_folder(site).glob("state-*.bin"))
    assert len(states) == cache_mod.KEEP_STATE_FILES
    # the newest output's state survives: a rebuild there has nothing to do
    assert build(site, BuildOptions(output=tmp_path / f"out-{cache_mod.KEEP_STATE_FILES + 3}")).stats.written == 0


def _issue_siblings(site: Path, paper_id: str) -> list[str]:
    """Ids of the other papers in the issue of paper_id (from the built papers.json)."""
    import json

    papers = json.loads((site / "public" / "papers.json").read_text("utf-8"))["papers"]
    issue = next(p["issue"] for p in papers if p["id"] == paper_id)
    return [p["id"] for p in papers if p["issue"] == issue and p["id"] != paper_id]


def test_paper_pages_depend_on_their_issue_only_as_far_as_they_show_it(tmp_path: Path) -> None:
    """The built-in paper page shows its issue's name, so editing one paper leaves the pages
    of the other papers of its issue alone (unless they list it as related); a theme whose
    paper page lists the issue's papers gets those pages rendered again."""
    site = _site(tmp_path)
    build(site)
    edited = _edit(site)
    siblings = _issue_siblings(site, edited.stem)
    pages = {pid: site / "public" / "papers" / pid / "index.html" for pid in siblings}
    before = {pid: page.stat().st_ino for pid, page in pages.items()}
    build(site)
    kept = [pid for pid, page in pages.items() if page.stat().st_ino == before[pid]]
    shown = [pid for pid, page in pages.items() if b"Revisited: " in page.read_bytes()]
    assert kept and set(kept) | set(shown) == set(siblings)  # only pages showing the paper (related) changed
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold-builtin")

    (site / "templates").mkdir()
    (site / "templates" / "paper.html").write_text(
        "<!doctype html>\n<title>{{ paper.title }}</title>\n"
        "{% if paper.tags %}<ul>{% for p in issue.papers %}<li>{{ p.title }}</li>{% endfor %}</ul>{% endif %}\n",
        "utf-8",
    )
    build(site)
    text = edited.read_text("utf-8")
    edited.write_text(text.replace('title: "Revisited: ', 'title: "Revised twice: ', 1), "utf-8")
    build(site)
    listing = [pages[pid].read_text("utf-8") for pid in siblings if "<li>" in pages[pid].read_text("utf-8")]
    assert listing and all("Revised twice: " in page for page in listing)
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold-theme")


def test_a_static_file_cannot_replace_a_kept_bibtex_file(tmp_path: Path) -> None:
    """BibTeX files of unchanged papers are kept from the last build without being made again;
    a static file at the same path is still refused."""
    from digestgen.errors import ContentError

    site = _site(tmp_path)
    build(site)
    before = tree_digest(site / "public")
    bib = next((site / "public" / "papers").rglob("*.bib")).relative_to(site / "public")
    (site / "static" / bib).parent.mkdir(parents=True)
    (site / "static" / bib).write_text("@misc{x}\n", "utf-8")
    with pytest.raises(ContentError, match=r"^static/papers/.*\.bib:1:1: \(file\): static file would be published at "
                                           r"/papers/.*\.bib, where content/papers/.*\.md writes /papers/[^\n]*$"):
        build(site)
    assert tree_digest(site / "public") == before


@pytest.mark.parametrize("long_process", [False, True], ids=["build", "kept-between-builds"])
def test_an_edit_that_makes_outputs_collide_is_refused(tmp_path: Path, long_process: bool) -> None:
    """A build whose outputs are the last build's paths skips the collision check; one whose
    paths changed (a paper renamed to 'feed.xml') is checked, and refused."""
    from digestgen.errors import ContentError

    site = _site(tmp_path)
    reuse = Reuse(site, long_lived=True) if long_process else None
    build(site, reuse=reuse)
    _edit(site)
    build(site, reuse=reuse)  # the same paths: checked by the digest of the last build's
    before = tree_digest(site / "public")
    paper = sorted((site / "content" / "papers").rglob("*.md"))[5]
    paper.rename(paper.with_name("feed.xml.md"))
    with pytest.raises(ContentError, match=r"content/papers/.*feed\.xml\.md:1:1: id: paper id 'feed\.xml' would be "
                                           r"published at /papers/feed\.xml/index\.html, where the site itself"):
        build(site, reuse=reuse)
    assert tree_digest(site / "public") == before


def test_a_build_with_nothing_to_do_is_told_by_the_record_of_the_last(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The record of the last build (quick.py) says there is nothing to do only while every
    input is as it was: sources, site.yaml, options, theme, the day, and the output."""
    import subprocess
    import sys

    from digestgen.build import unchanged_build

    site = _site(tmp_path)
    assert unchanged_build(site, BuildOptions()) is None  # no build yet
    first = build(site)
    told = unchanged_build(site, BuildOptions())
    assert told is not None and told.stats.written == 0 and told.summary().startswith(first.summary()[:40])
    assert {name: told.counts[name] for name in first.counts} == first.counts
    assert told.warnings == first.warnings and told.next_issue == first.next_issue
    assert told.model.papers == first.model.papers  # loaded when asked for
    # a fresh process that has nothing to do imports none of the stages
    probe = ("import sys; from pathlib import Path; from digestgen.build import build; "
             "from digestgen import quick; quick.RACY_NS = 0; r = build(Path(sys.argv[1])); "
             "print(r.stats.written, sorted(m for m in sys.modules if m.startswith(('digestgen.', 'jinja2', 'yaml'))))")
    out = subprocess.run([sys.executable, "-c", probe, str(site)], capture_output=True, text=True, check=True).stdout
    assert out.startswith("0 ") and "digestgen.load" not in out and "jinja2" not in out and "yaml" not in out, out
    assert unchanged_build(site, BuildOptions(drafts=True)) is None  # other options: their own record
    before = tree_digest(site / "public")
    for change in ("paper", "site.yaml", "theme", "output", "day"):
        if change == "paper":
            _edit(site)
        elif change == "site.yaml":
            _replace(site / "site.yaml", "search: false", "search: false\n# a comment")
        elif change == "theme":
            (site / "templates").mkdir(exist_ok=True)
            (site / "templates" / "extra.html").write_text("<p>unused</p>\n", "utf-8")
        elif change == "output":
            (site / "public" / ".digestgen.json").write_text("{}", "utf-8")
        else:
            monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(EXAMPLE_EPOCH) + 86_400))
        assert unchanged_build(site, BuildOptions()) is None, change
        build(site)
        assert unchanged_build(site, BuildOptions()) is not None, change
    assert tree_digest(site / "public") != before


def test_files_added_to_the_published_folder_do_not_come_back(tmp_path: Path) -> None:
    """digestgen email (or a person) adds files to public/ after a build; the next build
    drops them, and they must not reappear from the spare folder two builds later."""
    site = _site(tmp_path)
    build(site)
    paper = _edit(site)
    build(site)
    stray = site / "public" / "issues" / "email.html"
    stray.write_text("an old edition", "utf-8")
    (site / ".public.spare" / "robots.txt").unlink()  # and one lost from the spare comes back
    (site / "public" / "extra").mkdir()
    (site / "public" / "extra" / "notes.txt").write_text("by hand", "utf-8")
    for n in range(3):
        _revise(site, paper, f"Round {n}:")
        build(site)
        assert not stray.exists() and not (site / "public" / "extra").exists()
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold")


def test_the_spare_is_read_only_where_its_folders_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refresh lists only the folders of the spare whose time changed since it was published
    (a stat each, not a walk), and still finds what a person added, removed or replaced there."""
    site = _site(tmp_path)
    build(site)
    long_ago = 1_600_000_000_000_000_000  # folders untouched since an old build
    for folder in [site / "public", *(p for p in (site / "public").rglob("*") if p.is_dir())]:
        os.utime(folder, ns=(long_ago, long_ago))
    papers = sorted(p for p in (site / "public" / "papers").iterdir() if p.is_dir())
    (papers[0] / "notes.txt").write_text("added by hand", "utf-8")
    (papers[1] / "index.html").unlink()
    shutil.rmtree(papers[2])
    papers[2].symlink_to(tmp_path, target_is_directory=True)  # a folder made a link: nothing outside is touched
    (tmp_path / "keep.txt").write_text("outside the site", "utf-8")
    paper = _edit(site)
    build(site)  # a new folder; the one above becomes the spare
    listed: list[str] = []
    real_scandir = os.scandir

    def counting(path: object) -> object:
        if str(path).startswith(str(site / ".public.spare")):
            listed.append(str(path))
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(output_mod.os, "scandir", counting)
    _revise(site, paper, "Refreshed:")
    build(site)  # refreshes the spare
    folders = sum(1 for p in (site / "public").rglob("*") if p.is_dir())
    assert 0 < len(listed) < folders / 2
    assert (tmp_path / "keep.txt").read_text("utf-8") == "outside the site"
    assert not (site / "public" / "papers" / papers[0].name / "notes.txt").exists()
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold")


@pytest.mark.parametrize(
    "source, shown",
    [
        ("{{ xs|length }}", "3"),
        ("{{ xs + [4] }}", "[1, 2, 3, 4]"),
        ("{{ xs }}", "[1, 2, 3]"),
        ("{{ xs|last }}", "3"),
        ("{{ xs[:2] }}", "[1, 2]"),
        ("{{ 2 in xs }}", "True"),
        ("{{ xs|sort|join(',') }}", "1,2,3"),
        ("{{ xs is sequence }}", "True"),
        ("{{ xs|reverse|list }}", "[3, 2, 1]"),
        ("{% for x in xs %}{{ x }}{% endfor %}", "123"),
    ],
)
def test_an_issues_papers_on_a_paper_page_act_as_the_list_and_note_each_use(source: str, shown: str) -> None:
    """What a theme's paper page can do with issue.papers (see Renderer.render)."""
    import jinja2

    from digestgen.reads import Watched

    looked = [False]
    assert jinja2.Environment().from_string(source).render(xs=Watched([1, 2, 3], looked)) == shown
    assert looked == [True]


def test_a_file_written_in_pieces_is_kept_when_its_bytes_did_not_change(tmp_path: Path) -> None:
    """papers.json is written as it is made (Staging.put_chunks); unchanged, the published file
    stays the same file (inode and time), as with whole files."""
    out = tmp_path / "public"
    first = output_mod.Staging(out)
    first.put_chunks("papers.json", iter([b'{"papers":[\n', b"1,\n", b"2\n]}\n"]))
    first.put_chunks("other.json", iter([b"[1]"]))
    first.commit()
    before = (out / "papers.json").stat()
    again = output_mod.Staging(out)
    again.put_chunks("papers.json", iter([b'{"papers":[\n1,\n', b"2\n]}\n"]))  # the same bytes, cut elsewhere
    again.put_chunks("other.json", iter([b"[1,", b"2]"]))
    stats = again.commit()
    assert (stats.files, stats.written) == (2, 1)
    after = (out / "papers.json").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert (out / "papers.json").read_bytes() == b'{"papers":[\n1,\n2\n]}\n'
    assert (out / "other.json").read_bytes() == b"[1,2]"
    assert output_mod.read_manifest(out)["papers.json"] == output_mod.digest(b'{"papers":[\n1,\n2\n]}\n')


def test_an_edit_copies_the_other_papers_lines_of_papers_json_and_llms_txt(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh process makes the lines of the edited paper only (prior_lines.PriorLines), and never
    copies from a published file that was changed by hand."""
    from digestgen import exports

    monkeypatch.setenv("DIGESTGEN_WORKERS", "1")  # made in this process, where they can be counted
    site = _site(tmp_path)
    build(site)
    made: list[str] = []
    real_json, real_llms = exports._json_line, exports._llms_line
    monkeypatch.setattr(exports, "_json_line", lambda p, *a: made.append(f"json:{p.id}") or real_json(p, *a))
    monkeypatch.setattr(exports, "_llms_line", lambda p, *a: made.append(f"llms:{p.id}") or real_llms(p, *a))
    paper = _edit(site)
    build(site)
    assert sorted(made) == [f"json:{paper.stem}", f"llms:{paper.stem}"]
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold1")

    published = site / "public" / "papers.json"
    text = published.read_bytes()
    other = sorted((site / "content" / "papers").rglob("*.md"))[9].stem
    forged = text.replace(f'"id":"{other}"'.encode(), f'"id":"{other[::-1]}"'.encode(), 1)
    assert forged != text
    published.unlink()  # a new file, as an editor saves it
    published.write_bytes(forged)
    made.clear()
    _revise(site, paper, "Again:")
    build(site)
    assert sum(1 for m in made if m.startswith("json:")) > 10  # made again, not copied
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold2")


def test_published_lines_are_known_by_their_stat_until_it_changes(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """papers.json and llms.txt are not hashed again while their stat is the one taken when
    they were published; a change in place (same size) changes the stat, and the lines are
    then checked by their hash, found changed and made again."""
    from digestgen import exports, prior_lines

    monkeypatch.setenv("DIGESTGEN_WORKERS", "1")
    monkeypatch.setattr(cache_mod, "PUBLISHED_NS", -10**15)  # every stat counts as old enough here
    hashed: list[int] = []
    real_digest = prior_lines.file_digest
    monkeypatch.setattr(prior_lines, "file_digest", lambda handle: hashed.append(1) or real_digest(handle))
    made: list[str] = []
    real_json = exports._json_line
    monkeypatch.setattr(exports, "_json_line", lambda p, *a: made.append(p.id) or real_json(p, *a))
    site = _site(tmp_path)
    build(site)
    paper = _edit(site)
    made.clear()
    build(site)
    assert not hashed and made == [paper.stem]

    published = site / "public" / "papers.json"
    text = published.read_bytes()
    other = sorted((site / "content" / "papers").rglob("*.md"))[9].stem
    forged = text.replace(f'"id":"{other}"'.encode(), f'"id":"{other[::-1]}"'.encode(), 1)
    assert forged != text and len(forged) == len(text)
    with open(published, "r+b") as handle:  # the same file, the same size
        handle.write(forged)
    made.clear()
    _revise(site, paper, "Again:")
    build(site)
    assert hashed and len(made) > 10  # checked by its hash, and made again rather than copied
    assert tree_digest(site / "public") == _cold(site, tmp_path / "cold")


def test_a_stat_taken_too_soon_after_a_change_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "papers.json"
    path.write_bytes(b"{}")
    monkeypatch.setattr(cache_mod, "PUBLISHED_NS", 3600 * 10**9)
    assert cache_mod.published_stat(path) is None
    monkeypatch.setattr(cache_mod, "PUBLISHED_NS", -10**15)
    assert cache_mod.published_stat(path) == cache_mod.stat_key(path.stat())
    assert cache_mod.published_stat(tmp_path / "gone.json") is None


@pytest.mark.parametrize("long_process", [False, True], ids=["build", "kept-between-builds"])
@pytest.mark.parametrize("preview", [False, True], ids=["public", "preview"])
def test_publishing_between_builds_matches_a_cold_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        long_process: bool, preview: bool) -> None:
    """An issue that becomes published with no file changed (the clock passed its publish_at),
    then edits of its draft and publish_at keys: each build gives a cold build's bytes. A
    preview (drafts and scheduled issues shown, badged) and a public build alike."""
    options = BuildOptions(serve=True, drafts=True, future=True) if preview else BuildOptions()
    site = _site(tmp_path)
    out = site / "public"
    intro = site / "content" / "issues" / "2026-W48.md"
    _replace(intro, "publish_at: 2026-11-29T08:00", "publish_at: 2026-11-29T10:00")  # 08:06 there now
    week = out / "issues" / "2026-W48" / "index.html"

    def cold(number: int) -> dict[str, str]:
        dest = tmp_path / f"cold{number}"
        if preview:
            return _cold_preview(site, BuildOptions(output=dest, serve=True, drafts=True, future=True))
        build(site, BuildOptions(output=dest), use_cache=False)
        return tree_digest(dest)

    def current() -> dict[str, str]:
        return _memory_digest(build.kept[site]) if preview else tree_digest(out)

    def shown() -> str:
        if preview:
            files = build.kept[site].site or {}
            page = files.get("issues/2026-W48/index.html")
        else:
            page = week.read_bytes() if week.exists() else None
        if page is None:
            return "hidden"
        return "badged" if b"badge-unpublished" in page else "published"

    build = _builder(long_process)
    build(site, options)
    assert shown() == ("badged" if preview else "hidden")
    assert build(site, options).stats.written == 0  # nothing to do: the issue is still due
    later = str(int(EXAMPLE_EPOCH) + 3 * 3600)  # 11:06 in Berlin, the same day
    monkeypatch.setenv("SOURCE_DATE_EPOCH", later)
    assert build(site, options).stats.written > 0
    assert shown() == "published"
    assert current() == cold(0)
    edits = [
        (lambda: _replace(intro, "publish_at: 2026-11-29T10:00", "draft: true"), "badged" if preview else "hidden"),
        (lambda: _replace(intro, "draft: true", "publish_at: 2026-11-30T07:00"), "badged" if preview else "hidden"),
        (lambda: _replace(intro, "publish_at: 2026-11-30T07:00", "publish_at: 2026-11-29T11:00"), "published"),
        (lambda: _replace(intro, "publish_at: 2026-11-29T11:00", ""), "badged" if preview else "hidden"),
    ]
    for number, (edit, expected) in enumerate(edits, 1):
        edit()
        build(site, options)
        assert shown() == expected, number
        assert current() == cold(number), number


@pytest.mark.parametrize("long_process", [False, True], ids=["build", "kept-between-builds"])
def test_citation_files_after_an_author_edit_match_a_cold_build(tmp_path: Path, long_process: bool) -> None:
    """Every paper's and issue's RIS and CSL-JSON file, and every BibTeX file, is kept by its
    papers' content, and made again when one of those papers' authors change."""
    build = _builder(long_process)
    site = _site(tmp_path)
    out = site / "public"
    build(site)
    before = {p: p.stat().st_ino for p in out.rglob("*") if p.name.endswith((".bib", ".ris", ".csl.json"))}
    paper = [p for p in sorted((site / "content" / "papers").rglob("*.*"))
             if "authors:\n  - " in p.read_text("utf-8")][3]
    _replace(paper, "authors:\n", 'authors:\n  - "Zoë Ødegaard Jr."\n')
    build(site)
    cold = tmp_path / "cold"
    _cold(site, cold)
    citation = {k: v for k, v in tree_digest(out).items() if k.endswith((".ris", ".csl.json"))}
    assert citation == {k: v for k, v in tree_digest(cold).items() if k.endswith((".ris", ".csl.json"))}
    assert tree_digest(out) == tree_digest(cold)
    changed = sorted(p.relative_to(out).as_posix() for p, ino in before.items() if p.stat().st_ino != ino)
    assert any(name.startswith(f"papers/{paper.stem}/") for name in changed), changed
    assert any(name.startswith("issues/") for name in changed) and any(name.startswith("tags/") for name in changed)
    assert len(changed) < len(before) / 4  # the other papers' files were kept, not made again
    assert "Ødegaard, Zoë, Jr." in (out / "papers" / paper.stem / f"{paper.stem}.ris").read_text("utf-8")


@pytest.mark.parametrize("long_process", [False, True], ids=["build", "kept-between-builds"])
def test_issue_pages_follow_their_neighbours_and_the_archive_months(tmp_path: Path, long_process: bool) -> None:
    """An issue page's date navigator shows the older and newer issue by name and links to
    every year and month of the archive: a paper in a new week (and year), an issue retitled
    and an issue given its first title each reach every issue page, as a cold build has them."""
    site = _site(tmp_path)
    out = site / "public"
    papers = site / "content" / "papers"

    def issue_page(key: str) -> str:
        return (out / "issues" / key / "index.html").read_text("utf-8")

    def add_old_paper() -> None:
        (papers / "2025").mkdir()
        (papers / "2025" / "9999.00002.md").write_text(
            '---\ntitle: "An Older Entry"\ndate: 2025-03-12\narxiv: "9999.00002"\ntags: [optimization]\n---\n\nA '
            'note.\n',
            "utf-8")

    edits = [  # an edit, then what issue pages show after it
        (add_old_paper, [("2026-W48", "#month-2025-3"), ("2026-W44", "Week 11 · 10–16 Mar 2025")]),
        (
            lambda: _replace(site / "content" / "issues" / "2026-W46.md", 'title: "', 'title: "Retitled: '),
            [("2026-W47", "Retitled: Efficient attention"), ("2026-W45", "Retitled: Efficient attention")],
        ),
        (
            lambda: (site / "content" / "issues" / "2026-W45.md").write_text(
                '---\ntitle: "A first title"\n---\n', "utf-8"
            ),
            [("2026-W44", "A first title"), ("2026-W46", "A first title")],
        ),
    ]
    build = _builder(long_process)
    build(site)
    assert "#month-2025-3" not in issue_page("2026-W48")
    for number, (edit, expected) in enumerate(edits):
        edit()
        build(site)
        assert all(shown in issue_page(key) for key, shown in expected), number
        assert tree_digest(out) == _cold(site, tmp_path / f"cold{number}"), number


def test_a_long_process_keeps_a_result_for_one_build_past_its_last_use(tmp_path: Path) -> None:
    """What serve remembers is bounded by what two builds use: a result made once and not
    asked for again is let go, one asked for in every build is made once."""
    from digestgen.reuse import remembered

    reuse = Reuse(tmp_path, enabled=False, long_lived=True)
    made: list[str] = []

    def make(name: str) -> str:
        made.append(name)
        return name.upper()

    for build_number in range(4):
        with reuse.active():
            assert remembered("kind", "every build", make, "every build") == "EVERY BUILD"
            if build_number == 0:
                assert remembered("kind", "first build", make, "first build") == "FIRST BUILD"
            if build_number in (1, 3):  # kept through build 1, gone by build 3
                remembered("kind", "first build", make, "first build")
    assert made == ["every build", "first build", "first build"]
    assert remembered("kind", "outside a build", make, "outside a build") == "OUTSIDE A BUILD"
    assert made[-1] == "outside a build"  # (no long process active: made, not kept)


def test_a_long_process_keeps_a_result_of_a_record_while_the_record_lives(tmp_path: Path) -> None:
    """A paper's BibTeX is kept through builds that do not ask for it (a big tag's bundle,
    made again after one of its papers changed, needs every other paper's), and let go with
    the paper's record."""
    import gc

    from digestgen.reuse import remembered_for

    class Record:  # (a paper record stands for itself: hashed and compared as a value)
        def __init__(self, name: str):
            self.name = name

    reuse = Reuse(tmp_path, enabled=False, long_lived=True)
    made: list[str] = []

    def make(record: Record) -> str:
        made.append(record.name)
        return record.name.upper()

    one, two = Record("one"), Record("two")
    for build_number in range(4):
        with reuse.active():
            if build_number in (0, 3):
                assert remembered_for(one, "bib", make, one) == "ONE"
            assert remembered_for(two, "bib", make, two) == "TWO"
    assert made == ["one", "two"]  # one: kept through the two builds that did not use it
    del one
    gc.collect()
    assert len(reuse._of_records["bib"]) == 1  # gone with its record
    assert remembered_for(two, "bib", make, two) == "TWO" and made[-1] == "two"  # outside a build: made
