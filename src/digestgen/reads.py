"""What a page's render reads: views of the site model that note reads no page key covers.

A keyed page (one paper, issue, tag or author, or a list of them: see plan.KEYED_TEMPLATES)
is kept from the last build when its key is unchanged. Its key covers what its context shows
and, of the rest of the site, the settings and the names and order of issues and tags.
Templates reach everything else through these views; a render that reads any of it is noted,
and its page is rendered again at every build instead of being kept stale.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jinja2
import jinja2.runtime

from digestgen.content import Paper
from digestgen.site import Issue, SiteModel


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
UNTRACKED_GLOBALS = frozenset({"updated"})


class IssueOf(Mapping[str, str]):
    """The `issue_of` template global (paper id -> issue key): a page's key covers the issue
    of every paper the page shows (its context's papers: the issue follows from a paper's
    record and the settings); looking up any other paper, or the whole map, notes it in flag[0].
    showing(context) is called before each render."""

    def __init__(self, target: Mapping[str, str], flag: list[bool]):
        self._target, self._flag = target, flag
        self._context: Mapping[str, Any] = {}
        self._shown: set[str] | None = None

    def showing(self, context: Mapping[str, Any]) -> None:
        self._context, self._shown = context, None

    def __getitem__(self, paper_id: str) -> str:
        if self._shown is None:  # found on first use: most pages never ask
            self._shown = shown_ids(self._context)
        if paper_id not in self._shown:
            self._flag[0] = True
        return self._target[paper_id]

    def __iter__(self) -> Iterator[str]:
        self._flag[0] = True
        return iter(self._target)

    def __len__(self) -> int:
        self._flag[0] = True
        return len(self._target)


def shown_ids(context: Mapping[str, Any]) -> set[str]:
    """The ids of the papers in a page's context (build._Keyer covers each of them)."""
    ids: set[str] = set()
    for value in context.values():
        if isinstance(value, Paper):
            ids.add(value.id)
        elif isinstance(value, Issue):
            ids.update(p.id for p in value.papers)
        elif isinstance(value, list):
            ids.update(p.id for p in value if isinstance(p, Paper))
    return ids


def watching_context(flag: list[bool], names: frozenset[str]) -> type[jinja2.runtime.Context]:
    """A template context that notes (in flag[0]) when a template looks up one of names."""

    class WatchingContext(jinja2.runtime.Context):
        def resolve_or_missing(self, key: str) -> Any:  # Context's own, plus the note
            if key in names:
                flag[0] = True
            if key in self.vars:
                return self.vars[key]
            if key in self.parent:
                return self.parent[key]
            return jinja2.runtime.missing

    return WatchingContext


class View:
    """A read-only view of one object of the site model for templates.

    The attributes given (what every page's key covers: build._render_pages' site key and
    render key) are plain attributes of the view, as fast to read as the object's own; reading
    any other attribute, or the object as a whole, notes in flag[0] that the page read what
    its key does not cover, so the page is rendered again at every build instead of being
    kept stale.
    """

    def __init__(self, target: Any, flag: list[bool], tracked: dict[str, Any]):
        self.__dict__.update(tracked)
        self._view_target, self._view_flag = target, flag

    def __getattr__(self, name: str) -> Any:  # called only for attributes not tracked
        if name.startswith("_view_"):
            raise AttributeError(name)
        value = getattr(self._view_target, name)
        self._view_flag[0] = True
        return value

    def __str__(self) -> str:
        self._view_flag[0] = True
        return str(self._view_target)

    __repr__ = __str__

    def __eq__(self, other: object) -> bool:
        self._view_flag[0] = True
        return bool(self._view_target == (other._view_target if isinstance(other, View) else other))

    def __hash__(self) -> int:
        return id(self._view_target)


def model_view(model: SiteModel, flag: list[bool]) -> View:
    """The `model` template global: its settings, and its issues and tags by name, are known
    to every page's key; anything else read through it (its papers, an issue's or a tag's
    papers, related papers...) makes the page that read it be rendered at every build."""
    issues = {key: View(issue, flag, {"key": issue.key, "title": issue.title, "start": issue.start,
                                      "end": issue.end, "newer": issue.newer, "older": issue.older,
                                      "status": issue.status, "published": issue.published,
                                      "publish_at": issue.publish_at})
              for key, issue in model.issues_by_key.items()}
    tags = {slug: View(tag, flag, {"slug": tag.slug, "name": tag.name, "description": tag.description})
            for slug, tag in model.tags.items()}
    return View(model, flag, {"config": model.config, "issues": [issues[i.key] for i in model.issues],
                              "issues_by_key": issues, "tags": tags})
