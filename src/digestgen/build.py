"""digestgen build: load, plan, write, under the output folder's lock.

1. load (load.py): read and validate every source into the site model; the parse cache gives
   back the papers whose files did not change.
2. plan (plan.py): every output of the site, each with a key and a way to make it.
3. write (write.py): make what changed into a staging folder beside the output, link the
   rest from the last build; then the folder is checked and swapped in whole (output.py).

What one build takes over from the last is one Reuse (reuse.py): the command line makes one
per build, `digestgen serve` keeps one alive.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen import before_swap, quick
from digestgen.options import BuildOptions
from digestgen.output import build_lock
from digestgen.quick import unchanged_build
from digestgen.result import BuildResult

if TYPE_CHECKING:
    from digestgen.cache import BuildState
    from digestgen.config import SiteConfig
    from digestgen.filestats import StatKey
    from digestgen.memory import MemoryStaging
    from digestgen.output import Staging
    from digestgen.reuse import Reuse
    from digestgen.site import SiteModel

__all__ = ["BuildResult", "build", "unchanged_build"]


def build(root: Path, options: BuildOptions | None = None, config: SiteConfig | None = None,
          use_cache: bool = True, reuse: Reuse | None = None, quick_check: bool = True) -> BuildResult:
    """Build the site at root into its output folder; raise DigestgenError on any problem.

    With the cache (safe to delete), a build whose inputs did not change since the last build
    into the same folder does nothing, unchanged papers are not parsed again, and outputs
    whose keys did not change are linked from the previous output instead of being made.
    reuse: what a long process keeps between its builds (see reuse.py). quick_check: first see
    whether the record of the last build says there is nothing to do (see quick.py; a caller
    that has just looked passes False).
    """
    if quick_check and use_cache and config is None and reuse is None:
        done = unchanged_build(root, options or BuildOptions())
        if done is not None:
            return done
    from digestgen.cache import warn
    from digestgen.cache_texts import CacheChanged
    from digestgen.changes import BUILD_ATTEMPTS, SourcesChanged
    from digestgen.output import SpareUnusable
    from digestgen.reuse import Reuse

    reuse = reuse or Reuse(root, enabled=use_cache)
    for attempt in range(1, BUILD_ATTEMPTS + 1):
        try:
            return _build(root, options, config, reuse)
        except SpareUnusable:  # removed by now: the next build writes a whole new folder
            continue
        except CacheChanged:  # nothing was published; next time a damaged cache file is ignored
            reuse.cache.verify_texts = True
        except SourcesChanged as exc:  # nothing was published: build what the sources are now
            if attempt == BUILD_ATTEMPTS:
                raise SourcesChanged(exc.paths, attempt) from None
            warn(f"{', '.join(exc.paths[:5])} changed while the site was built; building again")
    return _build(root, options, config, reuse)  # the last try says what fails


def _build(root: Path, options: BuildOptions | None, config: SiteConfig | None, reuse: Reuse) -> BuildResult:
    from digestgen.cache import warn
    from digestgen.changes import stat_of
    from digestgen.config import load_config
    from digestgen.output_paths import check_output
    from digestgen.yamlio import HAVE_LIBYAML

    started = time.perf_counter()
    if not HAVE_LIBYAML:
        warn("PyYAML was installed without libyaml, so reading entries is several times slower; "
             "reinstall it from a wheel: pip install --force-reinstall --no-cache-dir pyyaml")
    site_yaml = stat_of(root / "site.yaml")  # before it is read: a change from here on is seen
    stamped = config is None  # (a config given by the caller need not be site.yaml's: no record of it)
    config = config or load_config(root, options)
    check_output(config.output, config.root)
    # Every source is read under the lock: a build that waited for another reads what that
    # one left (its state and output) and what the sources are by then.
    with build_lock(config.output):
        check_output(config.output, config.root)
        return _build_locked(config, reuse, started, site_yaml, stamped)


def _build_locked(config: SiteConfig, reuse: Reuse, started: float, site_yaml: StatKey, stamped: bool) -> BuildResult:
    from digestgen.cache import BuildState, warn
    from digestgen.carry_over import carry_over
    from digestgen.changes import Snapshot
    from digestgen.errors import OutputError, published_state
    from digestgen.filestats import tree_stats
    from digestgen.load import load_site
    from digestgen.manifest import folder_mark, same_files
    from digestgen.memory import MemoryStaging
    from digestgen.output import Staging
    from digestgen.plan import fingerprint, plan, render_key_of
    from digestgen.prior_lines import prior_lines
    from digestgen.progress import Progress
    from digestgen.stamps import WATCHED
    from digestgen.write import write

    cache = reuse.cache
    render_key = render_key_of(config)
    looked = time.time_ns()
    inputs, newest, file_stats, sources_digest = fingerprint(config, render_key) if cache.enabled else ("", 0, None, "")
    # a preview is built into memory (memory.py): its last build is the Reuse's, not on disk
    in_memory = config.options.serve
    if in_memory:
        state = reuse.state if reuse.state is not None and reuse.site is not None else BuildState()
    else:
        state = cache.state(config.output) if cache.enabled else BuildState()
    stamped = stamped and cache.enabled and not in_memory
    if cache.enabled and _unchanged(config, state, inputs, newest, in_memory):
        if stamped:
            quick.record(config, looked, sources_digest, state)
        return BuildResult.unchanged(state.summary, state.warnings, time.perf_counter() - started,
                                     lambda: load_site(config, cache)[0], state.next_issue)
    from digestgen.render import Renderer

    # what the sources are now, to notice any that change before the site is published
    sources = Snapshot(
        config.root, looked, {**dict(file_stats or tree_stats(config.root, WATCHED)), "site.yaml": site_yaml}
    )
    progress = Progress()
    hashes: dict[str, str] = {}  # content hash of every paper file
    search_time: list[float] = []
    staging: Staging | MemoryStaging | None = None
    try:
        with reuse.active():
            model, warnings = load_site(config, cache, progress, hashes,
                                        (looked, dict(file_stats)) if file_stats is not None else None)
            if reuse.long_lived:
                model = reuse.model = carry_over(model, reuse.model)
            # the output the last build left (ours), or a copy of it (restored from a CI cache):
            # made from what the state says, but each of its files is checked before it is taken
            mark = "" if in_memory else folder_mark(config.output)
            ours = in_memory or (bool(state.manifest) and mark == state.manifest)
            last = state if ours or same_files(mark, state.manifest) else BuildState()
            # serve indexes its preview in the background, after the page has reloaded (serve.py)
            search_hook = None if in_memory else before_swap.search_hook(model)
            # A published folder is never modified in place: a complete folder (new, or the
            # spare brought up to date) is swapped in, so that it stays intact whatever happens.
            if in_memory:
                staging = MemoryStaging(reuse.site or {}, reuse.manifest if reuse.site else {}, reuse.publish)
            else:
                staging = Staging(config.output, spare=last.spare, keep_spare=cache.enabled, ours=ours)
            weights = last.weights
            try:
                prior = prior_lines(last, render_key, hashes, staging) if isinstance(staging, Staging) else None
                renderer = Renderer(model)
                outputs = plan(model, renderer, prior, warnings, last.paths)
                keys, shallow = write(
                    model, renderer, outputs, staging, last, reuse, hashes, render_key, progress, weights
                )
            except BaseException:
                staging.abort()
                raise
            check = before_swap.checked(before_swap.timed(search_hook, search_time, progress), warnings, config,
                                        weights, staging.manifest, sources)
            stats = staging.commit(check)
    except OSError as exc:  # a full disk, a read-only folder: say what it means for the site
        raise OutputError(exc, config.output, staging is not None and staging.published) from None
    except KeyboardInterrupt:
        raise KeyboardInterrupt(published_state(staging is not None and staging.published)) from None
    finally:
        progress.done()
    for note in staging.notes:
        warn(note)
    result = BuildResult(model, warnings, stats, time.perf_counter() - started,
                         search_seconds=search_time[0] if search_time else None)
    if cache.enabled:
        lines = prior.recorded(staging, render_key) if prior is not None and isinstance(staging, Staging) else {}
        summary = {**result.counts, "files": stats.files, "bytes": stats.bytes}
        made = BuildState(inputs, looked, staging.mark, warnings, summary, keys, weights=weights,
                          shallow=frozenset(shallow), spare=staging.spare_mark, lines=lines, until=_until(model),
                          next_issue=result.next_issue, paths=outputs.paths)
        if in_memory:
            reuse.state = made
        else:
            cache.save_state(config.output, made)
        if stamped:
            quick.record(config, looked, sources_digest, made)
    return result


def _unchanged(config: SiteConfig, state: BuildState, inputs: str, newest: int, in_memory: bool) -> bool:
    """Nothing to do: the same inputs as the last build, no issue published since, and the
    very output folder that build left (not a copy, whose files could hold anything)."""
    from digestgen.cache import settled
    from digestgen.manifest import folder_mark

    return (state.fingerprint == inputs and settled((0, newest, newest, 0), state.looked_ns)
            and not 0 < state.until <= config.now.timestamp()
            and (in_memory or (bool(state.manifest) and folder_mark(config.output) == state.manifest)))


def _until(model: SiteModel) -> float:
    """When the next issue is published (POSIX seconds): the build's output is stale from then."""
    upcoming = model.next_issue
    return upcoming.publish_at.timestamp() if upcoming is not None and upcoming.publish_at is not None else 0.0


