"""Live preview: build with drafts and scheduled entries, serve on 127.0.0.1, rebuild on change.

Three parts, each small:
- Preview.rebuild() runs the normal build into memory (memory.py), with base_url set to this
  server, so every link works here; a failed build keeps the last good site and turns its
  problems into an 'error' event.
- A watchdog handler filters editor noise and feeds a debouncer, so a burst of changes (a git
  checkout) becomes one or two rebuilds (watch.py).
- An HTTP server (httpserve.py, bounded in time, connections and memory) answers with
  serve_handler.py: the files of the latest complete build, a tiny live-reload script added
  to HTML responses, and Server-Sent Events on /__digestgen/events.
"""

from __future__ import annotations

import gc
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections import ChainMap
from collections.abc import Callable, Mapping
from pathlib import Path

from digestgen.errors import ContentError, DigestgenError, Problem, UsageError, capped, printable
from digestgen.httpserve import HTTPServer
from digestgen.reuse import Reuse
from digestgen.serve_handler import Hub, PreviewHandler, wildcard
from digestgen.watch import Background, Debouncer, Watcher
from digestgen.words import plural

CACHE = ".digestgen-cache"
SHOWN_FIXED = 20  # "fixed" lines printed after a rebuild; the rest are counted


class SearchIndexer(Background):
    """Pagefind for the preview, in the background: a page reloads as soon as it is rebuilt,
    and the search bundle follows a moment later (Pagefind re-indexes every page, which takes
    about a second per thousand papers). The bundle is written beside the preview folder and
    put in place whole, under the build lock; one made while a newer build finished is thrown
    away and made again."""

    def __init__(self, preview: Preview):
        super().__init__("digestgen-search")
        self.preview = preview
        self.wanted = 0  # the version of the pages (Preview.pages) to index (0: none)
        self.done = 0  # the build whose pages the bundle in place comes from
        self.language = "en"
        self.fresh = preview.output.parent / f".{preview.output.name}-search-{os.getpid()}"
        self.process: subprocess.Popen[str] | None = None  # Pagefind, while it runs

    def stop(self) -> None:
        """Stop indexing: end Pagefind if it runs, wait for the thread, remove its unfinished bundle."""
        super().stop()
        with self.cond:
            if self.process is not None:
                self.process.kill()
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        shutil.rmtree(self.fresh, ignore_errors=True)

    def started(self, process: subprocess.Popen[str]) -> None:
        """Pagefind has started: remember it, so that stop() can end it (at once if stopping)."""
        with self.cond:
            self.process = process
            if self.stopped:
                process.kill()

    def request(self, build: int, language: str) -> None:
        with self.cond:
            self.wanted, self.language = build, language
            self.cond.notify_all()

    def has_bundle(self) -> bool:
        return (self.preview.search_folder() / "pagefind" / "pagefind.js").is_file()

    def idle(self) -> bool:
        with self.cond:
            return self.wanted == self.done

    def _loop(self) -> None:
        while True:
            with self.cond:
                self.cond.wait_for(lambda: self.stopped or self.wanted != self.done)
                if self.stopped:
                    return
                build, language = self.wanted, self.language
            try:
                self.index(build, language)
            except Exception as exc:  # noqa: BLE001 - search is optional in a preview; say why and go on
                if not self.stopped:
                    self.preview.log(f"search index not updated: {exc}")
            with self.cond:
                self.process = None
                if self.wanted == build:
                    self.done = build

    def index(self, build: int, language: str) -> None:
        from digestgen import search
        from digestgen.output import build_lock, exchange

        preview = self.preview
        files = preview.reuse.site  # (never the pages made early: the build may not make them so)
        if files is None:
            return
        fresh, pages = self.fresh, self.fresh.with_name(self.fresh.name + "-pages")
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(pages, ignore_errors=True)
        try:
            for name, data in files.items():  # Pagefind reads pages from a folder
                if name.endswith(".html"):
                    (pages / name).parent.mkdir(parents=True, exist_ok=True)
                    (pages / name).write_bytes(data)
            search.run(pages, language, fresh, background=True, started=self.started)
            with build_lock(preview.output):
                if preview.pages != build or self.wanted != build:
                    return  # pages changed while Pagefind read them: the next round indexes them
                target = preview.search_folder() / search.BUNDLE
                target.parent.mkdir(parents=True, exist_ok=True)
                if not target.is_dir():
                    os.replace(fresh, target)
                elif exchange(fresh, target):
                    pass  # fresh now holds the old bundle, removed below
                else:
                    shutil.rmtree(target)
                    os.replace(fresh, target)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
            shutil.rmtree(pages, ignore_errors=True)


