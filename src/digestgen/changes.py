"""Sources that change while a build runs: noticed before the site is published.

An entry saved while a build runs (an editor that writes in place, a `git pull`) may be read
half-written, or after the pages that link to it were made. A build looks at every source
when it starts (size, times and inode, as git's index does), and again just before it
publishes: a source that changed in between is named, and the build is made again.

File times tick coarsely, so a file changed in the same tick as the first look can keep its
stat: for files that recent (not settled, see cache.settled) the content is compared too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from digestgen.cache import settled
from digestgen.errors import DigestgenError, published_state
from digestgen.filestats import StatKey, stat_key, tree_stats
from digestgen.manifest import file_digest
from digestgen.stamps import WATCHED

BUILD_ATTEMPTS = 3  # builds in a row, when sources keep changing, before the build gives up


class SourcesChanged(DigestgenError):
    """Sources changed while the site was built; nothing was published."""

    def __init__(self, paths: list[str], attempts: int = 1):
        self.paths = paths
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        tries = "" if attempts == 1 else f" during each of {attempts} builds"
        super().__init__(f"digestgen: {shown} changed while the site was built{tries}; {published_state(False)}; "
                         "build again once the edits are saved")

    def __reduce__(self) -> tuple[type[SourcesChanged], tuple[list[str], int]]:
        return type(self), (self.paths, 1)


def site_stats(root: Path, site_yaml: StatKey | None = None) -> dict[str, StatKey]:
    """The stat of every source of the site by site path (site_yaml: the one taken before the
    site's settings were read, when there is one)."""
    stats = dict(tree_stats(root, WATCHED))
    stats["site.yaml"] = site_yaml if site_yaml is not None else stat_of(root / "site.yaml")
    return stats


def stat_of(path: Path) -> StatKey:
    try:
        return stat_key(os.lstat(path))
    except OSError:
        return (-1, -1, -1, -1)


class Snapshot:
    """The sources as a build found them when it started (under its lock)."""

    def __init__(self, root: Path, looked: int, stats: dict[str, StatKey]):
        self.root = root
        self.stats = stats
        # too recent for their stat to show a change in the same tick: their content, too
        self.digests = {rel: _digest(root / rel) for rel, st in stats.items() if st[0] >= 0 and not settled(st, looked)}

    def changed(self) -> list[str]:
        """The sources that changed since (sorted site paths)."""
        now = site_stats(self.root)
        changed = {rel for rel in now.keys() | self.stats.keys() if now.get(rel) != self.stats.get(rel)}
        changed |= {
            rel for rel, known in self.digests.items() if rel not in changed and _digest(self.root / rel) != known
        }
        return sorted(changed)

    def check(self) -> None:
        """Raise SourcesChanged when a source changed since."""
        changed = self.changed()
        if changed:
            raise SourcesChanged(changed)


def _digest(path: Path) -> str:
    """The content hash of a regular file, read without blocking ('' for anything else)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        return file_digest(handle)
