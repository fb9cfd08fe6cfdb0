"""Pagefind's bundle is checked before it is published, and Pagefind never outlives its build."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digestgen import search

from .security_helpers import EPOCH, build, run_cli, small_disk, tree, write

EXTRA = '---\ntitle: "Another paper"\ndate: 2025-11-21\narxiv: "2511.00002"\ntags: [safety]\n---\nA note.\n'

# a stand-in for Pagefind: copies a real bundle made earlier, then damages it
FAKE = """
import json, pathlib, shutil, sys
template, dest, damage = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
shutil.copytree(template, dest)
entry = json.loads((dest / "pagefind-entry.json").read_text())
meta = dest / ("pagefind." + next(iter(entry["languages"].values()))["hash"] + ".pf_meta")
if damage == "empty-fragment":
    next((dest / "fragment").iterdir()).write_bytes(b"")
elif damage == "empty-entry":
    (dest / "pagefind-entry.json").write_bytes(b"")
elif damage == "missing-meta":
    meta.unlink()
elif damage == "page-count":
    for lang in entry["languages"].values():
        lang["page_count"] -= 1
    (dest / "pagefind-entry.json").write_text(json.dumps(entry))
"""

# a stand-in for a Pagefind that takes long: says where it is, then waits
SLEEPER = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)"


def _searchable(site: Path) -> Path:
    (site / "site.yaml").write_text((site / "site.yaml").read_text().replace("search: false", "search: true"))
    return site


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_for(check, seconds: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    """Poll check until it holds or the time is up (a condition, not a guess at a delay)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return bool(check())


@pytest.fixture(scope="module")
def real_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle real Pagefind makes for the two-paper site of these tests."""
    from .security_helpers import make_site, pinned_env

    site = _searchable(make_site(tmp_path_factory.mktemp("bundle") / "site"))
    write(site, "content/papers/2511.00002.md", EXTRA)
    with pinned_env():
        assert build(site).code == 0
    return site / "public" / search.BUNDLE


@pytest.mark.parametrize("damage, said", [
    ("empty-fragment", "pagefind/fragment/"),
    ("empty-entry", "pagefind/pagefind-entry.json cannot be read"),
    ("missing-meta", ".pf_meta, which is missing"),
    ("page-count", "it indexed 1 pages of 2"),
])
def test_a_broken_search_bundle_is_never_published(site: Path, real_bundle: Path, monkeypatch: pytest.MonkeyPatch,
                                                   damage: str, said: str) -> None:
    _searchable(site)
    write(site, "content/papers/2511.00002.md", EXTRA)
    before = tree(site / "public")
    monkeypatch.setattr(search, "command", lambda folder, language, bundle=None: [
        sys.executable, "-c", FAKE, str(real_bundle), str(bundle or folder / search.BUNDLE), damage])
    run = run_cli("build", "--site", str(site))
    assert run.code == 1, run.err
    assert "search index: Pagefind left a broken bundle (" in run.err and said in run.err, run.err
    assert tree(site / "public") == before


def test_pagefind_on_a_full_disk_publishes_nothing(site: Path, tmp_path: Path) -> None:
    """On a disk too small for its bundle, Pagefind exits 0 and leaves empty files."""
    _searchable(site)
    with small_disk(tmp_path / "disk", "300k") as disk:
        run = run_cli("build", "--site", str(site), "--output", str(disk / "public"))
        assert run.code == 1, run.err
        assert "search index: Pagefind left a broken bundle (" in run.err, run.err
        assert sorted(p.name for p in disk.iterdir()) == [".public.lock"]


def test_the_real_bundle_passes_the_check(real_bundle: Path) -> None:
    search.verify(real_bundle, 2)
    with pytest.raises(search.SearchIndexError, match="indexed 2 pages of 3"):
        search.verify(real_bundle, 3)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_pagefind_dies_with_a_killed_build(site: Path, tmp_path: Path) -> None:
    _searchable(site)
    write(site, "content/papers/2511.00002.md", EXTRA)
    pid_file = tmp_path / "pagefind.pid"
    script = (
        f"import sys\nfrom digestgen import cli, search\n"
        f"search.command = lambda folder, language, bundle=None: [sys.executable, '-c', {SLEEPER!r}, "
        f"{str(pid_file)!r}]\n"
        f"sys.exit(cli.main(['build', '--site', {str(site)!r}]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    builder = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    pid = 0
    try:
        assert _wait_for(lambda: pid_file.exists() and pid_file.read_text().isdigit(), 60), "Pagefind never started"
        pid = int(pid_file.read_text())
        assert _alive(pid)
        builder.send_signal(signal.SIGKILL)
        builder.wait(timeout=30)
        assert _wait_for(lambda: not _alive(pid)), "Pagefind outlived the build that was killed"
    finally:
        builder.kill()
        builder.wait()
        if pid and _alive(pid):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(site / f".public.tmp-{builder.pid}", ignore_errors=True)


def test_pagefind_is_stopped_when_the_build_stops_waiting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pid_file = tmp_path / "pagefind.pid"
    monkeypatch.setattr(search, "command", lambda folder, language, bundle=None: [
        sys.executable, "-c", SLEEPER, str(pid_file)])
    real = subprocess.Popen.communicate
    calls = {"n": 0}

    def communicate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:  # Ctrl-C while the build waits for Pagefind
            assert _wait_for(lambda: pid_file.exists() and pid_file.read_text().isdigit())
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "communicate", communicate)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        search.run(tmp_path, "en")
    assert time.monotonic() - started < 30, "the build waited for Pagefind to finish"
    assert not _alive(int(pid_file.read_text()))