def describe(exc: BaseException, root: Path) -> list[str]:
    """Lines 'path:line:col: field: message' for a failed build, whatever failed."""
    if isinstance(exc, ContentError):  # errors only: warnings alone never fail a build
        return [p.format() for p in capped(p for p in exc.problems if p.severity == "error")] or [printable(str(exc))]
    if isinstance(exc, DigestgenError):
        return [printable(line) for line in str(exc).splitlines()]
    import jinja2

    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = _rel(exc.filename or exc.name or "template", root)
        return [printable(f"{where}:{exc.lineno}:1: template: {exc.message}")]
    if isinstance(exc, jinja2.TemplateError):
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith((".html", ".xml", ".txt", ".j2")):
                return [printable(f"{_rel(frame.filename, root)}:{frame.lineno}:1: template: {exc}")]
        return [printable(f"template: {exc}")]
    return [printable(f"(build):1:1: {type(exc).__name__}: {exc}")]


def _rel(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return Path(path).name


class Preview:
    """One preview session: builds, the folder being served, the event hub."""

    def __init__(self, root: Path, bind: str = "127.0.0.1", port: int = 8000, settle: float = 0.1,
                 log: Callable[[str], None] | None = None, header_timeout: float = 10.0, max_connections: int = 512):
        self.root = root.resolve()
        if not (self.root / "site.yaml").is_file():
            raise UsageError(f"no site.yaml in {self.root.name}; run 'digestgen serve' in a site folder")
        self.bind = bind
        self.output = self.root / CACHE / "serve"
        self.hub = Hub()
        self.log = log or (lambda message: print(printable(message), file=sys.stderr, flush=True))
        self.builds = 0  # finished attempts, good or bad
        self.file_count = 0  # files in the last good build
        self.pages = 0  # counts the good builds that changed the preview folder
        try:
            self.server = HTTPServer(bind, port, PreviewHandler(self), header_timeout=header_timeout,
                                     max_connections=max_connections)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {bind}:{port} ({exc.strerror}); try another --port, or --port 0"
            ) from None
        self.port = self.server.port
        host = f"[{bind}]" if ":" in bind else bind
        if wildcard(bind):
            host = "127.0.0.1"
        self.url = f"http://{host}:{self.port}/"
        self.allowed_hosts = {f"[{bind}]" if ":" in bind else bind, "localhost", "127.0.0.1", "[::1]"}
        self.debouncer = Debouncer(self.rebuild, settle=settle)
        self.indexer = SearchIndexer(self)
        self.watcher = Watcher(self.root, [self.output, self.root / CACHE, self.root / "public"], self.debouncer.notify)
        self.shown: dict[str, None] = {}  # the warnings printed and not yet fixed, in order
        self.reuse = Reuse(self.root, long_lived=True)  # rebuilds make again only what changed
        self.early_files: Mapping[str, bytes] | None = None  # the last site with the early pages (early.py)

    def rebuild(self, changed: list[str] | None = None) -> bool:
        """Build into the preview folder; publish 'reload' or 'error'. Never raises."""
        return self._build_and_publish(changed)

    def _build_and_publish(self, changed: list[str] | None) -> bool:
        from digestgen.build import build
        from digestgen.config import BuildOptions

        options = BuildOptions(output=self.output, drafts=True, future=True, base_url=self.url, serve=True)
        started = time.perf_counter()
        early = self.early_build(changed) if changed else {}
        try:
            result = build(self.root, options, reuse=self.reuse)
        except Exception as exc:  # noqa: BLE001 - a preview survives anything a source file can do
            self.early_files = None
            lines = describe(exc, self.root)
            if not isinstance(exc, DigestgenError):
                traceback.print_exc(file=sys.stderr)
            printed = list(lines)
            if isinstance(exc, ContentError):  # a failed build stops early: its warnings are only some of them
                printed += self.changed_warnings(capped(p for p in exc.problems if p.severity != "error"), partial=True)
            for line in printed:
                self.log(line)
            count = sum(p.severity == "error" for p in exc.problems) if isinstance(exc, ContentError) else len(lines)
            self.log(f"build failed ({count} problem{'s' * (count != 1)}); still serving the last good site")
            self.builds += 1
            self.hub.publish(self.hub.build + bool(early), lines)  # (a new number: early pages are gone)
            return False
        what = f" after {changed[0]}" + (f" and {len(changed) - 1} more" if len(changed) > 1 else "") if changed else ""
        stats = result.stats
        self.log(
            f"built{what} in {time.perf_counter() - started:.2f} s: {plural(result.counts.get('papers', 0), 'paper')}, "
            f"{stats.written} file{'s' * (stats.written != 1)} changed"
        )
        for line in self.changed_warnings(capped(result.warnings)):
            self.log(line)
        self.builds += 1
        # a save that changed no output (same bytes, a no-op edit) needs no reload, unless errors must clear
        changed_output = bool(stats.written or stats.files != self.file_count)
        site = self.reuse.site or {}
        self.early_files = None
        if changed_output or self.hub.errors or self.hub.build == 0 or early:
            settled = frozenset(name for name, data in early.items() if site.get(name) == data)
            self.hub.publish(self.hub.build + 1, [], settled=settled)
        self.file_count = stats.files
        if changed_output:
            self.pages += 1
        if result.counts.get("papers") and (changed_output or not self.indexer.has_bundle()):
            language = self.search_language()
            if language:
                self.indexer.request(self.pages, language)
        return True

    def early_build(self, changed: list[str]) -> dict[str, bytes]:
        """Serve the pages on screen that changed, made before the whole site is built again
        (see early.py), and reload the browsers that show them; the pages made."""
        if self.hub.errors or self.reuse.site is None:
            return {}  # (the page would hide what still fails)
        from digestgen.early import early_pages

        started = time.perf_counter()
        site = self.reuse.site
        try:
            made = early_pages(self.reuse, changed, self.hub.viewed())
        except Exception:  # noqa: BLE001 - the build that follows reports what fails
            return {}
        made = {name: data for name, data in made.items() if site.get(name) != data}
        if made:
            self.early_files = ChainMap(made, site)
            self.hub.publish(self.hub.build + 1, [], early=frozenset(made))
            self.log(f"showed {plural(len(made), 'page')} in {time.perf_counter() - started:.2f} s; building the rest")
        return made

    def changed_warnings(self, warnings: list[Problem], partial: bool = False) -> list[str]:
        """Lines for the warnings not shown before, and one for each shown one that went away
        (not after a partial build, which may simply not have got that far)."""
        current = dict.fromkeys(warning.format() for warning in warnings)
        lines = [line for line in current if line not in self.shown]
        if not partial:
            fixed = [line.replace(": warning: ", ": ", 1) for line in self.shown if line not in current]
            lines += [f"fixed: {line}" for line in fixed[:SHOWN_FIXED]]
            if len(fixed) > SHOWN_FIXED:
                lines.append(f"fixed: {len(fixed) - SHOWN_FIXED} more warnings")
            self.shown = current
        else:
            self.shown.update(dict.fromkeys(lines))
        return lines

    def search_language(self) -> str | None:
        """The site's language when it has search on, else None."""
        from digestgen.config import load_config

        try:
            fields = load_config(self.root).fields
        except Exception:  # noqa: BLE001 - site.yaml was fine a moment ago; no search this time
            return None
        return fields.language if fields.search else None

    def start(self) -> None:
        """First build, then watch and serve in background threads."""
        sweep_search_folders(self.output)
        self.rebuild()  # before any thread starts: this one build may use worker processes
        self.indexer.thread.start()
        self.watcher.start()
        self.debouncer.thread.start()
        self.server.start()

    def stop(self) -> None:
        self.hub.close()
        self.indexer.stop()
        self.debouncer.stop()
        self.watcher.stop()
        self.server.stop()

    def files(self) -> Mapping[str, bytes] | None:
        """The files of the latest good build (None before the first), by site path, with the
        pages made early for the build under way."""
        early = self.early_files
        return early if early is not None else self.reuse.site

    def search_folder(self) -> Path:
        """Where the preview's search bundle is (pagefind/, made in the background)."""
        return self.output.with_name(self.output.name + "-search")


