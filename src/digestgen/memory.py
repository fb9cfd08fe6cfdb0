"""A site held in memory, for the preview: what `digestgen serve` answers from.

MemoryStaging takes the place of output.Staging when a build is for the preview: the same
calls (put, put_chunks, reuse, commit), but the files go into a dictionary, and commit()
makes it the served site in one assignment. Nothing is written to disk, so a preview never
shows a half-made site and has nothing to clean up or roll back after a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from digestgen.manifest import digest
from digestgen.output import WriteStats
from digestgen.output_paths import safe_relpath


class MemoryStaging:
    """The new preview site being made from the last one (site: path -> bytes, and previous:
    path -> digest, its manifest); publish(files, manifest) serves the new one."""

    def __init__(self, site: dict[str, bytes], previous: dict[str, str],
                 publish: Callable[[dict[str, bytes], dict[str, str]], None]):
        self.site = site
        self.previous = previous
        self.files: dict[str, bytes] = {}
        self.manifest: dict[str, str] = {}  # path -> digest, as a folder's manifest
        self.stats = WriteStats()
        self.publish = publish
        self.notes: list[str] = []
        self.published = False
        self.mark = ""
        self.spare_mark = ""

    def put(self, name: str, data: bytes) -> None:
        rel = safe_relpath(name)
        self.files[rel] = data
        self.manifest[rel] = digest(data)
        self.stats.count(len(data), self.previous.get(rel) != self.manifest[rel])

    def put_chunks(self, name: str, chunks: Iterable[bytes | memoryview]) -> None:
        self.put(name, b"".join(chunks))

    def reuse(self, name: str) -> bool:
        # a name of the last manifest was checked when it was put (most names are)
        rel = name if name in self.previous else safe_relpath(name)
        data = self.site.get(rel)
        digest_ = self.previous.get(rel)
        if data is None or digest_ is None:
            return False
        self.files[rel] = data
        self.manifest[rel] = digest_
        self.stats.count(len(data), False)
        self.stats.reused += 1
        return True

    def read(self, name: str) -> bytes | None:
        return self.files.get(name)

    def commit(self, check: Callable[[Any], None] | None = None) -> WriteStats:
        """Run the check on the new site, then serve it."""
        if check is not None:
            check(self)
        self.publish(self.files, self.manifest)
        self.published = True
        return self.stats

    def abort(self) -> None:
        self.files = {}
