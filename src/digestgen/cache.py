"""The build cache: parsed entries keyed by file content, and what the last build produced.

Lives in <site>/.digestgen-cache/ and is always safe to delete. Every file is signed with a
key kept outside the site (in the user's cache folder), because the site folder may hold files
from strangers' pull requests: a cache file that was not written by this user on this machine,
a corrupt one, or one from another digestgen version is ignored with a warning, never trusted.

- entries-<key>-<shard>.bin: {source path: (stat, content hash, Paper, problems)}; the key covers
  digestgen's version, site.yaml and the settings that parsing depends on. The long texts of
  each paper (content.Texts) follow the signed part, each checked by its digest (kept in the
  signed part) when it is read: a build reads only the texts it shows.
- related-<key>.bin: the related papers of the last few lists of published papers (site._related).
- state-<output>.bin: the fingerprint of the inputs of the last build into one output folder,
  the manifest it wrote, its warnings and summary, and an input key per rendered page.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import os
import pickle
import secrets
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digestgen import __version__
from digestgen.content import Texts, text_digest
from digestgen.errors import DigestgenError

CACHE_DIR = ".digestgen-cache"
FORMAT = 14  # bumped when the same sources render differently (14: TeX in Markdown)
MAGIC = b"digestgen-cache 2\n"
# after the MAC: the length of the pickled part, the length and digest of the texts part
_SIZES = struct.Struct(">QQ16s")
KEY_BYTES = 32
MAC_BYTES = 32
KEEP_ENTRY_FILES = 4
KEEP_STATE_FILES = 8  # output folders remembered (public/, serve's preview, --output elsewhere)
SHARDS = 32  # entry files per setting: an edit rewrites 1/32 of the cache

StatKey = tuple[int, int, int, int]


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


def stat_key(st: os.stat_result) -> StatKey:
    """What tells a changed file from an unchanged one without reading it (like git's index)."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


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


def _key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "digestgen" / "cache-key"


def signing_key() -> bytes | None:
    """This user's secret for signing cache files; None (no caching) when it cannot be kept."""
    path = _key_file()
    try:
        data = path.read_bytes()
        if len(data) == KEY_BYTES:
            return data
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"cache-key.tmp-{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
        try:
            os.link(tmp, path)  # first writer wins; others read the winner's key
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        data = path.read_bytes()
        return data if len(data) == KEY_BYTES else None
    except OSError:
        return None


@dataclass
class Entry:
    stat: StatKey
    hash: str
    value: Any  # (Paper | Unfinished | None, list[Problem]): see content.parse_paper
    looked_ns: int = 0  # when stat was taken (see settled)


@dataclass
class BuildState:
    """What the last successful build into one output folder was made from and made."""

    fingerprint: str = ""
    looked_ns: int = 0  # when the fingerprint's file stats were taken (see settled)
    manifest: str = ""  # output.manifest_hash of the output folder
    warnings: list[Any] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # output path -> input key
    patchable: bool = False  # the manifest lists every file of the output (no search bundle)
    weights: dict[str, Any] = field(default_factory=dict)  # page-weight memo (render.page_weights)
    shallow: frozenset[str] = frozenset()  # paper pages keyed by their issue's name only (build._render_pages)
    spare: str = ""  # output.manifest_hash of the output's spare folder (output.Staging)
    # for papers.json and llms.txt: (manifest digest, render key, where each paper's line is)
    lines: dict[str, tuple[str, str, list[tuple[str, int, int]], StatKey | None]] = field(default_factory=dict)
    until: float = 0.0  # the moment (POSIX seconds) an issue is next published: the output is stale then; 0: never
    next_issue: str = ""  # site.next_issue_line of the build


class CacheChanged(DigestgenError):
    """A cache file's texts no longer have the bytes it was written with (build.build then
    builds again, checking every file's texts as it reads it)."""

    exit_code = 2


class TextFile:
    """The texts part of one cache file (a content.TextStore): kept open while texts of its
    papers are in use, read piece by piece at an offset (forked workers share it safely)."""

    def __init__(self, handle: Any, base: int, name: str):
        self.handle, self.base, self.name = handle, base, name
        self.used = False  # some texts are in it

    def __del__(self) -> None:
        self.handle.close()  # when the last texts of the file are gone

    def read(self, offset: int, length: int, digest: bytes) -> bytes:
        data = os.pread(self.handle.fileno(), length, self.base + offset)
        if len(data) != length or text_digest(data) != digest:
            raise CacheChanged(f"{CACHE_DIR}/{self.name} was changed while a build used it; delete the "
                               f"{CACHE_DIR} folder (it is always safe to) and build again")
        return data


class Spill:
    """An unnamed file in the cache folder that freshly parsed texts are moved to as they
    arrive, so that a cold build of a big site never holds every paper's texts at once; the
    cache files then copy them from it (Texts.encoded), and it is gone with its last texts."""

    def __init__(self, folder: Path):
        folder.mkdir(exist_ok=True)
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


_loading: list[TextFile] = []  # the file being unpickled, for _stored_texts
_LOADING_LOCK = threading.Lock()


def _stored_texts(offset: int, length: int, digest: bytes, flags: int) -> Texts:
    """How texts in a cache file unpickle (see Cache._write)."""
    store = _loading[-1]
    store.used = True
    return Texts.stored(store, offset, length, digest, flags)


class _TextPickler(pickle.Pickler):
    """Pickles a payload with each Texts written to a separate part, the signed part holding
    only where it is and its digest."""

    def __init__(self, file: io.BytesIO):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.parts: list[bytes] = []
        self.placed: list[tuple[Texts, int, int]] = []
        self.size = 0

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is not Texts:
            return NotImplemented
        data = obj.encoded()
        self.parts.append(data)
        self.placed.append((obj, self.size, len(data)))
        self.size += len(data)
        return _stored_texts, (self.size - len(data), len(data), obj.digest(), obj.flags)


class Cache:
    """One site's cache folder; every method fails soft (a broken cache only costs time)."""

    def __init__(self, root: Path, enabled: bool = True, verify_texts: bool = False, remember: bool = False):
        """verify_texts: check the texts of each file as it is read, not when each is used
        (after a build met texts that had changed, see build.build). remember: a long process
        (see reuse.py) reads its own writes back from memory instead of unpickling them;
        entries are keyed by content hash and the state is checked against the output's
        manifest, so a copy in memory is as good as the file."""
        self.folder = root / CACHE_DIR
        self.verify_texts = verify_texts
        self.remember = remember
        self.kept: dict[Path, tuple[tuple[Any, ...], Any]] = {}
        self._shards: dict[int, set[str]] = {}
        self.key = signing_key() if enabled else None
        if self.key is not None and self.folder.is_symlink():
            warn(f"{CACHE_DIR} is a symbolic link; not using the build cache")
            self.key = None

    def _keep(self, path: Path, value: tuple[tuple[Any, ...], Any]) -> None:
        if self.remember:
            if len(self.kept) >= 1024:
                self.kept.clear()
            self.kept[path] = value

    @property
    def enabled(self) -> bool:
        return self.key is not None

    def _read(self, name: str, kind: str, key: str) -> Any:
        """The payload of a signed cache file, or None when absent, stale, foreign or corrupt."""
        if self.key is None:
            return None
        path = self.folder / name
        kept = self.kept.get(path)
        if kept is not None and kept[0] == (kind, FORMAT, __version__, key) and not self.verify_texts:
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
            head = handle.read(len(MAGIC) + MAC_BYTES + _SIZES.size)
            if not head.startswith(MAGIC) and head.startswith(MAGIC[:-2]):
                return None  # written by an older digestgen: simply stale
            sizes = head[len(MAGIC) + MAC_BYTES:]
            length, texts, texts_digest = _SIZES.unpack(sizes) if len(sizes) == _SIZES.size else (0, 0, b"")
            # the sizes must add up to the file's (a forged length reads nothing; a cut file is corrupt)
            whole = head.startswith(MAGIC) and len(head) + length + texts == os.fstat(handle.fileno()).st_size
            signed = handle.read(length) if whole else b""
            mac = head[len(MAGIC): len(MAGIC) + MAC_BYTES]
            if (not whole or len(signed) != length
                    or not hmac.compare_digest(mac, hmac.new(self.key, sizes + signed, hashlib.sha256).digest())
                    or (self.verify_texts and texts and text_digest(os.pread(handle.fileno(), texts, len(head) + length)) != texts_digest)):
                warn(f"ignoring {CACHE_DIR}/{name}: it is corrupt or was not written by this user's digestgen "
                     f"(it is safe to delete the {CACHE_DIR} folder)")
                return None
            store = TextFile(handle, len(head) + length, name)
            try:
                with _LOADING_LOCK:
                    _loading.append(store)
                    try:
                        header, payload = pickle.loads(signed)
                    finally:
                        _loading.pop()
            except Exception:  # noqa: BLE001  signed but unreadable: a digestgen bug or a truncated write
                warn(f"ignoring {CACHE_DIR}/{name}: it cannot be read")
                store = None
                return None
            if header != (kind, FORMAT, __version__, key):
                store = None
                return None  # written for other settings or another version: simply stale
        finally:
            if store is None or not store.used:
                handle.close()  # else its texts keep it open (TextFile)
        self._keep(path, (header, payload))
        return payload

    def _write(self, name: str, kind: str, key: str, payload: Any) -> None:
        """Write a signed cache file. The texts it holds are then read from it when needed
        (content.Texts.keep_in): what was just parsed need not stay in memory."""
        if self.key is None:
            return
        header = (kind, FORMAT, __version__, key)
        self._keep(self.folder / name, (header, payload))
        buffer = io.BytesIO()
        pickler = _TextPickler(buffer)
        pickler.dump((header, payload))
        blob = b"".join(pickler.parts)
        signed = _SIZES.pack(buffer.tell(), len(blob), text_digest(blob)) + buffer.getvalue()
        mac = hmac.new(self.key, signed, hashlib.sha256).digest()
        tmp = self.folder / f".{name}.tmp-{os.getpid()}"
        try:
            self.folder.mkdir(exist_ok=True)
            ignore = self.folder / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# build cache of digestgen: safe to delete, never commit\n*\n", "utf-8")
            with open(tmp, "wb") as handle:
                handle.write(MAGIC + mac + signed)
                handle.write(blob)
            if pickler.placed:
                store = TextFile(open(tmp, "rb"), len(MAGIC) + len(mac) + len(signed), name)  # noqa: SIM115
            os.replace(tmp, self.folder / name)
        except OSError:  # a read-only site folder: build without a cache, quietly
            tmp.unlink(missing_ok=True)
            return
        for texts, offset, length in pickler.placed:
            texts.keep_in(store, offset, length)

    def spill(self) -> Spill | None:
        """Where to put texts while parsing many papers (None: keep them in memory)."""
        if self.key is None:
            return None
        try:
            return Spill(self.folder)
        except OSError:  # a read-only site folder
            return None

    def entries(self, key: str) -> dict[str, Entry]:
        """Every cached paper for these settings (an edit rewrites only its own shard)."""
        found: dict[str, Entry] = {}
        self._shards = {}
        for number in range(SHARDS):
            payload = self._read(f"entries-{key[:16]}-{number:02d}.bin", "entries", key)
            if isinstance(payload, dict):
                found.update(payload)
                self._shards[number] = set(payload)
        return found

    def save_entries(self, key: str, entries: dict[str, Entry], dirty: set[str]) -> None:
        """Write the shards holding a changed, added or removed entry."""
        shards: dict[int, dict[str, Entry]] = {}
        for rel, entry in entries.items():
            shards.setdefault(shard_of(rel), {})[rel] = entry
        for number in range(SHARDS):
            members = shards.get(number, {})
            if set(members) != self._shards.get(number, set()) or any(shard_of(rel) == number for rel in dirty):
                self._write(f"entries-{key[:16]}-{number:02d}.bin", "entries", key, members)
        self._prune("entries-", KEEP_ENTRY_FILES)

    def related(self, key: str) -> dict[str, list[list[int]]]:
        """The related papers of the last build with these settings (see site._related)."""
        payload = self._read(f"related-{key[:16]}.bin", "related", key)
        return payload if isinstance(payload, dict) else {}

    def save_related(self, key: str, store: dict[str, list[list[int]]]) -> None:
        self._write(f"related-{key[:16]}.bin", "related", key, store)
        self._prune("related-", KEEP_ENTRY_FILES)

    def state(self, output: Path) -> BuildState:
        payload = self._read(self._state_name(output), "state", str(output))
        return payload if isinstance(payload, BuildState) else BuildState()

    def save_state(self, output: Path, state: BuildState) -> None:
        self._write(self._state_name(output), "state", str(output), state)
        self._prune("state-", KEEP_STATE_FILES)

    def forget_state(self, output: Path) -> None:
        """Drop the record of the last build (before a build that may fail half-way)."""
        if self.key is not None:
            self.kept.pop(self.folder / self._state_name(output), None)
            (self.folder / self._state_name(output)).unlink(missing_ok=True)

    @staticmethod
    def _state_name(output: Path) -> str:
        return f"state-{hexhash(str(output))[:16]}.bin"

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


def shard_of(rel: str) -> int:
    return hashlib.blake2b(rel.encode("utf-8", "surrogateescape"), digest_size=2).digest()[0] % SHARDS


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


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """digestgen's own modules by name, size and mtime: an edited checkout (same version
    number) never reuses records or pages made by the code it replaced."""
    base = Path(__file__).parent
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(base.rglob("*.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        h.update(f"{path.relative_to(base).as_posix()}:{st.st_size}:{st.st_mtime_ns}\n".encode("utf-8", "surrogateescape"))
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
