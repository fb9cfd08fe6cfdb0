"""A pull request may commit a .digestgen-cache folder: the build must never trust or follow it."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

from digestgen import cache

from .security_helpers import build, tree, write


class _Boom:
    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.sentinel}",))


def _reference(site: Path, tmp_path: Path) -> dict[str, str]:
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, symlinks=True)
    shutil.rmtree(clean / cache.CACHE_DIR, ignore_errors=True)
    shutil.rmtree(clean / "public")
    assert build(clean).code == 0
    return tree(clean / "public")


def test_forged_cache_files_are_ignored_and_never_unpickled(site: Path, tmp_path: Path) -> None:
    write(site, "content/papers/2511.00002.md", '---\ntitle: "Second"\ndate: 2025-11-21\narxiv: "2511.00002"\n---\nnote\n')
    assert build(site).code == 0
    files = sorted((site / cache.CACHE_DIR).glob("*.bin"))
    assert files, "the build wrote no cache to forge"
    sentinel = tmp_path / "sentinel"
    evil = pickle.dumps(_Boom(sentinel))
    for number, file in enumerate(files):
        if number % 2:
            file.write_bytes(cache.MAGIC + b"\0" * cache.MAC_BYTES + evil)  # looks like ours, wrong signature
        else:
            file.write_bytes(evil)  # a bare pickle
    # the content changed too, so the build must read (and reject) the forged entries
    write(site, "content/papers/2511.00002.md", '---\ntitle: "Second, fixed"\ndate: 2025-11-21\narxiv: "2511.00002"\n---\nnote\n')
    expected = _reference(site, tmp_path)
    run = build(site)
    assert run.code == 0, run.err
    assert not sentinel.exists()
    assert tree(site / "public") == expected
    assert "ignoring" in run.err and "Traceback" not in run.err


def test_cache_folder_that_is_a_symlink_is_not_written_through(site: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    shutil.rmtree(site / cache.CACHE_DIR, ignore_errors=True)
    (site / cache.CACHE_DIR).symlink_to(victim)
    write(site, "content/papers/2511.00002.md", '---\ntitle: "Second"\ndate: 2025-11-21\narxiv: "2511.00002"\n---\nnote\n')
    run = build(site)
    assert run.code == 0, run.err
    assert list(victim.iterdir()) == []
