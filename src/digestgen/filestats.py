"""File stats that tell a changed file from an unchanged one without reading it (as git's
index does), for the fingerprint of a site's inputs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

StatKey = tuple[int, int, int, int]


def stat_key(st: os.stat_result) -> StatKey:
    """What tells a changed file from an unchanged one without reading it (like git's index)."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def tree_stats(root: Path, folders: Iterable[str]) -> list[tuple[str, StatKey]]:
    """(path, stat) of every file under some folders of a site, sorted; for the build fingerprint."""
    found: list[tuple[str, StatKey]] = []
    for sub in folders:
        base = root / sub
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, root)
            for name in sorted(filenames):
                try:
                    st = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue
                found.append((f"{rel_dir}/{name}", stat_key(st)))
    return found
