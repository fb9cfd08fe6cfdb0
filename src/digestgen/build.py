"""Run the stages in order: config -> content -> model -> rendered files -> output."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from digestgen import __version__, collector, memo, workers
from digestgen.cache import (
    BuildState,
    Cache,
    CacheChanged,
    Entry,
    StatKey,
    code_fingerprint,
    content_hash,
    hexhash,
    joined_hash,
    published_stat,
    settled,
    stat_key,
    theme_fingerprint,
    tree_stats,
    warn,
)
from digestgen.changes import BUILD_ATTEMPTS, WATCHED, Snapshot, SourcesChanged, stat_of
from digestgen.config import BuildOptions, SiteConfig, load_config
from digestgen.content import (
    Page,
    Paper,
    Tag,
    Unfinished,
    discover,
    fold,
    parse_issue,
    parse_page,
    parse_tags,
)
from digestgen.errors import ContentError, Problem
from digestgen.exports import Chunks, PriorLines
from digestgen.output import (
    OutputError,
    SpareUnusable,
    Staging,
    WriteStats,
    build_lock,
    check_output,
    manifest_hash,
    published_state,
    safe_relpath,
)
from digestgen.progress import Progress
from digestgen.publish import next_issue_line
from digestgen.site import Issue, SiteModel, TagInfo, build_model, carry_over, same_items
from digestgen.words import plural
from digestgen.yamlio import HAVE_LIBYAML, MAX_FILE_BYTES, read_bounded


class BuildResult:
    """What a build did; the model is loaded on first use when the build found nothing to do."""

    def __init__(self, model: SiteModel | None, warnings: list[Problem], stats: WriteStats | None = None,
                 seconds: float = 0.0, loader: Callable[[], SiteModel] | None = None,
                 counts: dict[str, int] | None = None, search_seconds: float | None = None,
                 next_issue: str | None = None):
        self._model = model
        self.next_issue = next_issue if next_issue is not None else next_issue_line(model) if model is not None else ""
        self._loader = loader
        self.warnings = warnings
        self.stats = stats or WriteStats()
        self.seconds = seconds
        self.search_seconds = search_seconds
        self.counts = counts or (_counts(model) if model is not None else {})

    @property
    def model(self) -> SiteModel:
        if self._model is None:
            assert self._loader is not None
            self._model = self._loader()
        return self._model

    def summary(self) -> str:
        c = self.counts
        return (f"built {plural(c['papers'], 'paper')} in {plural(c['issues'], 'issue')}, {plural(c['pages'], 'page')}, "
                f"{plural(c['tags'], 'tag')}: {plural(self.stats.files, 'file')} ({self.stats.written} written) "
                f"in {self.seconds:.2f} s")


def _counts(model: SiteModel) -> dict[str, int]:
    return {"papers": len(model.papers), "issues": len(model.issues), "pages": len(model.pages), "tags": len(model.tags)}


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
    parse_key = _parse_key(config)
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
        many = _pool_ok(config, len(todo), workers.PARSE_POOL_MIN)
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
    related = cache.related(parse_key) if cache is not None and cache.enabled else None
    had = list(related or ())
    model = build_model(config, papers, intros, pages, vocabulary, problems, frozenset(unreadable), related, unfinished)
    if cache is not None and related is not None and list(related) != had:
        cache.save_related(parse_key, related)
    if outputs and all(p.severity != "error" for p in problems):  # (else the model may be partial)
        from digestgen.layout import collisions, site_outputs
        from digestgen.render import Renderer

        problems += collisions(site_outputs(model, list(Renderer(model).routes())))
    return model, finish(problems, config.options.strict)


def _until(model: SiteModel) -> float:
    """When the next issue is published (POSIX seconds): the build's output is stale from then."""
    upcoming = model.next_issue
    return upcoming.publish_at.timestamp() if upcoming is not None and upcoming.publish_at is not None else 0.0


def _pool_ok(config: SiteConfig, jobs: int, minimum: int) -> bool:
    """Use worker processes only for big batches (see _fork_ok)."""
    return jobs >= minimum and _fork_ok(config)


