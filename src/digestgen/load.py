"""The first stage: read and validate every source into the site model.

`load_site` is the only stage that consults the parse cache (a paper whose file did not change
is taken from it instead of being parsed again); everything after it works on the model.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from digestgen import __version__, workers
from digestgen.authors import parse_authors
from digestgen.cache import Cache, Entry, StatKey, settled, stat_key
from digestgen.config import BuildOptions, SiteConfig, load_config
from digestgen.content import (
    Page,
    Paper,
    Tag,
    Unfinished,
    discover,
    parse_issue,
    parse_page,
    parse_tags,
)
from digestgen.errors import ContentError, Problem
from digestgen.hashes import code_fingerprint, content_hash, hexhash
from digestgen.progress import Progress
from digestgen.site import SiteModel, build_model
from digestgen.yamlio import MAX_FILE_BYTES, read_bounded


def load_site(config: SiteConfig, cache: Cache | None = None, progress: Progress | None = None,
              hashes: dict[str, str] | None = None,
              stats: tuple[int, dict[str, StatKey]] | None = None,
              outputs: bool = False) -> tuple[SiteModel, list[Problem]]:
    """Read and validate every source; raise ContentError with all errors of the run.

    With a cache, papers whose files did not change are taken from it instead of being parsed
    again; the others are parsed over a process pool when there are many. hashes, when given,
    receives the content hash of every paper file (for the page keys of the renderer). stats:
    (when they were taken, file stats by site path), already taken for the build's fingerprint.
    outputs: also refuse outputs that would collide (see layout.py; a build does it once it
    has the routes of its renderer).
    """
    root = config.root
    sources = discover(root)
    problems = list(sources.problems)
    parse_key = parse_key_of(config)
    entries = cache.entries(parse_key) if cache is not None and cache.enabled else {}
    fresh: dict[str, Entry] = {}
    todo: list[tuple[str, StatKey, str]] = []
    looked, known_stats = stats if stats is not None else (time.time_ns(), {})
    dirty: set[str] = set()
    for rel in sources.papers:
        st = known_stats.get(rel)
        if st is None:
            try:
                st = stat_key(os.lstat(root / rel))
            except OSError:
                st = (-1, -1, -1, -1)
        known = entries.get(rel)
        if known is not None and known.stat == st and settled(st, known.looked_ns):
            fresh[rel] = known
            continue
        try:
            data, size = read_bounded(root / rel, MAX_FILE_BYTES)
            digest_ = content_hash(data) if size <= MAX_FILE_BYTES else ""  # refused when parsed
        except OSError:
            digest_ = ""
        if known is not None and known.hash == digest_ and digest_:
            fresh[rel] = Entry(st, digest_, known.value, looked)
            dirty.add(rel)
        else:
            todo.append((rel, st, digest_))
    if todo:
        many = workers.pool_ok(config, len(todo), workers.PARSE_POOL_MIN)
        spill = cache.spill() if many and cache is not None else None  # texts out of memory as they come

        def each(result: tuple[Paper | Unfinished | None, list[Problem]]) -> None:
            if spill is not None and isinstance(result[0], Paper):
                spill.put(result[0].texts)

        parsed = workers.parse_papers(root, [rel for rel, _, _ in todo], config.tz, config.base_path, many, progress,
                                      each)
        for (rel, st, digest_), value in zip(todo, parsed):
            fresh[rel] = Entry(st, digest_, value, looked)
            dirty.add(rel)
    papers: list[Paper] = []
    unfinished: list[Unfinished] = []
    unreadable: set[str] = set()
    for rel in sources.papers:
        paper, found = fresh[rel].value
        problems.extend(found)
        if isinstance(paper, Paper):
            papers.append(paper)
        else:
            unreadable.add(rel.rsplit("/", 1)[-1].rsplit(".", 1)[0])
            if paper is not None:
                unfinished.append(paper)
        if hashes is not None:
            hashes[rel] = fresh[rel].hash
    if cache is not None and cache.enabled and (dirty or len(fresh) != len(entries)):
        cache.save_entries(parse_key, fresh, dirty)
    intros = [i for rel in sources.issues if (i := parse_issue(root, rel, config.base_path, problems, config.tz))]
    pages: list[Page] = [p for rel in sources.pages if (p := parse_page(root, rel, config.base_path, problems))]
    vocabulary: dict[str, Tag] | None = parse_tags(root, sources.tags, problems) if sources.tags else None
    people = parse_authors(root, sources.authors, problems) if sources.authors else None
    related = cache.related(parse_key) if cache is not None and cache.enabled else None
    had = list(related or ())
    model = build_model(config, papers, intros, pages, vocabulary, problems, frozenset(unreadable), related, unfinished,
                        people)
    if cache is not None and related is not None and list(related) != had:
        cache.save_related(parse_key, related)
    if outputs and all(p.severity != "error" for p in problems):  # (else the model may be partial)
        from digestgen.layout import collisions, site_outputs
        from digestgen.render import Renderer

        problems += collisions(site_outputs(model, list(Renderer(model).routes())))
    return model, finish(problems, config.options.strict)



def parse_key_of(config: SiteConfig) -> str:
    """What a parsed paper depends on besides its file: digestgen, site.yaml, timezone, base path."""
    try:
        site_yaml = (config.root / "site.yaml").read_bytes()
    except OSError:
        site_yaml = b""
    return hexhash(__version__, code_fingerprint(), content_hash(site_yaml), str(config.tz), config.base_path)


def finish(problems: list[Problem], strict: bool) -> list[Problem]:
    """Raise when there are errors (warnings count as errors with --strict); return warnings."""
    if strict:
        problems = [Problem(p.path, p.line, p.column, p.field, p.message) for p in problems]
    errors = [p for p in problems if p.severity == "error"]
    warnings = sorted(p for p in problems if p.severity != "error")
    if errors:
        raise ContentError(errors + warnings)
    return warnings


def check(root: Path, options: BuildOptions | None = None) -> tuple[SiteModel, list[Problem]]:
    """Validate without writing anything."""
    return load_site(load_config(root, options), outputs=True)

