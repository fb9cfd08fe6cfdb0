"""The manifest a build leaves in its output folder: every file with its content hash and
size, which tells the next build what the folder holds without reading it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import BinaryIO

MANIFEST = ".digestgen.json"


def digest(data: bytes) -> str:
    """What the manifest records of a file: its content hash and size ('<hash>-<size>')."""
    return record_of(hashlib.blake2b(data, digest_size=16), len(data))


def file_digest(handle: BinaryIO) -> str:
    """digest() of an open file's bytes, read a block at a time (never held whole)."""
    content = hashlib.blake2b(digest_size=16)
    block = bytearray(1 << 20)
    size = 0
    while count := handle.readinto(block):  # type: ignore[attr-defined]
        content.update(memoryview(block)[:count])
        size += count
    return record_of(content, size)


def record_of(content: hashlib.blake2b, size: int) -> str:
    """A manifest record from the (finished) BLAKE2b hash of a file and its size."""
    return f"{content.hexdigest()}-{size}"


def recorded_size(record: str) -> int | None:
    """The size in a manifest record (None for a record without one)."""
    _, dash, size = record.rpartition("-")
    return int(size) if dash and size.isdigit() else None


def read_manifest(output: Path) -> dict[str, str]:
    try:
        data = json.loads((output / MANIFEST).read_text("utf-8"))
        files = data.get("files", {})
        return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def manifest_hash(folder: Path) -> str:
    """The hash of a folder's manifest file ("" when it has none): what a build state records
    of the output folder it made, and of the spare."""
    try:
        return digest((folder / MANIFEST).read_bytes())
    except OSError:
        return ""