def _fork_ok(config: SiteConfig) -> bool:
    """A second core, and a process without other threads (fork) that is not a preview server."""
    return (workers.cpus() > 1 and not config.options.serve and threading.active_count() == 1
            and os.environ.get("DIGESTGEN_WORKERS") != "1")


def _parse_key(config: SiteConfig) -> str:
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


def sitemap_urls(model: SiteModel, routes: Iterable[Any]) -> list[tuple[str, str | None]]:
    """(site path, lastmod) of every page for the sitemap, in route order: a paper's page was
    last changed on its date, an issue's on its newest paper's, the others on the newest."""
    days: dict[Any, str] = {}  # a few hundred distinct days for thousands of pages

    def day(date: Any) -> str:
        text = days.get(date)
        if text is None:
            text = days[date] = date.isoformat()
        return text

    default = model.updated.isoformat() if model.updated else None
    urls: list[tuple[str, str | None]] = []
    for route in routes:
        template = route.template
        if template == "paper.html":
            urls.append((route.url, day(route.context["paper"].date)))
        elif template == "issue.html":
            urls.append((route.url, day(max(p.date for p in route.context["issue"].papers))))
        elif route.path != "404.html":
            urls.append((route.url, default))
    return urls


def shared_extras(model: SiteModel, renderer: Any, sitemap_urls: list[tuple[str, str | None]],
                  keep: Callable[..., bool] | None = None) -> dict[str, bytes]:
    """The feeds, the sitemap, robots.txt and the BibTeX files (keep: see feeds.site_feeds and
    exports.site_exports; files it keeps are left out of the result)."""
    from digestgen import exports, feeds

    return {**feeds.all_feeds(model, renderer, keep), **exports.site_exports(model, renderer, sitemap_urls, keep)}


def static_files(cfg: SiteConfig, made: Iterable[str]) -> dict[str, bytes]:
    """Theme assets under assets/ (site theme over default), then static/ as-is; none may take
    the name of a file made (made: every other file of the build)."""
    from digestgen.layout import static_names

    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    folded = {fold(name): name for name in made}
    for name, file, source in static_names(cfg.root, cfg.fields.theme):
        if source is not None:
            try:
                name = safe_relpath(name)
            except ValueError:
                problems.append(Problem(source, 1, 1, "(file)", "has a name that cannot be published"))
                continue
            clash = folded.get(fold(name))
            if clash is not None:
                problems.append(Problem(source, 1, 1, "(file)", f"would replace the generated /{clash}; rename it"))
                continue
        files[name] = file.read_bytes()
        folded[fold(name)] = name
    if problems:
        raise ContentError(problems)
    return files


def build(root: Path, options: BuildOptions | None = None, config: SiteConfig | None = None,
          use_cache: bool = True) -> BuildResult:
    """Build the site at root into its output folder; raise DigestgenError on any problem.

    With the cache (<site>/.digestgen-cache/, safe to delete), a build whose inputs did not
    change since the last build into the same folder does nothing, unchanged papers are not
    parsed again, and pages whose inputs did not change are linked from the previous output
    instead of being rendered.
    """
    verify_texts = False
    for attempt in range(1, BUILD_ATTEMPTS + 1):
        try:
            return _build(root, options, config, use_cache, verify_texts)
        except SpareUnusable:  # removed by now: the next build writes a whole new folder
            continue
        except CacheChanged:  # nothing was published; next time a damaged cache file is ignored
            verify_texts = True
        except SourcesChanged as exc:  # nothing was published: build what the sources are now
            if attempt == BUILD_ATTEMPTS:
                raise SourcesChanged(exc.paths, attempt) from None
            warn(f"{', '.join(exc.paths[:5])} changed while the site was built; building again")
    return _build(root, options, config, use_cache, verify_texts)  # the last try says what fails


def _build(root: Path, options: BuildOptions | None = None, config: SiteConfig | None = None,
           use_cache: bool = True, verify_texts: bool = False) -> BuildResult:
    started = time.perf_counter()
    if not HAVE_LIBYAML:
        warn("PyYAML was installed without libyaml, so reading entries is several times slower; "
             "reinstall it from a wheel: pip install --force-reinstall --no-cache-dir pyyaml")
    site_yaml = stat_of(root / "site.yaml")  # before it is read: a change from here on is seen
    config = config or load_config(root, options)
    check_output(config.output, config.root)
    # Every source is read under the lock: a build that waited for another reads what that
    # one left (its state and output) and what the sources are by then.
    with build_lock(config.output):
        return _build_locked(config, use_cache, verify_texts, started, site_yaml)


