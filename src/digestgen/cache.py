"""The build cache: parsed entries keyed by file content, and what the last build produced.

The cache holds data only (MessagePack, decoded into typed records by msgspec: nothing in it
can run code) and lives outside the site, in $DIGESTGEN_CACHE_DIR or else in a folder of the
user's cache folder named after the site ($XDG_CACHE_HOME/digestgen/sites/<name>-<hash>/),
where a pull request cannot put files. A .digestgen-cache/ folder in the site (where digestgen
kept its cache before) is ignored. The cache is always safe to delete: a missing, corrupt or
stale file only costs time, and a file written by another digestgen version is simply stale.

- entries-<key>-<shard>.bin: {source path: (stat, content hash, Paper, problems)}; the key covers
  digestgen's version, site.yaml and the settings that parsing depends on. The long texts of
  each paper (records.Texts) follow the checked part, each checked by its digest (kept in the
  checked part) when it is read: a build reads only the texts it shows.
- related-<key>.bin: the related papers of the last few lists of published papers (related.related_papers).
- state-<output>.bin: the fingerprint of the inputs of the last build into one output folder
  (named by its path in the site: the same site checked out elsewhere, say on a CI runner,
  finds it), the manifest it wrote, its warnings and summary, and an input key per rendered page.
- links.json: the answers of `digestgen check --links` (links.py).
"""

from __future__ import annotations

import functools
import hashlib
import os
import struct
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from digestgen import __version__
from digestgen.cache_texts import Spill, TextFile, TextsReader, TextsWriter
from digestgen.content import Paper, Unfinished
from digestgen.errors import Problem
from digestgen.filestats import StatKey, stat_key
from digestgen.hashes import hexhash
from digestgen.records import text_digest
from digestgen.stamps import CACHE_ENV, cache_folder

OLD_CACHE_DIR = ".digestgen-cache"  # in the site, where a pull request could plant files: never read
FORMAT = 16  # bumped when the same sources render differently (15: data, not pickle; 16: author slugs)
MAGIC = b"digestgen-cache 3\n"
# after the magic: the length and CRC-32 of the checked part, the length and digest of the texts part
_SIZES = struct.Struct(">QIQ16s")
KEEP_ENTRY_FILES = 4
KEEP_STATE_FILES = 8  # output folders remembered (public/, serve's preview, --output elsewhere)
SHARDS = 32  # entry files per setting: an edit rewrites 1/32 of the cache


# File times tick coarsely (a few ms; seconds on some file systems): a file changed just
# before or while it was looked at may keep the same stat. Like git's "racily clean" rule, a
# stat is only trusted for files whose times are older than the look by this margin.
RACY_NS = 2_000_000_000


def settled(stat: StatKey, looked_ns: int, margin_ns: int | None = None) -> bool:
    """True when a file with this stat cannot have changed unnoticed since looked_ns (its
    times are older than the look by margin_ns, the tick of the clock that stamps them;
    RACY_NS, read when called, by default)."""
    return max(stat[1], stat[2]) < looked_ns - (RACY_NS if margin_ns is None else margin_ns)


PUBLISHED_NS = 50_000_000  # file times tick every few ms where they are not whole seconds


def published_stat(path: Path) -> StatKey | None:
    """The stat of a file a build has just published, for a later build to know it unchanged
    without reading it; None when the file changed too short a time ago for a change made
    after this look to change its stat (the rule of settled, with the margin of the clock
    that stamps this file: whole seconds on some file systems, milliseconds on most)."""
    try:
        key = stat_key(os.stat(path))
    except OSError:
        return None
    coarse = key[1] % 1_000_000_000 == 0 and key[2] % 1_000_000_000 == 0
    return key if settled(key, time.time_ns(), RACY_NS if coarse else PUBLISHED_NS) else None


def warn(message: str) -> None:
    print(f"digestgen: warning: {message}", file=sys.stderr)


_warned_old: set[Path] = set()  # sites told that their old cache folder is ignored


def _ignore_old_folder(root: Path) -> None:
    """Say once per site that a .digestgen-cache/ folder with cache files in it is not read."""
    old = root / OLD_CACHE_DIR
    if old in _warned_old:
        return
    try:
        stale = [p.name for p in old.iterdir() if p.name.endswith(".bin") or p.name == "links.json"]
    except OSError:
        return
    if stale:
        _warned_old.add(old)
        warn(f"ignoring the cache files in {OLD_CACHE_DIR}/ of the site ({len(stale)}): digestgen no longer "
             f"reads a cache from the site folder, where anyone could commit one; it is safe to delete them")


