"""The manifest a build leaves in its output folder: every file with its content hash and
size, which tells the next build what the folder holds without reading it."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import BinaryIO

MANIFEST = ".digestgen.json"


def digest(data: bytes) -> str:
    """What the manifest records of a file: its content hash and size ('<hash>-<size>')."""
    return record_of(hashlib.blake2b(data, digest_size=16), len(data))


def file_digest(handle: BinaryIO, block: bytearray | None = None) -> str:
    """digest() of an open file's bytes, read a block at a time (never held whole) into block
    (a new megabyte when None)."""
    content = hashlib.blake2b(digest_size=16)
    block = bytearray(1 << 20) if block is None else block
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
    """The hash of a folder's manifest file ("" when it has none)."""
    try:
        return digest((folder / MANIFEST).read_bytes())
    except OSError:
        return ""


def folder_mark(folder: Path) -> str:
    """What a build state records of the output folder it made, and of the spare ("" when the
    folder has no manifest): the hash of its manifest and which file holds it (inode and change
    time). A copy of the folder (restored from a CI cache, put back from a backup, committed
    into the site) has the same manifest in another file: same_files() but not the same mark."""
    try:
        fd = os.open(folder / MANIFEST, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return ""
    try:
        with open(fd, "rb") as handle:
            st = os.fstat(handle.fileno())
            return f"{digest(handle.read())}@{st.st_ino}-{st.st_ctime_ns}"
    except OSError:
        return ""


def same_files(mark: str, other: str) -> bool:
    """True when two folder marks have the same manifest (whichever file holds it)."""
    return bool(mark) and mark.partition("@")[0] == other.partition("@")[0]


def checked_files(folder: Path, listed: dict[str, str]) -> dict[str, str]:
    """The files of a manifest that folder really holds: a regular file (not a link, nor a
    path out of the folder) whose bytes hash to its record. For a folder this machine did not
    leave (see folder_mark), whose files could be anything its manifest does not say."""
    block = bytearray(1 << 20)
    found: dict[str, str] = {}
    for rel, record in listed.items():
        parts = rel.split("/")
        if rel.startswith("/") or "\\" in rel or any(part in ("", ".", "..") for part in parts):
            continue
        try:
            fd = os.open(folder / rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue  # missing, or a link
        try:
            with open(fd, "rb", buffering=0) as handle:
                if stat.S_ISREG(os.fstat(fd).st_mode) and file_digest(handle, block) == record:
                    found[rel] = record
        except OSError:
            continue
    return found
