"""What one build takes over from the builds before it: one object, passed explicitly.

The command line makes a Reuse for each build. It reads the disk cache (parsed papers, the
keys and manifest of the last build into the same folder) and keeps nothing in memory once
the build is over. `digestgen serve` keeps one alive from its first build to its last: it
also holds the last model and the per-record results of its builds (a paper's BibTeX, its
feed HTML, a serialised feed), so a rebuild after one edit makes again only what that edit
changed.

Stages know none of this. A function of records whose result is worth keeping (it is cheap
to key and costly to make) is called through `remembered(kind, key, make, *args)`: while a
long-lived Reuse is active (see Reuse.active) the result is kept under key, which must hold
everything the result is made of, so a hit is always exact; otherwise it is simply made.
A result is kept for the build after the one that last used it, no longer: a preview edited
all day holds what two builds use, not every version of every feed it ever made. A result of
one paper record alone (its BibTeX, say) is kept by `remembered_for(record, ...)` as long as the
record itself is alive instead: the bundles of a big tag, made again after one of its papers
changed, find the records of all the others.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from digestgen.cache import BuildState, Cache

if TYPE_CHECKING:
    from digestgen.site import SiteModel

V = TypeVar("V")

_active: ContextVar[Reuse | None] = ContextVar("digestgen_reuse", default=None)


class Reuse:
    """The disk cache of one site, and (when long-lived) what its builds keep in memory.

    long_lived: a preview server's, whose builds follow each other in one process.
    """

    def __init__(self, root: Path, enabled: bool = True, long_lived: bool = False):
        self.cache = Cache(root, enabled=enabled, remember=long_lived)
        self.long_lived = long_lived
        self.model: SiteModel | None = None  # the last model built (see carry_over.py)
        # the route, shallowness and key of each keyed page of the last build (see write.py)
        self.pages: tuple[str, dict[str, tuple[Any, bool, str]]] | None = None
        # the papers, values and key of each keyed file of the last build (see write.write)
        self.files: tuple[str, dict[str, tuple[Any, tuple[object, ...], str]]] | None = None
        # the preview's site, built into memory (memory.py): its files, their manifest, and
        # the state of the build that made them
        self.site: dict[str, bytes] | None = None
        self.manifest: dict[str, str] = {}
        self.state: BuildState | None = None
        self._kept: dict[str, dict[Hashable, Any]] = {}  # by kind: the results this build used
        self._before: dict[str, dict[Hashable, Any]] = {}  # and those of the last one it has not
        # by kind: the results of each record still alive (see remembered_for)
        self._of_records: dict[str, weakref.WeakKeyDictionary[Any, Any]] = {}

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Let remembered() keep results in this object for the length of the block (a build):
        what the build before used is kept for this one; what it did not use is let go."""
        if self.long_lived:
            self._before, self._kept = self._kept, {}
        token = _active.set(self if self.long_lived else None)
        try:
            yield
        finally:
            _active.reset(token)

    def publish(self, files: dict[str, bytes], manifest: dict[str, str]) -> None:
        """Make files the preview's site (one assignment: a reader sees the old or the new)."""
        self.manifest = manifest
        self.site = files

    def kept(self, kind: str, key: Hashable, make: Callable[..., V], *args: Any) -> V:
        """The result under (kind, key): this build's, else the last build's, else made now."""
        store = self._kept.get(kind)
        if store is None:
            store = self._kept[kind] = {}
        try:
            return store[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        before = self._before.get(kind)
        value = before.pop(key) if before is not None and key in before else make(*args)
        store[key] = value
        return value

    def kept_for(self, record: Any, kind: str, make: Callable[..., V], *args: Any) -> V:
        """The result of kind for record, made now if it was not made since record was."""
        store = self._of_records.get(kind)
        if store is None:
            store = self._of_records[kind] = weakref.WeakKeyDictionary()
        try:
            return store[record]  # type: ignore[no-any-return]
        except KeyError:
            value = store[record] = make(*args)
            return value


def keeping() -> bool:
    """Whether remembered() keeps results now (worth making a costly key for it)."""
    return _active.get() is not None


def remembered(kind: str, key: Hashable, make: Callable[..., V], *args: Any) -> V:
    """make(*args), kept under (kind, key) by the active long-lived Reuse, if any."""
    reuse = _active.get()
    if reuse is None:
        return make(*args)
    return reuse.kept(kind, key, make, *args)


def remembered_for(record: Any, kind: str, make: Callable[..., V], *args: Any) -> V:
    """make(*args), a result of record alone, kept by the active long-lived Reuse, if any, for
    as long as record is alive (an unchanged paper is the same record from build to build)."""
    reuse = _active.get()
    if reuse is None:
        return make(*args)
    return reuse.kept_for(record, kind, make, *args)
