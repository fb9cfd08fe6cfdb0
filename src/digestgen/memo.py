"""Results kept between builds of one long process (digestgen serve).

A one-shot `digestgen build` computes everything once and exits, so keeping results would
only cost memory. A preview server rebuilds after every save, and most of what it derives
(a paper's BibTeX, its papers.json line, its feed HTML, related papers) depends on nothing
but records that did not change. Such results are kept in a Memo keyed by everything they are
made of (usually the frozen Paper record itself), so a hit is always exact, never stale.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

_keeping = False


def keep_between_builds(on: bool = True) -> None:
    """Called by long processes; until then every Memo computes and forgets."""
    global _keeping
    _keeping = on
    if not on:
        for memo in _ALL:
            memo.data.clear()


def keeping() -> bool:
    return _keeping


_ALL: list[Memo[Any]] = []


class Memo(Generic[V]):
    """A bounded map from a key (everything the value is made of) to the value."""

    def __init__(self, limit: int = 200_000):
        self.limit = limit
        self.data: dict[Hashable, V] = {}
        _ALL.append(self)

    def get(self, key: Hashable, make: Callable[..., V], *args: Any) -> V:
        """The value for key; make(*args) computes it when it is not kept."""
        if not _keeping:
            return make(*args)
        try:
            return self.data[key]
        except KeyError:
            pass
        if len(self.data) >= self.limit:
            self.data.clear()  # a new version of every entry at once: start over
        value = self.data[key] = make(*args)
        return value

    def peek(self, key: Hashable) -> V | None:
        return self.data.get(key) if _keeping else None

    def put(self, key: Hashable, value: V) -> None:
        if _keeping:
            if len(self.data) >= self.limit:
                self.data.clear()
            self.data[key] = value

    def drop(self, key: Hashable) -> None:
        self.data.pop(key, None)