def _build_locked(config: SiteConfig, use_cache: bool, verify_texts: bool, started: float,
                  site_yaml: StatKey) -> BuildResult:
    check_output(config.output, config.root)
    cache = Cache(config.root, enabled=use_cache, verify_texts=verify_texts)
    progress = Progress()
    render_key = _render_key(config)
    looked = time.time_ns()
    with collector.paused():  # what a build loads makes no cyclic garbage (collector.py)
        fingerprint, newest, file_stats = _fingerprint(config, render_key) if cache.enabled else ("", 0, None)
        state = cache.state(config.output) if cache.enabled else BuildState()
    if (cache.enabled and state.fingerprint == fingerprint and settled((0, newest, newest, 0), state.looked_ns)
            and not 0 < state.until <= config.now.timestamp()  # no issue was published since
            and state.manifest and manifest_hash(config.output) == state.manifest):
        stats = WriteStats(files=state.summary.get("files", 0), bytes=state.summary.get("bytes", 0),
                           unchanged=state.summary.get("files", 0))
        return BuildResult(None, state.warnings, stats, time.perf_counter() - started,
                           loader=lambda: load_site(config, cache)[0], counts=state.summary, next_issue=state.next_issue)
    from digestgen.render import Renderer

    # what the sources are now, to notice any that change before the site is published
    sources = Snapshot(config.root, looked, {**dict(file_stats or tree_stats(config.root, WATCHED)), "site.yaml": site_yaml})

    hashes: dict[str, str] = {}
    search_time: list[float] = []
    held = False
    staging: Staging | None = None
    try:
        with collector.paused():
            model, warnings = load_site(config, cache, progress, hashes,
                                        (looked, dict(file_stats)) if file_stats is not None else None)
            if memo.keeping():
                model = carry_over(model, _MODELS.peek(config.output))
                _MODELS.put(config.output, model)
            renderer = Renderer(model)
            routes = list(renderer.routes())
            refuse_collisions(model, routes, warnings)
        if not memo.keeping():  # all of it lives until the end (a long process: see serve.py)
            collector.hold()
            held = True
        trusted = bool(state.manifest) and manifest_hash(config.output) == state.manifest
        last = state if trusted else BuildState()  # what the output folder was made from, if known
        # serve indexes its preview in the background, after the page has reloaded (serve.py)
        search_hook = None if config.options.serve else _search_hook(model)
        # A published folder is never modified in place: a complete folder (new, or the spare
        # brought up to date) is swapped in, so that it stays intact whatever happens. Only
        # serve's private preview folder is patched in place (see Staging), which keeps an edit
        # visible in a fraction of the time; its server waits out a patch in progress.
        patch = config.options.serve and last.patchable and search_hook is None
        keep_spare = cache.enabled and not config.options.serve
        staging = Staging(config.output, patch=patch, spare=last.spare, keep_spare=keep_spare)
        extras = _Extras(model, renderer, routes, staging, last, hashes, render_key)
        try:
            weights = last.weights
            page_keys, shallow = _render_pages(model, renderer, routes, staging, last.pages, hashes, render_key,
                                               progress, extras.add, weights, last.shallow, extras.start)
            extras.finish()
        except BaseException:
            extras.cancel()
            staging.abort()
            raise
        page_keys.update(extras.keys)
        extras.remember()
        stats = staging.commit(_budget_checked(_timed(search_hook, search_time, progress), warnings, config, weights,
                                               staging.manifest, sources))
        manifest = staging.manifest_hash
    except OSError as exc:  # a full disk, a read-only folder: say what it means for the site
        raise OutputError(exc, config.output, staging is not None and staging.published) from None
    except KeyboardInterrupt:
        raise KeyboardInterrupt(published_state(staging is not None and staging.published)) from None
    finally:
        progress.done()
        if held:
            collector.release()
    for note in staging.notes:
        warn(note)
    result = BuildResult(model, warnings, stats, time.perf_counter() - started,
                         search_seconds=search_time[0] if search_time else None)
    if cache.enabled:
        summary = {**result.counts, "files": stats.files, "bytes": stats.bytes}
        cache.save_state(config.output, BuildState(fingerprint, looked, manifest, warnings, summary, page_keys,
                                                   patchable=search_hook is None, weights=weights,
                                                   shallow=frozenset(shallow), spare=staging.spare_hash,
                                                   lines=extras.lines_state(), until=_until(model),
                                                   next_issue=result.next_issue))
    return result


