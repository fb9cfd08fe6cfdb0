"""What a page's render reads: views of the site model that note reads no page key covers.

A keyed page (one paper, issue or tag: see build._render_pages) is kept from the last build
when its key is unchanged. Its key covers what its context shows and, of the rest of the
site, the settings and the names and order of issues and tags. Templates reach everything
else through these views; a render that reads any of it is noted, and its page is rendered
again at every build instead of being kept stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import jinja2
import jinja2.runtime

from digestgen.site import Issue, SiteModel, TagInfo


class Watched(Sequence[Any]):
    """A read-only list that notes any use of its items (in looked[0])."""

    def __init__(self, items: list[Any], looked: list[bool]):
        self._items, self._looked = items, looked

    def __getitem__(self, index: Any) -> Any:
        self._looked[0] = True
        return self._items[index]

    def __len__(self) -> int:
        self._looked[0] = True
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        self._looked[0] = True
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        self._looked[0] = True
        return list(self._items) == (list(other._items) if isinstance(other, Watched) else other)

    def __add__(self, other: Any) -> list[Any]:
        self._looked[0] = True
        return list(self._items) + list(other)

    def __radd__(self, other: Any) -> list[Any]:
        self._looked[0] = True
        return list(other) + list(self._items)

    def __repr__(self) -> str:  # as the list would print in a template
        self._looked[0] = True
        return repr(self._items)

    __hash__ = None  # type: ignore[assignment]


class Counted(Watched):
    """A read-only list whose length and truth are known to the page's key, and whose items
    are not: any use of them notes it (in flag[0])."""

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)


# Globals whose value depends on every paper: a page that names them is rendered every build.
UNTRACKED_GLOBALS = frozenset({"issue_of", "updated"})


def watching_context(flag: list[bool], names: frozenset[str]) -> type[jinja2.runtime.Context]:
    """A template context that notes (in flag[0]) when a template looks up one of names."""

    class WatchingContext(jinja2.runtime.Context):
        def resolve_or_missing(self, key: str) -> Any:
            if key in names:
                flag[0] = True
            return super().resolve_or_missing(key)

    return WatchingContext


class View:
    """A read-only view of one object of the site model for templates.

    The attributes in tracked are covered by every page's key (build._render_pages: the
    settings, the names and order of issues and tags) and pass through, made into views
    themselves by their function when it is given; reading any other attribute, or the object
    as a whole, notes in flag[0] that the page read what its key does not cover, so the page
    is rendered again at every build instead of being kept stale.
    """

    __slots__ = ("_flag", "_target", "_tracked")

    def __init__(self, target: Any, flag: list[bool], tracked: Mapping[str, Callable[[Any], Any] | None]):
        self._target, self._flag, self._tracked = target, flag, tracked

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name not in self._tracked:
            self._flag[0] = True
            return value
        wrap = self._tracked[name]
        return value if wrap is None else wrap(value)

    def __str__(self) -> str:
        self._flag[0] = True
        return str(self._target)

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        self._flag[0] = True
        return bool(self._target == (other._target if isinstance(other, View) else other))

    def __hash__(self) -> int:
        return id(self._target)


class MappingView(Mapping[str, Any]):
    """A read-only dict whose keys a page's key covers, its values seen through wrap."""

    def __init__(self, target: Mapping[str, Any], wrap: Callable[[Any], Any]):
        self._target, self._wrap = target, wrap

    def __getitem__(self, key: str) -> Any:
        return self._wrap(self._target[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._target)

    def __len__(self) -> int:
        return len(self._target)

    def __contains__(self, key: object) -> bool:
        return key in self._target


# What every page's key covers of the model (build._render_pages' site key and render key).
ISSUE_TRACKED: dict[str, None] = dict.fromkeys(("key", "title", "start", "end", "newer", "older"))
TAG_TRACKED: dict[str, None] = dict.fromkeys(("slug", "name", "description"))


def model_view(model: SiteModel, flag: list[bool]) -> View:
    """The `model` template global: its settings, and its issues and tags by name, are known
    to every page's key; anything else read through it (its papers, an issue's or a tag's
    papers, related papers...) makes the page that read it be rendered at every build."""
    views: dict[int, View] = {}  # one view per issue and tag, made on first use

    def viewer(tracked: Mapping[str, None]) -> Callable[[Issue | TagInfo], View]:
        def view(value: Issue | TagInfo) -> View:
            found = views.get(id(value))
            if found is None:
                found = views[id(value)] = View(value, flag, tracked)
            return found

        return view

    issue, tag = viewer(ISSUE_TRACKED), viewer(TAG_TRACKED)
    issues = [issue(i) for i in model.issues]
    issues_by_key, tags = MappingView(model.issues_by_key, issue), MappingView(model.tags, tag)
    return View(model, flag, {"config": None, "issues": lambda _: issues,
                              "issues_by_key": lambda _: issues_by_key, "tags": lambda _: tags})
