"""The paper lines of the last build's papers.json and llms.txt, copied instead of made again.

Part of the reuse layer (reuse.py): exports.py makes these files from the model alone and
takes a LineSource to copy lines from; a build (build.py) makes a PriorLines from the last
build's state, and records where this build's lines went for the next one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digestgen.cache import BuildState, published_stat
from digestgen.content import Paper
from digestgen.filestats import StatKey, stat_key
from digestgen.manifest import file_digest

if TYPE_CHECKING:
    from digestgen.output import Staging


def prior_lines(last: BuildState, render_key: str, hashes: dict[str, str], staging: Staging) -> PriorLines:
    """Where each paper's line is in the published papers.json and llms.txt, to copy it from
    there when the paper did not change."""
    prior = PriorLines(hashes)
    for path, (recorded, made_for, index, stat) in last.lines.items():
        if made_for == render_key and staging.previous.get(path) == recorded:
            prior.load(staging.output, path, recorded, index, stat)
    return prior


class PriorLines:
    """The paper lines of the last build's papers.json and llms.txt, copied instead of made
    again: a fresh process that builds after a one-entry edit makes one line of each, not
    10,000.

    A line is found by a key of what it is made of besides the settings (the paper's id, its
    file's content hash and, in papers.json, its issue); the caller uses a store only for the
    settings it was made with. The lines are read from the published file itself, a block at
    a time as they are copied (never loaded, nor mapped: a mapping would count the whole file
    as the build's memory), and only when its bytes still hash to what the manifest recorded.
    """

    def __init__(self, hashes: dict[str, str]):
        self.hashes = hashes  # content hash of each paper file, by site path
        self.sources: dict[str, tuple[Path, str, list[tuple[str, int, int]], StatKey | None]] = {}
        self.made: dict[str, list[tuple[str, int, int]]] = {}  # path -> (key, offset, length) per line

    def load(self, folder: Path, path: str, recorded: str, index: list[tuple[str, int, int]],
             stat: StatKey | None = None) -> None:
        """Take the lines of folder/path, a file whose manifest digest is recorded (checked
        when the file is made, see lines) and whose stat, once published, was stat."""
        self.sources[path] = (folder, recorded, index, stat)

    def lines(self, path: str) -> _LineFile | None:
        """The lines of the last path, if its bytes are still what the manifest recorded: known
        by its stat (the same inode, size and times as when it was published: a write or a
        replacement changes them) or else by hashing it."""
        if path not in self.sources:
            return None
        folder, recorded, index, stat = self.sources[path]
        try:
            handle = open(folder / path, "rb")  # noqa: SIM115 - kept open until its lines are copied
        except OSError:  # gone or unreadable
            return None
        try:  # else changed by hand since: not a source of lines
            same = (stat is not None and stat_key(os.fstat(handle.fileno())) == stat) or file_digest(handle) == recorded
        except OSError:
            same = False
        if not same:
            handle.close()
            return None
        return _LineFile(handle, {key: (at, length) for key, at, length in index})

    def keys(self, papers: list[Paper], more: list[str | None] | None = None) -> list[str | None]:
        """The key of each paper's line (None for a paper whose file hash is not known);
        more: a value per paper that its line also shows (its issue, in papers.json)."""
        hashes = self.hashes
        known = [hashes.get(p.source) for p in papers]
        if more is None:
            return [f"{p.id}:{h}" if h else None for p, h in zip(papers, known)]
        return [f"{p.id}:{h}:{m}" if h else None for p, h, m in zip(papers, known, more)]


    def join(self, path: str, head: bytes, separator: bytes, tail: bytes, papers: list[Paper],
             make: Callable[[Paper], bytes], more: list[str | None] | None) -> Iterator[bytes | memoryview]:
        """head, a line per paper between separators, tail; noting where each line went."""
        index: list[tuple[str, int, int]] = []
        yield head
        at = len(head)
        gap = len(separator)
        known = self.keys(papers, more)
        found = self.lines(path)
        for number, (paper, key) in enumerate(zip(papers, known)):
            if number:
                yield separator
                at += gap
            line = (found.get(key) if found is not None else None) or make(paper)
            yield line
            if key:
                index.append((key, at, len(line)))
            at += len(line)
        yield tail
        self.made[path] = index

    def recorded(self, staging: Staging, render_key: str) -> dict[str, tuple[str, str, list[tuple[str, int, int]],
                                                                             StatKey | None]]:
        """What the build state keeps of the lines this build wrote (BuildState.lines)."""
        return {path: (staging.manifest[path], render_key, index, published_stat(staging.output / path))
                for path, index in self.made.items() if path in staging.manifest}


class _LineFile:
    """The lines of one published file by key, read a block at a time (lines are asked for in
    about the order they were written)."""

    BLOCK = 1 << 20

    def __init__(self, handle: Any, where: dict[str, tuple[int, int]]):
        self.handle, self.where = handle, where
        self.start, self.block = 0, b""

    def __del__(self) -> None:
        self.handle.close()

    def get(self, key: str | None) -> memoryview | None:
        spot = self.where.get(key) if key else None
        if spot is None:
            return None
        at, length = spot
        if not (self.start <= at and at + length <= self.start + len(self.block)):
            try:
                self.start, self.block = at, os.pread(self.handle.fileno(), max(length, self.BLOCK), at)
            except OSError:
                return None
        line = memoryview(self.block)[at - self.start : at - self.start + length]
        return line if len(line) == length else None  # a file cut since: the line is made again
