"""Hashes that key what a build reuses: of plain values, of bytes, of digestgen's own code
and of the themes in use. Pure functions, shared by the stages and the cache."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path


def hexhash(*parts: object) -> str:
    """A short stable hash of the repr of some plain values."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(repr(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def joined_hash(parts: list[str]) -> str:
    """Like hexhash, for strings alone (none holding a NUL): one hash of them joined, several
    times faster for the thousands of keys a build makes."""
    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """digestgen's own modules by name and content: an edited checkout (same version number)
    never reuses records or pages made by the code it replaced, while the same code installed
    again (a CI runner installs it afresh, with new file times) reuses its cache (3 ms a build)."""
    base = Path(__file__).parent
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(base.rglob("*.py")):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        h.update(f"{path.relative_to(base).as_posix()}:{len(data)}\n".encode("utf-8", "surrogateescape"))
        h.update(data)
    return h.hexdigest()


def theme_fingerprint(folders: Iterable[Path]) -> str:
    """A hash of the content of every template and asset of the themes in use."""
    h = hashlib.blake2b(digest_size=16)
    for base in folders:
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            h.update(path.relative_to(base).as_posix().encode("utf-8", "surrogateescape"))
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(b"?")
    return h.hexdigest()