# The last model built into an output folder, in a long process (see site.carry_over).
_MODELS: memo.Memo[SiteModel] = memo.Memo(limit=4)
# The papers, key and other values of each file made of papers alone (BibTeX, tag feeds), likewise.
_EXPORTS: memo.Memo[tuple[str, dict[str, tuple[list[Paper], str, tuple[object, ...]]]]] = memo.Memo(limit=4)


class _Extras:
    """Feeds, exports and static files of one build, made while the workers render pages (or,
    after an edit, partly by a second process: start and finish).

    A BibTeX file or a tag's feed made of unchanged papers is kept from the last build (by the
    content hashes of its papers, or in a long process by their identity); papers.json and
    llms.txt copy the lines of unchanged papers from the published files (exports.PriorLines).
    """

    def __init__(self, model: SiteModel, renderer: Any, routes: list[Any], staging: Staging, last: BuildState,
                 hashes: dict[str, str], render_key: str):
        self.model, self.renderer, self.routes, self.staging = model, renderer, routes, staging
        self.previous = last.pages
        self.hashes, self.render_key = hashes, render_key
        self.keys: dict[str, str] = {}  # input key of each file made of papers alone
        remembered = _EXPORTS.peek(staging.output)
        self.before = remembered[1] if remembered is not None and remembered[0] == render_key else {}
        self.made: dict[str, tuple[list[Paper], str, tuple[object, ...]]] = {}
        # a long process keeps the lines themselves (memo.py), and its next build is its own
        self.lines = None if memo.keeping() else PriorLines(hashes)
        for path, (recorded, made_for, index, stat) in last.lines.items():
            if self.lines is not None and made_for == render_key and staging.previous.get(path) == recorded:
                self.lines.load(staging.output, path, recorded, index, stat)
        self.aside: workers.Aside | None = None

    def add(self) -> None:
        """Every file but the static ones, in this process (while workers render pages)."""
        self._put(self._shared())
        self._put(self._papers())

    def start(self) -> None:
        """Make the feeds, sitemap and BibTeX files in a forked process, from now until finish()."""
        self.aside = workers.aside(self._shared_aside)

    def _shared_aside(self) -> tuple[dict[str, str], WriteStats, dict[str, str]]:
        self.staging.manifest, self.staging.stats = {}, WriteStats()  # this process's own copy
        self._put(self._shared())
        return self.staging.manifest, self.staging.stats, self.keys

    def finish(self) -> None:
        """papers.json and llms.txt made here while the forked process (see start) ends its
        share, then what it made is taken; last, the static files, checked against every name
        made."""
        if self.aside is not None:
            self._put(self._papers())
            manifest, stats, keys = self.aside.join()
            self.aside = None
            self.staging.absorb(manifest, stats)
            self.keys.update(keys)
        self._put(static_files(self.model.config, self.staging.manifest))

    def _shared(self) -> dict[str, bytes]:
        return shared_extras(self.model, self.renderer, sitemap_urls(self.model, self.routes), self.keep)

    def _papers(self) -> dict[str, Chunks]:
        from digestgen import exports

        return exports.line_exports(self.model, self.renderer, self.lines)

    def _put(self, files: dict[str, bytes] | dict[str, Chunks]) -> None:
        for name in sorted(files):
            data = files[name]
            if isinstance(data, Chunks):
                self.staging.put_chunks(name, data.make())
            else:
                self.staging.put(name, data, again=True)

    def cancel(self) -> None:
        if self.aside is not None:
            self.aside.cancel()
            self.aside = None

    def keep(self, path: str, papers: list[Paper], *more: object) -> bool:
        """Keep a file made of these papers (and the plain values more) alone, such as a BibTeX
        file or a tag's feed, when none of them changed."""
        prior = self.before.get(path)
        if prior is not None and same_items(prior[0], papers) and prior[2] == more:
            key = prior[1]  # the very records of the last build (a long process)
        else:
            hashes = self.hashes
            parts = [self.render_key, path, *[hashes.get(p.source) or hexhash(p) for p in papers], repr(more)]
            key = joined_hash(parts)
        self.keys[path] = key
        if memo.keeping():
            self.made[path] = (papers, key, more)
        return self.previous.get(path) == key and self.staging.reuse(path)

    def remember(self) -> None:
        """In a long process, what the next build compares its BibTeX files with."""
        _EXPORTS.put(self.staging.output, (self.render_key, self.made))

    def lines_state(self) -> dict[str, tuple[str, str, list[tuple[str, int, int]], StatKey | None]]:
        """Where each paper's line went in papers.json and llms.txt, for the next build, with
        the published file's stat (taken once it is in place)."""
        made = self.lines.made if self.lines is not None else {}
        return {path: (self.staging.manifest[path], self.render_key, index, published_stat(self.staging.output / path))
                for path, index in made.items() if path in self.staging.manifest}