@dataclass
class Entry:
    stat: StatKey
    hash: str
    value: Any  # (Paper | Unfinished | None, list[Problem]): see content.parse_paper
    looked_ns: int = 0  # when stat was taken (see settled)


# A page_weights memo entry (page_weight.weigh): stamp (manifest record or inode, size, time; and how
# it was weighed), gzipped size, the stylesheets and scripts the page loads.
Weight = tuple[tuple[str | int | bool, ...], int, tuple[str, ...]]


@dataclass
class BuildState:
    """What the last successful build into one output folder was made from and made."""

    fingerprint: str = ""
    looked_ns: int = 0  # when the fingerprint's file stats were taken (see settled)
    manifest: str = ""  # manifest.folder_mark of the output folder
    warnings: list[Problem] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # output path -> input key
    weights: dict[str, Weight] = field(default_factory=dict)  # page-weight memo (page_weight.page_weights)
    shallow: frozenset[str] = frozenset()  # paper pages keyed by their issue's name only (write.write)
    spare: str = ""  # manifest.folder_mark of the output's spare folder (output.Staging)
    # for papers.json and llms.txt: (manifest digest, render key, where each paper's line is)
    lines: dict[str, tuple[str, str, list[tuple[str, int, int]], StatKey | None]] = field(default_factory=dict)
    until: float = 0.0  # the moment (POSIX seconds) an issue is next published: the output is stale then; 0: never
    next_issue: str = ""  # site.next_issue_line of the build
    paths: str = ""  # plan.paths_digest of the build's outputs: none of them collided (layout.collisions)


class _Row(msgspec.Struct, array_like=True):
    """An Entry as the cache file holds it (a paper and an unfinished entry apart: a typed
    record of the one or the other)."""

    stat: StatKey
    hash: str
    looked_ns: int
    paper: Paper | None
    unfinished: Unfinished | None
    problems: list[Problem]


class _Record(msgspec.Struct, array_like=True):
    """The checked part of a cache file: what it is for, then its payload (decoded by kind)."""

    kind: str
    format: int
    version: str
    key: str
    payload: msgspec.Raw


_PAYLOADS: dict[str, Any] = {"entries": dict[str, _Row], "related": dict[str, list[list[int]]], "state": BuildState}
_STALE = object()  # a readable file written for other settings or by another version


_ENCODER = msgspec.msgpack.Encoder()
_RECORD = msgspec.msgpack.Decoder(_Record)


@functools.cache
def _decoder(kind: str) -> msgspec.msgpack.Decoder[Any]:
    """The payload decoder of a kind of file (its texts go to the reader of the file being read)."""
    return msgspec.msgpack.Decoder(_PAYLOADS[kind], dec_hook=_texts_of_file)


_loading = threading.local()  # the TextsReader of the file being decoded by this thread


def _texts_of_file(kind: type, obj: Any) -> Any:
    return _loading.reader(kind, obj)


