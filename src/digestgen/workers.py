"""Work spread over the machine's cores: one kind of pool, of forked processes, for parsing
papers and for making outputs (pages, feeds, exports alike).

Workers are forked after the parent has set up what they need (the site model, the renderer
with its compiled templates, the plan, the staging folder), so nothing large is sent to them:
a task is a list of file names or output numbers, and a result is small (a parsed record, or
the name, hash and size of a file the worker wrote). Output does not depend on which worker
did what.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from digestgen.content import parse_paper
from digestgen.files import File, Pieces
from digestgen.memory import MemoryStaging
from digestgen.output import place
from digestgen.page_weight import BUDGET_SKIP, weigh
from digestgen.progress import Progress

PARSE_POOL_MIN = 300  # below this, starting processes costs more than it saves
RENDER_POOL_MIN = 400
PARSE_CHUNK = 64
RENDER_CHUNK = 48

_job: dict[str, Any] = {}


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _pool(size: int) -> Any:
    """A pool of forked workers (see _started)."""
    return multiprocessing.get_context("fork").Pool(size, initializer=_started)


def _started() -> None:
    """A worker's start. It moves what it inherited out of its garbage collector's sight (a
    collection would touch, and so copy, every one of those objects), and it leaves stopping to
    its parent: a handler the parent set (serve's, which raises KeyboardInterrupt) would run
    Python code in a worker that the pool is ending with SIGTERM, which could then die holding
    the lock of the pool's task queue and leave the next worker, and the parent waiting for
    it, stuck for good. A terminal's Ctrl-C reaches the parent, which ends the pool."""
    gc.freeze()
    for name, action in (("SIGTERM", signal.SIG_DFL), ("SIGHUP", signal.SIG_DFL), ("SIGINT", signal.SIG_IGN)):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), action)


def pool_ok(config: Any, jobs: int, minimum: int) -> bool:
    """Use worker processes only for big batches, on a second core, in a process without other
    threads (fork): a preview server's first build, but none after it."""
    return (jobs >= minimum and cpus() > 1 and threading.active_count() == 1
            and os.environ.get("DIGESTGEN_WORKERS") != "1")


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _parse_chunk(rels: Sequence[str]) -> list[Any]:
    root, tz, base_path = _job["parse"]
    return [parse_paper(root, rel, tz, base_path) for rel in rels]


def parse_papers(root: Path, rels: list[str], tz: dt.tzinfo, base_path: str, use_pool: bool,
                 progress: Progress | None, each: Callable[[Any], None] | None = None) -> list[Any]:
    """parse_paper over many files, in order; over a process pool when use_pool. each, if
    given, sees every result as it arrives."""
    results: list[Any] = []
    _job["parse"] = (root, tz, base_path)
    try:
        if not use_pool:
            for rel in rels:
                results.append(parse_paper(root, rel, tz, base_path))
                if each is not None:
                    each(results[-1])
                if progress:
                    progress.advance("reading", 1, len(rels))
            return results
        with _pool(cpus()) as pool:
            for chunk in pool.imap(_parse_chunk, list(_chunks(rels, PARSE_CHUNK))):
                results.extend(chunk)
                if each is not None:
                    for result in chunk:
                        each(result)
                if progress:
                    progress.advance("reading", len(chunk), len(rels))
        return results
    finally:
        _job.pop("parse", None)


_Done = list[tuple[tuple[str, str, int, bool], tuple[Any, ...] | None, tuple[bool, bool]]]


def _share(report: Callable[[int], None] | None = None) -> _Done:
    """Make chunks until none are left; the chunks are shared out through one counter, so
    the parent process (which makes the streamed files first) and the workers finish
    together. report, if given, learns how many chunks have been taken so far."""
    chunks, counter = _job["chunks"], _job["counter"]
    done: _Done = []
    while True:
        with counter.get_lock():
            number = counter.value
            counter.value += 1
        if number >= len(chunks):
            return done
        done += _make_chunk(chunks[number])
        if report is not None:
            report(min(counter.value, len(chunks)))


def _make_chunk(numbers: Sequence[int]) -> _Done:
    renderer, items, tmp, output, previous, changed_only = _job["make"]
    made: set[str] = _job.setdefault("made", set())
    done = []
    for n in numbers:
        data, seen = _make(renderer, items[n])
        placed = place(tmp, output, previous, items[n].path, data, made, changed_only)
        done.append((placed, _weigh(placed, data, renderer.base_path), seen))
    return done


def _make_in_memory(numbers: Sequence[int]) -> list[tuple[str, bytes, tuple[bool, bool]]]:
    """A chunk's outputs, sent back to the parent (a site built into memory)."""
    renderer, items = _job["make"][:2]
    return [(items[n].path, *_make(renderer, items[n])) for n in numbers]