_PAPER_CONTEXT = {"paper", "related", "issue"}  # what Renderer.routes gives a paper's page
_TAG_CONTEXT = {"tag", "papers", "page", "pages", "prev_url", "next_url"}  # and a page of a tag

# Pages of these templates show one paper, issue or tag: they are rendered again only when
# what they show changed. Every other page (home, archive, tag index...) is always rendered.
KEYED_TEMPLATES = frozenset({"paper.html", "issue.html", "tag.html"})
# The key of a keyed page whose render read what its key does not cover (a site template that
# shows `model.papers`, say; see render.model_view): no key made from a context equals it, so
# the page is rendered at every build, also by the next build from the build state.
UNTRACKED = "untracked"


def _render_pages(model: SiteModel, renderer: Any, routes: list[Any], staging: Staging, previous: dict[str, str],
                  hashes: dict[str, str], render_key: str, progress: Progress,
                  meanwhile: Callable[[], None] | None = None, weights: dict[str, Any] | None = None,
                  shallow: frozenset[str] = frozenset(),
                  beside: Callable[[], None] | None = None) -> tuple[dict[str, str], set[str]]:
    """Render every page whose inputs changed into staging; link the others.

    meanwhile (the feeds and exports) runs while worker processes render, or after the pages
    without them; but when the pages are too few for workers (after an edit, when the feeds
    and exports take longer than the pages), beside() is called instead, and the caller makes
    them in a second process and this one (_Extras.start and finish).

    Returns the input key of every keyed page, and the paper pages that did not look at the
    other papers of their issue (shallow: in the last build): those are keyed by the issue's
    name and dates only, so editing one paper does not render every page of its issue again.
    """
    # what templates may read of every tag and issue without a mark (reads.model_view)
    site_key = hexhash(render_key, [(t.slug, t.name, t.description) for t in model.tags.values()],
                       [(i.key, i.title, i.status) for i in model.issues])
    keyer = _Keyer(hashes)

    def key_of(route: Any, shallow_: bool) -> str:
        if route.template == "paper.html" and route.context.keys() == _PAPER_CONTEXT:
            return keyer.paper_page(site_key, route, shallow_)  # most pages: the same, made faster
        if route.template == "tag.html" and route.context.keys() == _TAG_CONTEXT:
            return keyer.tag_page(site_key, route)  # the next most
        context = keyer.shallow(route.context) if shallow_ else keyer.of(route.context)
        return hexhash(site_key, route.path, route.template, route.url, shallow_, context)

    keys: dict[str, str] = {}
    now_shallow: set[str] = set()
    todo: list[int] = []
    last = _ROUTES.peek(staging.output)
    before = last[1] if last is not None and last[0] == site_key else {}
    for number, route in enumerate(routes):
        if route.template in KEYED_TEMPLATES:
            was_shallow = route.path in shallow
            prior = before.get(route.path)
            if prior is not None and prior[1] == was_shallow and _same_context(prior[0], route.context):
                key = keys[route.path] = prior[2]  # the very objects of the last build: unchanged
            else:
                key = keys[route.path] = key_of(route, was_shallow)
            if previous.get(route.path) == key and staging.reuse(route.path):
                if was_shallow:
                    now_shallow.add(route.path)
                continue
        todo.append(number)
    looked: set[str] = set()
    untracked: set[str] = set()
    use_pool = _pool_ok(model.config, len(todo), workers.RENDER_POOL_MIN)
    if beside is not None and meanwhile is not None and not use_pool and _fork_ok(model.config):
        beside()  # forked only now: this process keyed every page before sharing its memory
        meanwhile = None
    workers.render_pages(renderer, routes, todo, staging, use_pool, progress, meanwhile, weights, looked, untracked)
    for number in todo:  # key what was rendered by what it turned out to show
        route = routes[number]
        if route.path in untracked and route.path in keys:
            keys[route.path] = UNTRACKED  # what it read is not in its key: render it next time too
            continue
        if route.template != "paper.html" or (route.path in looked) == (route.path not in shallow):
            continue  # keyed as it should be
        if route.path in looked:
            keys[route.path] = key_of(route, False)
        else:
            keys[route.path] = key_of(route, True)
    now_shallow.update(routes[n].path for n in todo if routes[n].template == "paper.html" and routes[n].path not in looked)
    if memo.keeping():
        _ROUTES.put(staging.output, (site_key, {r.path: (r.context, r.path in now_shallow, keys[r.path])
                                                for r in routes if keys.get(r.path, UNTRACKED) != UNTRACKED}))
    return keys, now_shallow


