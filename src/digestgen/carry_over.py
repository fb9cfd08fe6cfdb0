"""Part of the reuse layer (reuse.py): a long process's new model made of the very objects of
its last one wherever they did not change, so that the renderer knows unchanged pages by
identity."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import replace

from digestgen.records import Paper
from digestgen.site import Issue, SiteModel, TagInfo


def carry_over(model: SiteModel, before: SiteModel | None) -> SiteModel:
    """model, with every issue, tag, author and list of related papers that did not change
    replaced by the very object of the model before (in a long process, see reuse.py).

    Unchanged papers already are the same records from one build to the next, so a page whose
    context holds the same objects as last time shows the same things: the renderer then knows
    it unchanged by identity instead of describing its whole context again.
    """
    if before is None:
        return model
    issues = [_same_issue(issue, before.issues_by_key.get(issue.key)) for issue in model.issues]
    tags = {slug: _same_tag(tag, before.tags.get(slug)) for slug, tag in model.tags.items()}
    related = {}
    for paper_id, papers in model.related.items():
        old = before.related.get(paper_id)
        related[paper_id] = old if old is not None and same_items(old, papers) else papers
    known = before.authors.pages  # (an author is a frozen value: equal is the same)
    people = {slug: was if (was := known.get(slug)) == author and was.origin == author.origin else author
              for slug, author in model.authors.pages.items()}
    return replace(model, issues=issues, issues_by_key={i.key: i for i in issues}, tags=tags, related=related,
                   authors=replace(model.authors, pages=people))


def same_items(a: Sequence[Paper], b: Sequence[Paper]) -> bool:
    """The same records in the same order (compared by identity)."""
    return len(a) == len(b) and all(map(operator.is_, a, b))


def _same_issue(issue: Issue, old: Issue | None) -> Issue:
    if (old is not None and (old.start, old.end, old.newer, old.older, old.intro, old.status)
            == (issue.start, issue.end, issue.newer, issue.older, issue.intro, issue.status)
            and same_items(old.papers, issue.papers)):
        return old
    return issue


def _same_tag(tag: TagInfo, old: TagInfo | None) -> TagInfo:
    if (old is not None and (old.name, old.description) == (tag.name, tag.description)
            and same_items(old.papers, tag.papers)):
        return old
    return tag
