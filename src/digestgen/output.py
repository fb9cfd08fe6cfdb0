"""The only place that writes: a complete new site in a temporary sibling folder, then a swap.

A build never touches the published folder until every file is written; a crash at any
moment leaves the previous site (or, between the two renames of the swap, a recoverable
'.old' sibling that the next build restores). Files whose bytes did not change are
hard-linked from the previous build, so their mtimes stay stable for rsync and CDN uploads.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from digestgen.errors import BuildLockedError, describe
from digestgen.files import blocks
from digestgen.manifest import (
    MANIFEST,
    checked_files,
    digest,
    folder_mark,
    read_manifest,
    record_of,
    recorded_size,
)
from digestgen.output_paths import safe_relpath


@dataclass
class WriteStats:
    files: int = 0
    bytes: int = 0
    written: int = 0
    unchanged: int = 0
    reused: int = 0  # of the unchanged: taken from the last build by key, without being made

    def count(self, size: int, written: bool) -> None:
        """One more file of size bytes: written, or kept from the last build."""
        self.files += 1
        self.bytes += size
        if written:
            self.written += 1
        else:
            self.unchanged += 1


@contextlib.contextmanager
def build_lock(output: Path, wait: bool = True) -> Iterator[None]:
    """One build per output folder at a time; a second one waits (or refuses when wait=False)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    lock_path = output.parent / f".{output.name}.lock"
    with open(lock_path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if not wait:
                raise BuildLockedError(
                    f"another digestgen build is writing {output.name}; try again when it has finished"
                ) from None
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def recover(output: Path) -> None:
    """Finish or undo a swap interrupted by a crash, and remove temporary folders."""
    old = output.parent / f".{output.name}.old"
    if old.exists():
        if not output.exists():
            os.replace(old, output)
        else:
            remove_tree(old)
    for pattern in (f".{output.name}.tmp-*", f".{output.name}.bak-*", f".{output.name}.kept-*",
                    f".{output.name}.spare.stale-*"):
        for stale in output.parent.glob(pattern):
            remove_tree(stale)


SPARE_GITIGNORE = "# digestgen's copy of the site before last, to build the next one faster: never commit\n*\n"


class SpareUnusable(Exception):
    """The spare folder could not be brought up to date (a file of it or of the published site
    went missing or could not be linked); nothing was published, and it has been removed."""


class Staging:
    """A new site being written next to the published one; commit() puts it in place.

    A complete new folder: files whose bytes match the previous build (by the manifest) are
    hard-linked from it, so their inodes and mtimes stay stable; it is swapped in at once (an
    atomic exchange where the kernel offers one, else two renames). The published folder is
    never modified in place. The caller holds build_lock. On any failure, abort() removes the temporary folder and the
    previous site stays as it was.

    A swap leaves the previous site in a spare folder beside the output (keep_spare), and the
    next build refreshes that spare instead of writing a whole new folder: the spare holds the
    build before last, so only the files that differ from the new site are replaced in it
    (hard links to unchanged files of the published folder, new files from the staging area),
    then it is swapped in. An edit then costs a few file operations, not one per page. The
    spare is used only when it is the very folder the caller expects (spare: its
    manifest.folder_mark, from the last build's state, which a copy of it does not have); it is
    made untrusted before it is touched, so a build that dies half-way leaves a spare the next
    build will not use.

    ours: the output folder is the very one the last build left (its folder_mark is the one
    recorded), so its files are what its manifest says. Any other folder (restored from a CI
    cache, put back from a backup, committed into the site) has each file read and checked
    against its manifest before it can be taken: a changed, missing or linked file is made
    again, so what is published is the same whatever the folder held.
    """

    def __init__(self, output: Path, spare: str = "", keep_spare: bool = False, ours: bool = False):
        recover(output)
        self.output = output
        listed = read_manifest(output) if output.is_dir() else {}
        self.previous = listed if ours else checked_files(output, listed)
        self.spare = output.parent / f".{output.name}.spare"
        self.keep_spare = keep_spare
        # refresh the spare: stage new and changed files only, the spare has the others
        self.refresh = keep_spare and bool(spare) and bool(self.previous) and folder_mark(self.spare) == spare
        self.tmp = output.parent / f".{output.name}.tmp-{os.getpid()}"
        self.manifest: dict[str, str] = {}
        self.stats = WriteStats()
        self.spare_mark = ""  # folder_mark of the spare after commit ("" = no spare)
        self.mark = ""  # folder_mark of the output after commit
        self.published = False  # True from the moment the new site is in place
        self.notes: list[str] = []  # what went wrong after that, for the user to know
        self._made: set[str] = set()
        self.tmp.mkdir(parents=True)

    def put(self, name: str, data: bytes) -> None:
        """Add one file (kept from the previous build when its bytes did not change)."""
        self.record(*place(self.tmp, self.output, self.previous, name, data, self._made, self.refresh))

    def put_chunks(self, name: str, chunks: Iterable[bytes | memoryview]) -> None:
        """Add one file given in pieces, written as they come (for files of hundreds of
        megabytes, which need not be held whole); kept like put's when its bytes did not change."""
        rel = safe_relpath(name)
        target = self.tmp / rel
        _mkdir(target.parent, self._made)
        h = hashlib.blake2b(digest_size=16)

        def hashed(blocks: Iterable[bytes]) -> Iterator[bytes]:
            for block in blocks:
                h.update(block)
                yield block

        size = create(target, hashed(blocks(chunks)))
        digest_ = record_of(h, size)
        written = self.previous.get(rel) != digest_
        if not written and self.refresh:
            target.unlink()  # the file in place stays
        elif not written:  # the previous file itself, as place() keeps it
            try:
                _link_over(self.output / rel, target)
            except OSError:
                written = True  # the copy just written stays
        self.record(rel, digest_, size, written)

    def reuse(self, name: str) -> bool:
        """Keep a file of the previous build unchanged; False when it is not there."""
        rel = safe_relpath(name)
        digest_ = self.previous.get(rel)
        if digest_ is None:
            return False
        size = recorded_size(digest_)
        if self.refresh:
            if size is None:
                try:
                    size = (self.output / rel).stat().st_size
                except OSError:
                    return False
            self.record(rel, digest_, size, False)
            self.stats.reused += 1
            return True
        # (strings, not Paths: the first build after a cold one links every file of the site here)
        target = f"{self.tmp}/{rel}"
        _make_folder(target.rpartition("/")[0], self._made)
        try:
            os.link(f"{self.output}/{rel}", target)
            size = os.stat(target).st_size if size is None else size
        except OSError:
            return False
        self.record(rel, digest_, size, False)
        self.stats.reused += 1
        return True

    def record(self, rel: str, digest_: str, size: int, written: bool) -> None:
        """Count a file placed in the folder (by put, reuse or a worker process)."""
        self.manifest[rel] = digest_
        self.stats.count(size, written)

    def commit(self, before_swap: Callable[[Path], None] | None = None) -> WriteStats:
        """Write the manifest, run the hook on the finished folder, then swap it in."""
        try:
            body = json.dumps({"generator": "digestgen", "files": self.manifest}, sort_keys=True, separators=(",", ":"))
            if self.refresh:
                self._refresh(body, before_swap)
            else:
                write_file(self.tmp / MANIFEST, body)
                if before_swap is not None:
                    before_swap(self.tmp)
                self._swap(self.tmp)
        except BaseException:
            self.abort()
            raise
        remove_tree(self.tmp)
        return self.stats

    def _swap(self, folder: Path) -> None:
        """Swap folder in; keep the previous site as the spare (or delete it).

        Once the new folder is in place, the site is published: what follows is housekeeping,
        whose failure (a previous site made read-only, a full disk) is cleaned up and noted
        (see notes), never reported as a failed build.
        """
        stale = self.spare.parent / f"{self.spare.name}.stale-{os.getpid()}"
        if self.spare.exists() and folder != self.spare:
            os.replace(self.spare, stale)
        try:
            old = swap(folder, self.output)
            self.published = True
            self.mark = folder_mark(self.output)
            try:
                self._keep(old)
            except OSError as exc:
                self.spare_mark = ""
                for leftover in (old, self.spare):
                    if leftover is not None:
                        remove_tree(leftover)
                self.notes.append(f"the new site is published, but the previous one could not be kept as "
                                  f"{self.spare.name} to speed up the next build ({describe(exc, self.output)}); "
                                  "the next build writes a whole new folder")
        finally:
            remove_tree(stale)

    def _keep(self, old: Path | None) -> None:
        """Keep the previous site (in old) as the spare, or delete it."""
        if old is not None and self.keep_spare:
            if old != self.spare:
                os.replace(old, self.spare)
            # not a site folder for git, whatever the repository ignores (the next refresh
            # removes this file with everything else the manifest does not list)
            write_file(self.spare / ".gitignore", SPARE_GITIGNORE)
            self.spare_mark = folder_mark(self.spare)
        elif old is not None:
            remove_tree(old)

    def _refresh(self, body: str, check: Callable[[Path], None] | None) -> None:
        """Turn the spare (the build before last) into the new site, then swap it in."""
        try:
            self._update_spare(body)
        except OSError as exc:  # the published site stays; the caller builds again without the spare
            remove_tree(self.spare)
            raise SpareUnusable(str(exc)) from exc
        if check is not None:
            check(self.spare)
        self._swap(self.spare)

    def _update_spare(self, body: str) -> None:
        spare, output = self.spare, self.output
        had = read_manifest(spare)
        # the manifest is the last file a build writes: its time, by the file system's own
        # clock, is when the folder was finished
        finished = (spare / MANIFEST).stat().st_mtime_ns
        (spare / MANIFEST).unlink()  # from here on the spare is not trusted, should this build die
        made: set[str] = set()
        emptied: set[Path] = set()
        # files that were added to the published folder after its build (digestgen email,
        # or by hand) are in the spare too: they go, like everything this build does not make
        present = _files_now(spare, had, finished)
        strays = [rel for rel in present if rel not in had]
        for rel in sorted({*strays, *(had.keys() - self.manifest.keys())}):
            (spare / rel).unlink(missing_ok=True)
            emptied.add((spare / rel).parent)
        for rel, digest_ in self.manifest.items():
            if had.get(rel) == digest_ and rel in present:
                continue  # the spare already has these bytes
            target = spare / rel
            _mkdir(target.parent, made)
            if self.previous.get(rel) != digest_:
                os.replace(self.tmp / rel, target)  # new in this build: staged
            else:  # unchanged since the last build: the published file itself
                _link_over(output / rel, target)
        for folder in sorted(emptied, key=lambda f: len(f.parts), reverse=True):
            while folder != spare:  # drop folders the deleted files leave empty
                try:
                    folder.rmdir()
                except OSError:
                    break
                folder = folder.parent
        write_file(spare / MANIFEST, body)

    def abort(self) -> None:
        remove_tree(self.tmp)


def _link_over(source: Path, target: Path) -> None:
    """Make target a hard link to source, replacing whatever is there in one rename."""
    link = target.with_name(f".{target.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    try:
        os.link(source, link)
        os.replace(link, target)
    except OSError:
        link.unlink(missing_ok=True)
        raise


def _files_now(folder: Path, listed: dict[str, str], since: int) -> set[str]:
    """The relative path of every file under folder, which held the files listed (by its
    manifest) when it was finished, at the file-system time since.

    Adding, removing or renaming a file changes the time of its directory, so only folders
    changed since then (or in the same tick of a coarse clock) are read; the others hold just
    what the manifest says. A stat per folder instead of a listing: at 100,000 papers a tenth
    of the time of a full walk.
    """
    by_folder: dict[str, list[str]] = {"": []}
    for rel in listed:
        parent, _, _ = rel.rpartition("/")
        by_folder.setdefault(parent, []).append(rel)
        while parent and parent not in by_folder:  # folders holding only folders
            by_folder[parent] = []
            parent = parent.rpartition("/")[0]
    present: set[str] = set()
    for name, files in by_folder.items():
        path = os.path.join(folder, name) if name else str(folder)
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            continue  # gone: so are its files
        if not stat.S_ISDIR(st.st_mode):
            continue  # replaced by a file or a link, which the listing of its parent shows
        if st.st_mtime_ns < since:
            present.update(files)
            continue
        prefix = f"{name}/" if name else ""
        with contextlib.suppress(OSError), os.scandir(path) as listing:
            for entry in listing:
                rel = prefix + entry.name
                if not entry.is_dir(follow_symlinks=False):
                    present.add(rel)
                elif rel not in by_folder:  # a folder made by hand: all of it
                    present.update(rel + "/" + inner for inner in _walk_files(Path(entry.path)))
    return present


def _walk_files(folder: Path) -> Iterator[str]:
    """The relative path of every file (and link) under folder."""
    todo = [("", str(folder))]
    while todo:
        prefix, path = todo.pop()
        with os.scandir(path) as listing:
            for entry in listing:
                if entry.is_dir(follow_symlinks=False):
                    todo.append((f"{prefix}{entry.name}/", entry.path))
                else:
                    yield prefix + entry.name


def _mkdir(folder: Path, made: set[str]) -> None:
    _make_folder(folder.as_posix(), made)


def _make_folder(folder: str, made: set[str]) -> None:
    """Make folder and its parents unless made holds it (the folders made so far)."""
    if folder in made:
        return
    try:
        os.mkdir(folder)
    except FileExistsError:
        if not os.path.isdir(folder):
            raise
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
    made.add(folder)


def create(target: Path | str, blocks: Iterable[bytes | memoryview]) -> int:
    """Write a new file (never replacing one) from blocks of bytes; return its size.

    The one place output bytes are written: an error (a full disk: ENOSPC comes from write(),
    which names no file) is raised again with the path of the file that could not be written.
    """
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    size = 0
    try:
        for block in blocks:
            view = memoryview(block)
            while view:
                written = os.write(fd, view)
                view = view[written:]
                size += written
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    finally:
        os.close(fd)
    return size


def write_file(path: Path, text: str) -> None:
    """Write a small file of digestgen's own (replacing one of that name) through create()."""
    path.unlink(missing_ok=True)
    create(path, (text.encode("utf-8"),))


def remove_tree(folder: Path) -> None:
    """Delete a folder digestgen made, even one whose subfolders were made read-only (a site
    published read-only becomes the spare, then a stale folder): left behind, it would stay
    forever."""
    shutil.rmtree(folder, ignore_errors=True)
    if not os.path.lexists(folder) or os.path.islink(folder):
        return
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)
    for path, folders, _files in os.walk(folder):  # top-down: each folder opened up before it is read
        for name in folders:
            inner = os.path.join(path, name)
            if not os.path.islink(inner):  # a link is removed, never followed
                with contextlib.suppress(OSError):
                    os.chmod(inner, 0o700)
    shutil.rmtree(folder, ignore_errors=True)


def place(tmp: Path, output: Path, previous: dict[str, str], name: str, data: bytes,
          made: set[str], changed_only: bool = False) -> tuple[str, str, int, bool]:
    """Put one file into tmp: unchanged files are linked from the previous build (or, when
    changed_only, not staged at all: the spare the caller refreshes has them); others are written.

    Returns (relative path, digest, size, written). Safe to call from worker processes.
    """
    rel = safe_relpath(name)
    h = digest(data)
    if changed_only and previous.get(rel) == h:
        return rel, h, len(data), False
    target = tmp / rel
    _mkdir(target.parent, made)
    if previous.get(rel) == h:
        try:
            os.link(output / rel, target)
            return rel, h, len(data), False
        except OSError:
            pass
    create(target, (data,))
    return rel, h, len(data), True


def swap(tmp: Path, output: Path) -> Path | None:
    """Put the new folder in place of the old one: one atomic exchange, or two renames.

    Returns the folder now holding the previous site (None when there was none); the caller
    keeps it as the spare or deletes it.
    """
    if output.is_dir() and exchange(tmp, output):
        return tmp  # tmp now holds the previous site
    old = output.parent / f".{output.name}.old"
    existed = output.exists()
    if existed:
        os.replace(output, old)
    os.replace(tmp, output)
    if not existed:
        return None
    kept = output.parent / f".{output.name}.kept-{os.getpid()}"
    try:
        os.replace(old, kept)  # not '.old': recover() would take it for an interrupted swap
    except OSError:
        return None  # published all the same; the next build's recover() removes '.old'
    return kept


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported.

    With it, a web server reading the output folder never sees it missing, even for the
    instant between the two renames of the fallback.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0
