"""How a stage describes a file it makes besides the pages: File.

A stage (feeds, exports) says where each file goes, how to make it, and what it is made of:
either some papers and plain values alone, or the whole site. It does not know what the
build does with that; the plan (plan.py) turns it into a key, so that a file whose papers
and values did not change is taken from the last build instead of being made again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digestgen.content import Paper

Pieces = Iterator[bytes | memoryview]


@dataclass(frozen=True, slots=True)
class File:
    """One output file: where it goes, how it is made, and what it is made of.

    papers: the file is made of these papers and the plain values in `more` alone (a paper's
    BibTeX, a tag's feed); None: of anything in the site, so it is made at every build.
    make returns the bytes, or (streamed: True) the bytes in pieces, for files of hundreds of
    megabytes that are written as they are made and never held whole.
    """

    path: str
    make: Callable[[], bytes] | Callable[[], Pieces]
    papers: Sequence[Paper] | None = None
    more: tuple[object, ...] = ()
    streamed: bool = False
    heavy: bool = False  # costly to make (a feed, a site-wide export): worth a worker of its own
    # files of one group share what they make (the citation files, a paper's records): one
    # worker makes them all, so that no other process makes and holds the same things again
    group: str = ""


def blocks(pieces: Iterable[bytes | memoryview], size: int = 1 << 20) -> Iterator[bytes]:
    """Small pieces joined into blocks of about size bytes (fewer calls to hash, write, send)."""
    pending: list[bytes | memoryview] = []
    held = 0
    for piece in pieces:
        pending.append(piece)
        held += len(piece)
        if held >= size:
            yield b"".join(pending)
            pending, held = [], 0
    if pending:
        yield b"".join(pending)
