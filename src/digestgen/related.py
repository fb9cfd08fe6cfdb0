"""Related papers: for each paper, those sharing the most tags with it, then the nearest in
date, with bounded work per paper."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from heapq import nsmallest
from typing import TYPE_CHECKING

from digestgen.hashes import hexhash
from digestgen.records import Paper

if TYPE_CHECKING:
    from digestgen.site import TagInfo


RELATED_LIMIT = 5
RELATED_SCAN = 60
RELATED_KEPT = 4  # lists of papers remembered (a build, a preview with drafts, ...)


def related_papers(papers: list[Paper], tags: dict[str, TagInfo],
             store: dict[str, list[list[int]]] | None = None) -> dict[str, list[Paper]]:
    """Papers sharing the most tags, then the nearest in date; bounded work per paper.

    They depend only on the ids and tags of the papers in order: store (kept by the build
    cache) remembers the answer for the last few such lists, so most builds do not compute it.
    """
    if store is None:
        chosen = _related_positions(papers, tags)
    else:
        key = hexhash([(p.id, p.tags) for p in papers])
        chosen = store.get(key) or _related_positions(papers, tags)
        if key not in store:
            while len(store) >= RELATED_KEPT:
                del store[next(iter(store))]  # the oldest
            store[key] = chosen
    return {paper.id: [papers[i] for i in best] for paper, best in zip(papers, chosen)}


def _related_positions(papers: list[Paper], tags: dict[str, TagInfo]) -> list[list[int]]:
    """For each paper (by position), the positions of its related papers, best first."""
    index = {p.id: i for i, p in enumerate(papers)}
    # each tag's papers as positions in papers (ascending: both lists are newest first)
    positions = {slug: [index[p.id] for p in info.papers] for slug, info in tags.items()}
    half = RELATED_SCAN // 2
    ids = [p.id for p in papers]
    related: list[list[int]] = []
    for pos, paper in enumerate(papers):
        scores: Counter[int] = Counter()
        for tag in paper.tags:
            members = positions[tag]
            # scan the members nearest in time to this paper, not the whole tag
            lo = max(0, bisect_left(members, pos) - half)
            scores.update(members[lo : lo + RELATED_SCAN])
        scores.pop(pos, None)
        best = nsmallest(RELATED_LIMIT, [(-score, abs(i - pos), ids[i], i) for i, score in scores.items()])
        related.append([i for *_, i in best])
    return related
