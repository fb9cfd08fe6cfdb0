"""The reading list's files: a lean index of every paper, and the service worker of its page.

A reader's reading list lives in their browser (localStorage); /reading-list/ shows it as
cards, so it needs the title, authors and tags of papers that are not on that page. The index
holds just that, one short record per paper (papers.json, with abstracts and notes, weighs
about eight times as much). The service worker, scoped to /reading-list/, keeps the page,
its assets, the index and the citation files of the listed papers for use offline.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from digestgen.content import Paper
from digestgen.files import File
from digestgen.reuse import remembered_for
from digestgen.site import SiteModel

INDEX = "reading-list/index.json"
WORKER = "reading-list/sw.js"
WORKER_SOURCE = "reading-list-sw.js"  # in the theme's folder, beside static/ and templates/
INDEX_VERSION = 1
AUTHORS_SHOWN = 3  # a card shows the first authors and how many more there are


def reading_list_files(model: SiteModel) -> list[File]:
    """The reading list's index and service worker (both made at every build: the index
    holds every paper and the tags' names, the worker comes from the theme)."""
    return [File(INDEX, partial(index_json, model)), File(WORKER, partial(worker_source, model))]


def index_record(paper: Paper) -> dict[str, Any]:
    """What a reading-list card shows of a paper; absent fields are left out, not null."""
    record: dict[str, Any] = {"id": paper.id, "title": paper.title, "date": paper.date.isoformat()}
    if paper.authors:
        record["authors"] = list(paper.authors[:AUTHORS_SHOWN])
        if len(paper.authors) > AUTHORS_SHOWN:
            record["more"] = len(paper.authors) - AUTHORS_SHOWN
    if paper.tags:
        record["tags"] = list(paper.tags)
    if paper.arxiv:
        record["arxiv"] = paper.arxiv
    if paper.doi:
        record["doi"] = paper.doi
    return record


def index_json(model: SiteModel) -> bytes:
    """/reading-list/index.json: the tags' names and a record of every paper with a page,
    in the site's order, one line each."""
    tags = {slug: tag.name for slug, tag in model.tags.items() if tag.papers}
    head = json.dumps({"version": INDEX_VERSION, "tags": tags}, ensure_ascii=False, separators=(",", ":"))
    lines = [remembered_for(p, "reading-line", _line, p) for p in model.papers]
    return (head[:-1] + ',"papers":[\n' + ",\n".join(lines) + "\n]}\n").encode("utf-8")


def _line(paper: Paper) -> str:
    return json.dumps(index_record(paper), ensure_ascii=False, separators=(",", ":"))


def worker_source(model: SiteModel) -> bytes:
    """The service worker, from the first theme that has one (a site's theme over the default)."""
    from digestgen.render import theme_dirs

    for folder in theme_dirs(model.config.root, model.config.fields.theme):
        source = folder / WORKER_SOURCE
        if source.is_file():
            return source.read_bytes()
    raise FileNotFoundError(WORKER_SOURCE)  # the default theme always has it