# The context and key of every keyed page of the last build into an output folder, in a long
# process: a page whose context holds the very same objects (see site.carry_over) keeps its key.
_ROUTES: memo.Memo[tuple[str, dict[str, tuple[dict[str, Any], bool, str]]]] = memo.Memo(limit=4)


def _same_context(before: dict[str, Any], now: dict[str, Any]) -> bool:
    """The same values, compared by identity (lists item by item; plain values by equality)."""
    if before.keys() != now.keys():
        return False
    for name, value in now.items():
        old = before[name]
        if old is value:
            continue
        if type(old) is not type(value):
            return False
        if isinstance(value, list):
            if not same_items(old, value):
                return False
        elif not isinstance(value, (str, int)) or old != value:
            return False
    return True


class _Keyer:
    """A stable description of a page's context: content hashes of papers, not their objects."""

    def __init__(self, hashes: dict[str, str]):
        self.hashes = hashes
        self.memo: dict[int, object] = {}  # by id: papers, issues and tags of the model, alive all build long
        self.heads: dict[int, str] = {}

    def shallow(self, context: dict[str, Any]) -> object:
        """Like of(context), but the context's issue only by its name, dates and neighbours."""
        issue = context.get("issue")
        if not isinstance(issue, Issue):
            return self.of(context)
        return self.of({**context, "issue": self.head(issue)})

    def head(self, issue: Issue) -> str:
        head = self.heads.get(id(issue))
        if head is None:  # described once per issue: its intro can be long
            head = self.heads[id(issue)] = hexhash("issue-head", issue.key, issue.start, issue.end, issue.newer,
                                                   issue.older, issue.intro, issue.status)
        return head

    def paper_page(self, site_key: str, route: Any, shallow: bool) -> str:
        """The key of a paper's page (context: paper, related, issue), as _render_pages would
        make it from of() or shallow(), in a third of the time: one hash of joined strings."""
        context = route.context
        issue = context["issue"]
        memo = self.memo  # papers described already: no call for them
        parts = [site_key, route.path, route.url, "shallow" if shallow else "deep",
                 self.head(issue) if shallow else str(self.of(issue)), self.paper(context["paper"])]
        parts += [memo.get(id(paper)) or self.paper(paper) for paper in context["related"]]
        return joined_hash(parts)

    def tag_page(self, site_key: str, route: Any) -> str:
        """The key of a page of a tag's papers, made like paper_page's."""
        context = route.context
        memo = self.memo
        parts = [site_key, route.path, route.url, "tag", str(self.of(context["tag"])), str(context["page"]),
                 str(context["pages"]), context["prev_url"] or "-", context["next_url"] or "-"]
        parts += [memo.get(id(paper)) or self.paper(paper) for paper in context["papers"]]
        return joined_hash(parts)

    def paper(self, paper: Paper) -> str:
        known = self.memo.get(id(paper))
        if known is None:
            known = self.memo[id(paper)] = f"paper:{paper.id}:{self.hashes.get(paper.source) or hexhash(paper)}"
        return known  # type: ignore[return-value]

    def of(self, value: Any) -> object:
        if isinstance(value, Paper):
            return self.paper(value)
        if isinstance(value, (list, tuple)):  # mostly papers, described already: no call for them
            memo = self.memo
            return [memo.get(id(v)) or self.of(v) for v in value]
        if isinstance(value, dict):
            return [(k, self.of(v)) for k, v in sorted(value.items())]
        if isinstance(value, Issue):
            known = self.memo.get(id(value))
            if known is None:
                known = self.memo[id(value)] = hexhash("issue", value.key, value.start, value.end, value.newer,
                                                       value.older, value.intro, value.status, self.of(value.papers))
            return known
        if isinstance(value, TagInfo):
            known = self.memo.get(id(value))
            if known is None:  # a tag page shows its own slice (in the context) and the tag's size
                known = self.memo[id(value)] = joined_hash(
                    ["tag", value.slug, repr(value.name), repr(value.description), *(f"{p.id} {p.date}" for p in value.papers)])
            return known
        return value