def sweep_search_folders(output: Path) -> list[Path]:
    """Remove the unfinished search bundles of earlier sessions whose process has ended."""
    pattern = re.compile(rf"\.{re.escape(output.name)}-search-(\d+)(?:-pages)?")
    removed: list[Path] = []
    try:
        siblings = sorted(output.parent.iterdir())
    except OSError:
        return removed
    for path in siblings:
        match = pattern.fullmatch(path.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OverflowError:
        return False  # no process has such a number
    except PermissionError:
        return True  # another user's process
    return True


def is_loopback(bind: str) -> bool:
    if bind == "localhost":
        return True
    try:
        return ipaddress.ip_address(bind).is_loopback
    except ValueError:
        return False


def serve(root: Path, port: int = 8000, bind: str = "127.0.0.1", open_browser: bool = False) -> int:
    """Run a preview until Ctrl-C, SIGTERM or SIGHUP; clean up whatever it was doing."""
    if not is_loopback(bind):
        print(printable(f"warning: --bind {bind} makes the preview (drafts included) reachable from other machines; "
                        "it is meant for your own computer"), file=sys.stderr)
    preview = Preview(root, bind, port)
    stopping = threading.Event()
    starting = True

    def on_signal(signum: int, frame: object) -> None:
        stopping.set()  # seen after start() even if the exception below is lost (raised in a finaliser)
        if starting:
            raise KeyboardInterrupt  # cut the first build short

    before = {name: signal.signal(getattr(signal, name), on_signal) for name in STOP_SIGNALS}
    collecting = gc.isenabled()
    try:
        # No collection during a build: it would walk what the builds before left, again and
        # again (0.6 to 1 s of a 10,000-paper rebuild). Each rebuild's cycles are collected
        # once the preview has been quiet for a second, after the browser has reloaded.
        gc.disable()
        preview.debouncer.on_quiet = gc.collect
        preview.start()
        # What the first build loaded (every paper, the kept results) lives until the end: out
        # of the collector's sight, the collections after rebuilds do not walk it again.
        # Objects freed later are still freed; only cycles among them are not.
        gc.collect()
        gc.freeze()
        starting = False
        if not stopping.is_set():
            print(printable(f"serving {preview.root.name} at {preview.url} (drafts and scheduled papers shown); "
                            "Ctrl-C stops"), flush=True)
            if open_browser:
                import webbrowser

                webbrowser.open(preview.url)
        while not stopping.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if collecting:
            gc.enable()
        for name in STOP_SIGNALS:  # a second Ctrl-C must not cut the clean-up short
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        preview.stop()
        for name, handler in before.items():
            signal.signal(getattr(signal, name), handler)
    print("stopped", file=sys.stderr)
    return 0


STOP_SIGNALS = [name for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)]
