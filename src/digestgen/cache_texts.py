"""Where the long texts of cached papers live: the texts part of a cache file, read piece by
piece when a page shows them, and the spill file that freshly parsed texts move to.

A cache file (cache.py) is a checked part (MessagePack) followed by a texts part; the writer
puts each records.Texts in the texts part and leaves its place in the checked part, and the
reader turns a place back into a Texts that reads its bytes from the file when shown.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from digestgen.errors import DigestgenError
from digestgen.records import Texts, text_digest


class CacheChanged(DigestgenError):
    """A cache file's texts no longer have the bytes it was written with (build.build then
    builds again, checking every file's texts as it reads it)."""

    exit_code = 2


class TextFile:
    """The texts part of one cache file (a records.TextStore): kept open while texts of its
    papers are in use, read piece by piece at an offset (forked workers share it safely)."""

    def __init__(self, handle: Any, base: int, name: str):
        self.handle, self.base, self.name = handle, base, name
        self.used = False  # some texts are in it

    def __del__(self) -> None:
        self.handle.close()  # when the last texts of the file are gone

    def read(self, offset: int, length: int, digest: bytes) -> bytes:
        data = os.pread(self.handle.fileno(), length, self.base + offset)
        if len(data) != length or text_digest(data) != digest:
            raise CacheChanged(f"the build cache file {self.name} was changed while a build used it; "
                               f"build again (deleting the cache folder is always safe)")
        return data


class Spill:
    """An unnamed file in the cache folder that freshly parsed texts are moved to as they
    arrive, so that a cold build of a big site never holds every paper's texts at once; the
    cache files then copy them from it (Texts.encoded), and it is gone with its last texts."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        handle = tempfile.TemporaryFile(dir=folder, buffering=0)  # noqa: SIM115 - open while texts are in it
        self.file: TextFile | None = TextFile(handle, 0, "(texts being parsed)")
        self.size = 0

    def put(self, texts: Texts) -> None:
        """Move texts to the file (or, should it fail, say a full disk, keep them in memory)."""
        if self.file is None:
            return
        data = texts.encoded()
        try:
            view = memoryview(data)
            while view:
                view = view[self.file.handle.write(view):]
        except OSError:
            self.file = None
            return
        texts.keep_in(self.file, self.size, len(data))
        self.size += len(data)


class TextsWriter:
    """Encodes a payload with each Texts written to the texts part, the checked part holding
    only where it is, its digest and which texts are not empty (see TextsReader)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.placed: list[tuple[Texts, int, int]] = []
        self.size = 0

    def __call__(self, obj: Any) -> Any:
        if type(obj) is not Texts:
            raise NotImplementedError(f"the build cache cannot hold {type(obj).__name__}")
        data = obj.encoded()
        self.parts.append(data)
        self.placed.append((obj, self.size, len(data)))
        self.size += len(data)
        return (self.size - len(data), len(data), obj.digest(), obj.flags)


class TextsReader:
    """Decodes the place of each Texts (see TextsWriter) into Texts read from store when shown."""

    def __init__(self, store: TextFile):
        self.store = store

    def __call__(self, kind: type, obj: Any) -> Any:
        if kind is not Texts:
            raise NotImplementedError(f"the build cache cannot hold {kind.__name__}")
        if not (isinstance(obj, list) and len(obj) == 4 and type(obj[0]) is type(obj[1]) is type(obj[3]) is int
                and isinstance(obj[2], bytes) and min(obj[0], obj[1], obj[3]) >= 0):
            raise ValueError("texts out of place")
        self.store.used = True
        return Texts.stored(self.store, obj[0], obj[1], obj[2], obj[3])