class Cache:
    """One site's cache folder; every method fails soft (a broken cache only costs time)."""

    def __init__(self, root: Path, enabled: bool = True, verify_texts: bool = False, remember: bool = False):
        """verify_texts: check the texts of each file as it is read, not when each is used
        (after a build met texts that had changed, see build.build). remember: a long process
        (see reuse.py) reads its own writes back from memory instead of decoding them;
        entries are keyed by content hash and the state is checked against the output's
        manifest, so a copy in memory is as good as the file."""
        self.root = root
        self.folder = cache_folder(root)
        self.verify_texts = verify_texts
        self.remember = remember
        self.kept: dict[Path, tuple[tuple[Any, ...], Any]] = {}
        self._shards: dict[int, set[str]] = {}
        self._made: dict[int, tuple[Any, dict[str, Entry]]] = {}  # shard -> (payload, its entries), when remember
        self.enabled = enabled
        if enabled:
            _ignore_old_folder(root)
            if self.folder.is_relative_to(root.resolve()) or self.folder.is_relative_to(root.absolute()):
                warn(f"the build cache folder ({self.folder}) is inside the site folder, where a pull request "
                     f"could plant files; building without it (set {CACHE_ENV} to a folder outside the site)")
                self.enabled = False

    def _keep(self, path: Path, value: tuple[tuple[Any, ...], Any]) -> None:
        if self.remember:
            if len(self.kept) >= 1024:
                self.kept.clear()
            self.kept[path] = value

    def _read(self, name: str, kind: str, key: str) -> Any:
        """The payload of a cache file, or None when absent, stale or corrupt."""
        if not self.enabled:
            return None
        path = self.folder / name
        header = (kind, FORMAT, __version__, key)
        kept = self.kept.get(path)
        if kept is not None and kept[0] == header and not self.verify_texts:
            return kept[1]
        try:
            handle = open(path, "rb")  # noqa: SIM115 - kept open while its texts are in use
        except FileNotFoundError:
            return None
        except OSError as exc:
            warn(f"cannot read the build cache ({exc.strerror}); building without it")
            return None
        store = None
        try:
            payload = self._decode(handle, name, header)
            if payload is _STALE:
                return None
            if payload is None:
                warn(f"ignoring the build cache file {name} in {self.folder}: it is corrupt "
                     f"(it is safe to delete that folder)")
                return None
            store = _loading.reader.store
        finally:
            _loading.reader = None
            if store is None or not store.used:
                handle.close()  # else its texts keep it open (TextFile)
        self._keep(path, (header, payload))
        return payload

    def _decode(self, handle: Any, name: str, header: tuple[str, int, str, str]) -> Any:
        """The payload of an open cache file; _STALE, or None when it is corrupt."""
        head = handle.read(len(MAGIC) + _SIZES.size)
        if not head.startswith(MAGIC):
            return _STALE if head.startswith(MAGIC[:15]) else None  # another format of digestgen's: stale
        if len(head) != len(MAGIC) + _SIZES.size:
            return None
        length, crc, texts, texts_digest = _SIZES.unpack_from(head, len(MAGIC))
        if len(head) + length + texts != os.fstat(handle.fileno()).st_size:
            return None  # the sizes must add up to the file's: a cut file is corrupt
        checked = handle.read(length)
        if (
            len(checked) != length
            or zlib.crc32(checked) != crc
            or (
                self.verify_texts
                and texts
                and text_digest(os.pread(handle.fileno(), texts, len(head) + length)) != texts_digest
            )
        ):
            return None
        _loading.reader = TextsReader(TextFile(handle, len(head) + length, name))
        try:
            record = _RECORD.decode(checked)
            if (record.kind, record.format, record.version, record.key) != header:
                return _STALE  # written for other settings or by another version
            return _decoder(header[0]).decode(record.payload)
        except (msgspec.DecodeError, ValueError, TypeError, NotImplementedError):
            return None  # checked, yet not what this version writes: a bug, or an older file under a reused name

    def _write(self, name: str, kind: str, key: str, payload: Any) -> None:
        """Write a cache file. The texts it holds are then read from it when needed
        (records.Texts.keep_in): what was just parsed need not stay in memory."""
        if not self.enabled:
            return
        header = (kind, FORMAT, __version__, key)
        self._keep(self.folder / name, (header, payload))
        texts = TextsWriter()
        encoded = msgspec.msgpack.Encoder(enc_hook=texts).encode(payload)
        checked = _ENCODER.encode(_Record(kind, FORMAT, __version__, key, msgspec.Raw(encoded)))
        blob = b"".join(texts.parts)
        head = MAGIC + _SIZES.pack(len(checked), zlib.crc32(checked), len(blob), text_digest(blob))
        tmp = self.folder / f".{name}.tmp-{os.getpid()}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as handle:
                handle.write(head)
                handle.write(checked)
                handle.write(blob)
            if texts.placed:
                store = TextFile(open(tmp, "rb"), len(head) + len(checked), name)  # noqa: SIM115
            os.replace(tmp, self.folder / name)
        except OSError:  # a read-only cache folder: build without a cache, quietly
            tmp.unlink(missing_ok=True)
            return
        for each, offset, length in texts.placed:
            each.keep_in(store, offset, length)

    def spill(self) -> Spill | None:
        """Where to put texts while parsing many papers (None: keep them in memory)."""
        if not self.enabled:
            return None
        try:
            return Spill(self.folder)
        except OSError:  # a read-only cache folder
            return None

    def entries(self, key: str) -> dict[str, Entry]:
        """Every cached paper for these settings (an edit rewrites only its own shard)."""
        found: dict[str, Entry] = {}
        self._shards = {}
        for number in range(SHARDS):
            payload = self._read(f"entries-{key[:16]}-{number:02d}.bin", "entries", key)
            if isinstance(payload, dict):
                made = self._made.get(number)
                if made is None or made[0] is not payload:  # (the very payload kept by a long process)
                    made = (payload, {rel: _entry(row) for rel, row in payload.items()})
                    if self.remember:
                        self._made[number] = made
                found.update(made[1])
                self._shards[number] = set(payload)
        return found

    def save_entries(self, key: str, entries: dict[str, Entry], dirty: set[str]) -> None:
        """Write the shards holding a changed, added or removed entry."""
        members: dict[int, list[str]] = {}
        for rel in entries:
            members.setdefault(shard_of(rel), []).append(rel)
        changed = {shard_of(rel) for rel in dirty}
        for number in range(SHARDS):
            rels = members.get(number, [])
            if number in changed or set(rels) != self._shards.get(number, set()):
                self._write(f"entries-{key[:16]}-{number:02d}.bin", "entries", key,
                            {rel: _row(entries[rel]) for rel in rels})
        self._prune("entries-", KEEP_ENTRY_FILES)

    def related(self, key: str) -> dict[str, list[list[int]]]:
        """The related papers of the last build with these settings (see related.related_papers)."""
        payload = self._read(f"related-{key[:16]}.bin", "related", key)
        return payload if isinstance(payload, dict) else {}

    def save_related(self, key: str, store: dict[str, list[list[int]]]) -> None:
        self._write(f"related-{key[:16]}.bin", "related", key, store)
        self._prune("related-", KEEP_ENTRY_FILES)

    def state(self, output: Path) -> BuildState:
        place = self._place(output)
        payload = self._read(self._state_name(place), "state", place)
        return payload if isinstance(payload, BuildState) else BuildState()

    def save_state(self, output: Path, state: BuildState) -> None:
        place = self._place(output)
        self._write(self._state_name(place), "state", place, state)
        self._prune("state-", KEEP_STATE_FILES)

    def forget_state(self, output: Path) -> None:
        """Drop the record of the last build (before a build that may fail half-way)."""
        if self.enabled:
            name = self._state_name(self._place(output))
            self.kept.pop(self.folder / name, None)
            (self.folder / name).unlink(missing_ok=True)

    def _place(self, output: Path) -> str:
        """An output folder as its state is filed: its path in the site when it is inside it
        (so a checkout of the site elsewhere, a CI runner's, finds the state its cache was
        restored with: the state is trusted only for an output with the manifest it records),
        else its absolute path."""
        site, folder = self.root.resolve(), output.resolve()
        return f"site:{folder.relative_to(site).as_posix()}" if folder.is_relative_to(site) else str(folder)

    @staticmethod
    def _state_name(place: str) -> str:
        return f"state-{hexhash(place)[:16]}.bin"

    def _prune(self, prefix: str, keep: int) -> None:
        """Keep the files of the newest few groups: entries of a setting (build, serve), or the
        state of an output folder; older groups are deleted so the folder does not grow."""
        try:
            groups: dict[str, list[Path]] = {}
            newest: dict[str, int] = {}
            for path in self.folder.glob(prefix + "*.bin"):
                group = path.name[len(prefix):].removesuffix(".bin").split("-")[0]
                groups.setdefault(group, []).append(path)
                newest[group] = max(newest.get(group, 0), path.stat().st_mtime_ns)
            for group in sorted(newest, key=newest.__getitem__, reverse=True)[keep:]:
                for old in groups[group]:
                    old.unlink(missing_ok=True)
        except OSError:
            pass


def _row(entry: Entry) -> _Row:
    record, problems = entry.value
    return _Row(entry.stat, entry.hash, entry.looked_ns, record if isinstance(record, Paper) else None,
                record if isinstance(record, Unfinished) else None, list(problems))


def _entry(row: _Row) -> Entry:
    return Entry(
        row.stat, row.hash, (row.paper if row.paper is not None else row.unfinished, row.problems), row.looked_ns
    )


def shard_of(rel: str) -> int:
    return hashlib.blake2b(rel.encode("utf-8", "surrogateescape"), digest_size=2).digest()[0] % SHARDS
