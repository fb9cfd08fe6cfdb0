"""The page on screen first: a preview's pages made again before the rest of the site.

After a save that changes what some papers say but not where they are listed (their id, date,
issue, tags, authors...), or the text of an issue's intro, the pages a browser shows are
rendered from the last build's model with the new records put in place of the old, and served
at once; the whole site is built after them as usual and replaces them (Hugo's server does the
same, "fast render").

Only a page the last build keyed by what it shows is made this way (see plan.KEYED_TEMPLATES):
its key proves that the page depends on nothing but its context and what every page's key
covers (settings, theme, tag names, issue titles, where author names link), all unchanged by
such an edit, so the page is the very page the whole build then makes. Anything else (a new
file, a moved paper, site.yaml, a template, a page that read `model`) waits for the build.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import fields, replace
from typing import Any

from digestgen.content import parse_issue, parse_paper
from digestgen.errors import Problem
from digestgen.options import now_in
from digestgen.records import IssueIntro, Paper
from digestgen.reuse import Reuse
from digestgen.site import Issue, SiteModel, TagInfo, order_key

# What a paper shows without deciding where it is listed or what else is checked against it.
# featured, rank, upvotes and title order an issue's papers: an issue shown is sorted again.
SHOWN = frozenset({"title", "texts", "tldr", "links", "image_alt", "marks", "journal", "doi", "published",
                   "submitted_by", "internal_links", "upvotes", "featured", "rank"})
_PLACED = tuple(f.name for f in fields(Paper) if f.name not in SHOWN)
# And what an issue's intro says besides its title, which pages of other issues show too.
_INTRO_PLACED = ("key", "source", "title", "draft", "publish_at")


def early_pages(reuse: Reuse, changed: Iterable[str], viewed: Iterable[str]) -> dict[str, bytes]:
    """The pages among viewed (site file names) that the changes alter, made again now; {}
    when the changes are not all edits of papers or intros that keep their place (then only
    the build can tell what they alter)."""
    model, pages, state = reuse.model, reuse.pages, reuse.state
    if model is None or pages is None or reuse.site is None:
        return {}
    now = now_in(model.config.tz)
    if now.date() != model.config.today or (state is not None and 0 < state.until <= now.timestamp()):
        return {}  # a day began or an issue came out since the last build: its pages show it differently
    swap = _edited(model, changed)
    if not swap:
        return {}
    from digestgen.render import Renderer, Route

    renderer: Renderer | None = None
    made: dict[str, bytes] = {}
    for name in viewed:
        kept = pages[1].get(name)
        if kept is None:
            continue  # a page made at every build, or not a page of the site
        route = kept[0]
        context = {key: _swapped(value, swap) for key, value in route.context.items()}
        if all(context[key] is value for key, value in route.context.items()):
            continue  # shows none of the edited papers
        if renderer is None:
            renderer = Renderer(model)
        looked = [False, False]
        data = renderer.render(Route(route.path, route.template, context, route.url), looked)
        if not looked[1]:  # (else it read what its key does not cover: the build decides)
            made[name] = data
    return made


def _edited(model: SiteModel, changed: Iterable[str]) -> dict[int, tuple[Any, Any]]:
    """The last model's records of the changed files, each with its new record, when every
    changed file is a paper or an issue's intro of that model that parses without problems
    into a record of the same place; else {}. (By id: records are compared by identity.)"""
    papers = {paper.source: paper for paper in model.papers}
    intros = {issue.intro.source: issue.intro for issue in model.issues if issue.intro is not None}
    config = model.config
    swap: dict[int, tuple[Any, Any]] = {}
    for rel in changed:
        old: Paper | IssueIntro | None = papers.get(rel) or intros.get(rel)
        if old is None:
            return {}
        try:
            if not stat.S_ISREG(os.lstat(config.root / rel).st_mode):
                return {}
        except OSError:
            return {}
        problems: list[Problem] = []
        new: object
        if isinstance(old, Paper):
            new, problems = parse_paper(config.root, rel, config.tz, config.base_path)
            placed = _PLACED
        else:
            new = parse_issue(config.root, rel, config.base_path, problems, config.tz)
            placed = _INTRO_PLACED
        if type(new) is not type(old) or any(p.severity == "error" for p in problems):
            return {}
        if any(getattr(old, name) != getattr(new, name) for name in placed):
            return {}
        if new != old:
            swap[id(old)] = (old, new)
    return swap


def _swapped(value: Any, swap: dict[int, tuple[Any, Any]]) -> Any:
    """value with the records of swap replaced (in lists, issues and tags too); the very value
    when it holds none of them."""
    if isinstance(value, (Paper, IssueIntro)):
        pair = swap.get(id(value))
        return pair[1] if pair is not None and pair[0] is value else value
    if isinstance(value, (list, tuple)):
        items = [_swapped(item, swap) for item in value]
        if all(a is b for a, b in zip(items, value)):
            return value
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, Issue):
        papers, intro = _swapped(value.papers, swap), _swapped(value.intro, swap)
        if papers is value.papers and intro is value.intro:
            return value
        return replace(value, papers=papers if papers is value.papers else sorted(papers, key=order_key), intro=intro)
    if isinstance(value, TagInfo):
        papers = _swapped(value.papers, swap)
        return value if papers is value.papers else replace(value, papers=papers)
    return value