def _render_key(config: SiteConfig) -> str:
    """Everything besides the content that every page depends on: settings, theme, version, today."""
    from digestgen.render import builtin_theme, theme_dirs

    folders = [config.root / "templates", *theme_dirs(config.root, config.fields.theme), builtin_theme()]
    return hexhash(_parse_key(config), theme_fingerprint(folders), config.base_url, config.options,
                   config.today, str(config.output), config.fields)


def _fingerprint(config: SiteConfig, render_key: str) -> tuple[str, int, list[tuple[str, StatKey]]]:
    """The state of every input file (by size, times and inode), to notice a build with nothing
    to do; the newest file time among them; and the file stats themselves."""
    stats = tree_stats(config.root, ["content", "static", "templates", "themes"])
    newest = max((max(st[1], st[2]) for _, st in stats), default=0)
    return hexhash(render_key, stats), newest, stats


def _timed(hook: Callable[[Path], None] | None, seconds: list[float], progress: Progress) -> Callable[[Path], None] | None:
    """Wrap the search hook to measure how long indexing takes."""
    if hook is None:
        return None

    def run(folder: Path) -> None:
        progress.stage("indexing for search")
        start = time.perf_counter()
        hook(folder)
        seconds.append(time.perf_counter() - start)

    return run


def _budget_checked(hook: Callable[[Path], None] | None, warnings: list[Problem], config: SiteConfig,
                    memo: dict[str, Any] | None = None, files: dict[str, str] | None = None,
                    sources: Snapshot | None = None) -> Callable[[Path], None]:
    """Warn about pages heavier than the theme's page-weight budget, then run hook; last, make
    sure no source changed since the build looked at them (sources)."""
    from digestgen.render import budget_warnings

    def run(folder: Path) -> None:
        # every page of this build (its manifest), without a walk
        warnings.extend(budget_warnings(folder, config.base_path, config.output.name, memo=memo, files=files))
        if hook is not None:
            hook(folder)
        if sources is not None:
            sources.check()

    return run


def _search_hook(model: SiteModel):  # type: ignore[no-untyped-def]
    """Index the finished folder for search before it is swapped in (see search.py)."""
    if not model.config.fields.search:
        return None
    try:
        from digestgen import search
    except ImportError:
        return None
    return lambda folder: search.index(folder, model)


def check(root: Path, options: BuildOptions | None = None) -> tuple[SiteModel, list[Problem]]:
    """Validate without writing anything."""
    return load_site(load_config(root, options), outputs=True)


def refuse_collisions(model: SiteModel, routes: list[Any], warnings: list[Problem]) -> None:
    """Raise ContentError, before anything is written, when an id, slug, key or static file
    would put an output where another goes (see layout.py)."""
    from digestgen.layout import collisions, site_outputs

    problems = collisions(site_outputs(model, routes))
    if problems:
        raise ContentError([*problems, *warnings])