def _make(renderer: Any, item: Any) -> tuple[bytes, tuple[bool, bool]]:
    """An output's bytes, and for a page what its render read (Renderer.render)."""
    if isinstance(item, File):
        return item.make(), (False, False)  # type: ignore[return-value]
    looked = [False, False]
    data = renderer.render(item, looked)
    return data, (looked[0], looked[1])


def _weigh(placed: tuple[str, str, int, bool], data: bytes, base_path: str) -> tuple[Any, ...] | None:
    """Measure a page for the theme's page-weight check here, in parallel, while its bytes are at hand."""
    rel, digest_, _size, _written = placed
    if not rel.endswith(".html") or rel.startswith(BUDGET_SKIP):
        return None
    return weigh(data, None, True, base_path, digest_)


def _note(path: str, seen: tuple[bool, bool], looked: set[str], untracked: set[str]) -> None:
    """Add path to looked and untracked as the page's render found (Renderer.render)."""
    if seen[0]:
        looked.add(path)
    if seen[1]:
        untracked.add(path)


def make_outputs(renderer: Any, items: list[Any], staging: Any, use_pool: bool, progress: Progress | None,
                 weights: dict[str, Any], looked: set[str], untracked: set[str]) -> None:
    """Make every item (a page's Route, or a File) into the staging folder.

    Streamed files are made by this process, written as they are made; the others over the
    pool, whose workers write the files themselves (use_pool), or here. weights receives
    the page-weight measurements (page_weight.page_weights memo entries); looked, the paths of
    the pages that looked at their issue's papers; untracked, of those that read what no page
    key covers (Renderer.render).
    """
    streamed = [item for item in items if isinstance(item, File) and item.streamed]
    # heavy files first, so that the longest jobs do not come last
    rest = sorted((item for item in items if not (isinstance(item, File) and item.streamed)),
                  key=lambda item: not (isinstance(item, File) and item.heavy))
    if not use_pool:
        for item in streamed:
            staging.put_chunks(item.path, cast(Pieces, item.make()))
        for item in rest:
            data, seen = _make(renderer, item)
            staging.put(item.path, data)
            _note(item.path, seen, looked, untracked)
            if progress:
                progress.advance("writing", 1, len(rest))
        return
    for template in sorted({item.template for item in rest if not isinstance(item, File)}):
        # compile every template and partial once, here, so that each worker inherits them
        renderer.render(next(item for item in rest if not isinstance(item, File) and item.template == template))
    heavy = sum(1 for item in rest if isinstance(item, File) and item.heavy)
    groups: dict[str, list[int]] = {}
    plain: list[int] = []
    for n in range(heavy, len(rest)):
        item = rest[n]
        if isinstance(item, File) and item.group:
            groups.setdefault(item.group, []).append(n)
        else:
            plain.append(n)
    # a heavy file is a chunk of its own, and so is a group of files; pages and small files
    # go in chunks of RENDER_CHUNK
    chunks = [[n] for n in range(heavy)] + list(groups.values()) + list(_chunks(plain, RENDER_CHUNK))
    if isinstance(staging, MemoryStaging):  # the workers send what they make
        _job["make"] = (renderer, rest)
        try:
            with _pool(cpus()) as pool:
                made = pool.imap_unordered(_make_in_memory, chunks)
                for item in streamed:
                    staging.put_chunks(item.path, cast(Pieces, item.make()))
                for done in made:
                    for path, data, seen in done:
                        staging.put(path, data)
                        _note(path, seen, looked, untracked)
                    if progress:
                        progress.advance("writing", len(done), len(rest))
        finally:
            _job.pop("make", None)
        return
    _job["make"] = (renderer, rest, staging.tmp, staging.output, staging.previous, staging.refresh)
    _job["made"] = set()
    _job["chunks"] = chunks
    _job["counter"] = multiprocessing.get_context("fork").Value("i", 0)
    try:
        # This process works too (the streamed files, then its share): one worker fewer than
        # cores, so the model is copied (page by page, as processes touch it) into fewer processes.
        with _pool(cpus() - 1) as pool:
            shares = [pool.apply_async(_share) for _ in range(cpus() - 1)]
            for item in streamed:
                staging.put_chunks(item.path, cast(Pieces, item.make()))
            shown = [0]

            def report(taken: int) -> None:
                made = min(taken * RENDER_CHUNK, len(rest))
                if progress:
                    progress.advance("writing", made - shown[0], len(rest))
                shown[0] = made

            results = [_share(report), *(share.get() for share in shares)]
    finally:
        for name in ("make", "made", "chunks", "counter"):
            _job.pop(name, None)
    for done in results:
        for (rel, digest_, size, written), weight, seen in done:
            staging.record(rel, digest_, size, written)
            if weight is not None:
                weights[rel] = weight
            _note(rel, seen, looked, untracked)
