"""Work spread over the machine's cores: parsing papers and rendering pages in forked processes,
and (aside) one piece of work done by a second process while this one goes on.

Workers are forked after the parent has set up what they need (the site model, the renderer
with its compiled templates, the staging folder), so nothing large is sent to them: a task is
a list of file names or route numbers, and a result is small (a parsed record, or the name,
hash and size of a file the worker wrote). Output does not depend on which worker did what.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import multiprocessing
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from digestgen import collector
from digestgen.content import parse_paper
from digestgen.output import place
from digestgen.progress import Progress
from digestgen.render import BUDGET_SKIP, weigh

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


@contextlib.contextmanager
def _pool(size: int) -> Iterator[Any]:
    """A pool of forked workers; the collector keeps off the parent's objects meanwhile (it
    would touch, and so copy, every one of them in every worker)."""
    with collector.held(collect=True), multiprocessing.get_context("fork").Pool(size) as pool:
        yield pool


class Aside:
    """Some work running in a forked process (see aside)."""

    def __init__(self, pid: int, pipe: int):
        self.pid, self.pipe = pid, pipe

    def join(self) -> Any:
        """The work's result, or its exception raised here."""
        with open(self.pipe, "rb") as pipe:
            data = pipe.read()
        os.waitpid(self.pid, 0)
        if not data:
            raise RuntimeError("a worker process ended without a result (killed, or out of memory?)")
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the work and forget it (when this process fails first)."""
        with contextlib.suppress(OSError):
            os.kill(self.pid, 9)
        with contextlib.suppress(OSError):
            os.close(self.pipe)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def aside(work: Callable[[], Any]) -> Aside:
    """Run work() in a forked process while this one goes on; Aside.join() gives its result.

    The result (or the exception) comes back pickled, so it should be small; like the pools'
    workers, the process inherits everything set up so far instead of being sent it.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return Aside(pid, read)
    try:  # the forked process: it never returns into the caller's code
        os.close(read)
        gc.disable()  # it ends soon; collecting would only copy the parent's pages
        try:
            payload: tuple[bool, Any] = (True, work())
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            payload = (False, exc)
        try:
            data = pickle.dumps(payload, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result or error
            data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        with open(write, "wb") as pipe:
            pipe.write(data)
    finally:
        os._exit(0)


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


def _render_share(report: Callable[[int], None] | None = None) -> _Done:
    """Render chunks until none are left; the chunks are shared out through one counter, so
    the parent process (which builds feeds first) and the workers finish together. report,
    if given, learns how many chunks have been taken so far, after each chunk."""
    chunks, counter = _job["chunks"], _job["counter"]
    done: _Done = []
    while True:
        with counter.get_lock():
            number = counter.value
            counter.value += 1
        if number >= len(chunks):
            return done
        done += _render_chunk(chunks[number])
        if report is not None:
            report(min(counter.value, len(chunks)))


def _render_chunk(numbers: Sequence[int]) -> _Done:
    renderer, routes, tmp, output, previous, patch = _job["render"]
    made: set[str] = _job.setdefault("made", set())
    done = []
    for n in numbers:
        looked = [False, False]
        data = renderer.render(routes[n], looked)
        placed = place(tmp, output, previous, routes[n].path, data, made, patch)
        done.append((placed, _weigh(placed, data, renderer.base_path), (looked[0], looked[1])))
    return done


def _weigh(placed: tuple[str, str, int, bool], data: bytes, base_path: str) -> tuple[Any, ...] | None:
    """Measure a page for the theme's page-weight check here, in parallel, while its bytes are at hand."""
    rel, digest_, _size, _written = placed
    if not rel.endswith(".html") or rel.startswith(BUDGET_SKIP):
        return None
    return weigh(data, None, True, base_path, digest_)


def _note(path: str, seen: tuple[bool, bool], looked: set[str] | None, untracked: set[str] | None) -> None:
    """Add path to looked and untracked as the page's render found (Renderer.render)."""
    if seen[0] and looked is not None:
        looked.add(path)
    if seen[1] and untracked is not None:
        untracked.add(path)


def render_pages(renderer: Any, routes: list[Any], numbers: list[int], staging: Any, use_pool: bool,
                 progress: Progress | None, meanwhile: Callable[[], None] | None = None,
                 weights: dict[str, Any] | None = None, looked: set[str] | None = None,
                 untracked: set[str] | None = None) -> None:
    """Render routes[n] for every n into the staging folder (workers write the files).

    meanwhile, if given, runs in this process while the workers render (or after, without them).
    weights receives the workers' page-weight measurements (render.page_weights memo entries);
    looked, the paths of the pages that looked at their issue's papers; untracked, of those
    that read what no page key covers (Renderer.render).
    """
    _job["render"] = (renderer, routes, staging.tmp, staging.output, staging.previous, staging.patch)
    _job["made"] = set()
    try:
        if not use_pool:
            for n in numbers:
                seen = [False, False]
                staging.put(routes[n].path, renderer.render(routes[n], seen))
                _note(routes[n].path, (seen[0], seen[1]), looked, untracked)
                if progress:
                    progress.advance("rendering", 1, len(numbers))
            if meanwhile is not None:
                meanwhile()
            return
        for template in sorted({routes[n].template for n in numbers}):
            # compile every template and partial once, here, so that each worker inherits them
            renderer.render(next(routes[n] for n in numbers if routes[n].template == template))
        # This process works too (meanwhile, then pages): one worker fewer than cores, so the
        # model is copied (page by page, as processes touch it) into fewer processes.
        _job["chunks"] = list(_chunks(numbers, RENDER_CHUNK))
        _job["counter"] = multiprocessing.get_context("fork").Value("i", 0)
        with _pool(cpus() - 1) as pool:
            shares = [pool.apply_async(_render_share) for _ in range(cpus() - 1)]
            if meanwhile is not None:
                meanwhile()
            shown = [0]

            def report(taken: int) -> None:
                pages = min(taken * RENDER_CHUNK, len(numbers))
                if progress:
                    progress.advance("rendering", pages - shown[0], len(numbers))
                shown[0] = pages

            results = [_render_share(report), *(share.get() for share in shares)]
        for done in results:
            for (rel, digest_, size, written), weight, seen in done:
                staging.record(rel, digest_, size, written)
                if weight is not None and weights is not None:
                    weights[rel] = weight
                _note(rel, seen, looked, untracked)
    finally:
        for name in ("render", "made", "chunks", "counter"):
            _job.pop(name, None)

