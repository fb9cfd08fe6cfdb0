"""Live preview: build with drafts and scheduled entries, serve on 127.0.0.1, rebuild on change.

Three parts, each small:
- Preview.rebuild() runs the normal build into a private folder (.digestgen-cache/serve/) with
  base_url set to this server, so every link works here; a failed build keeps the last good
  site and turns its problems into an 'error' event.
- A watchdog handler filters editor noise and feeds a debouncer, so a burst of changes (a git
  checkout) becomes one or two rebuilds.
- A stdlib ThreadingHTTPServer serves the folder of the latest complete build, adds a tiny
  live-reload script to HTML responses, and streams Server-Sent Events on /__digestgen/events.
"""

from __future__ import annotations

import gc
import html
import ipaddress
import json
import mimetypes
import os
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from digestgen import collector, memo
from digestgen.errors import ContentError, DigestgenError, UsageError, capped, printable

WATCHED = ("content", "static", "templates", "themes")
CACHE = ".digestgen-cache"
PREFIX = "/__digestgen/"
NOISE_SUFFIXES = (".swp", ".swo", ".swx", ".swpx", "~", ".tmp", ".temp", ".bak", ".orig", ".part", ".crdownload")
NOISE_PARTS = ("___jb_tmp___", "___jb_old___", ".goutputstream-")
HEARTBEAT = 15.0

LIVE_JS = """\
(function () {
  "use strict";
  var me = document.currentScript;
  var build = me ? me.getAttribute("data-build") : null;
  var overlay = null;
  function clear() { if (overlay) { overlay.remove(); overlay = null; } }
  function show(lines) {
    clear();
    overlay = document.createElement("div");
    overlay.id = "digestgen-errors";
    overlay.setAttribute("role", "alert");
    var s = overlay.style;
    s.position = "fixed"; s.top = "0"; s.left = "0"; s.right = "0"; s.bottom = "0";
    s.zIndex = "2147483647"; s.overflow = "auto"; s.padding = "2rem";
    s.background = "rgba(24, 24, 27, 0.97)"; s.color = "#fafafa";
    s.font = "15px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
    var title = document.createElement("h2");
    title.textContent = "digestgen: the last change did not build";
    var hint = document.createElement("p");
    hint.textContent = "You are looking at the last good build. Fix the problems below and save; this page updates by itself.";
    var list = document.createElement("ul");
    lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      item.style.whiteSpace = "pre-wrap";
      item.style.color = "#fca5a5";
      list.appendChild(item);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Hide";
    close.addEventListener("click", clear);
    overlay.appendChild(title); overlay.appendChild(hint); overlay.appendChild(list); overlay.appendChild(close);
    document.body.appendChild(overlay);
  }
  var events = new EventSource("/__digestgen/events");
  events.addEventListener("hello", function (e) {
    var state = JSON.parse(e.data);
    window.digestgenLive = "connected";
    if (build !== null && String(state.build) !== build) { location.reload(); }
  });
  events.addEventListener("reload", function () { location.reload(); });
  events.addEventListener("error", function (e) {
    if (typeof e.data === "string") { show(JSON.parse(e.data).errors); }
  });
})();
"""

NO_SITE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>digestgen preview</title></head>
<body><h1>No successful build yet</h1><p>The problems are listed in the terminal and below.
This page reloads when the site builds.</p></body></html>
"""


def is_noise(name: str) -> bool:
    """Editor swap, backup and temporary files (vim, emacs, JetBrains, GNOME, downloads)."""
    return (name.startswith((".", "#")) or name.endswith(NOISE_SUFFIXES) or name == "4913"
            or any(part in name for part in NOISE_PARTS))


@dataclass
class Hub:
    """The latest build state, and a condition that wakes every event stream when it changes."""

    build: int = 0
    errors: list[str] = field(default_factory=list)
    version: int = 0
    closed: bool = False
    cond: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, build: int, errors: list[str]) -> None:
        with self.cond:
            self.build, self.errors = build, errors
            self.version += 1
            self.cond.notify_all()

    def changed_since(self, version: int) -> bool:
        return self.version != version or self.closed

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()


class _Background:
    """A daemon thread running _loop, told of new work and of stop() through one condition."""

    def __init__(self, name: str):
        self.stopped = False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()

    def _loop(self) -> None:
        raise NotImplementedError


class Debouncer(_Background):
    """Collect change notices; call action once they have been quiet for `settle` seconds."""

    def __init__(self, action: Callable[[list[str]], object], settle: float = 0.1, longest: float = 3.0):
        super().__init__("digestgen-rebuild")
        self.action, self.settle, self.longest = action, settle, longest
        self.pending: set[str] = set()
        self.first = self.last = 0.0

    def notify(self, rel: str) -> None:
        with self.cond:
            now = time.monotonic()
            if not self.pending:
                self.first = now
            self.pending.add(rel)
            self.last = now
            self.cond.notify_all()

    def _loop(self) -> None:
        while True:
            with self.cond:
                self.cond.wait_for(lambda: self.pending or self.stopped)
                while not self.stopped:
                    now = time.monotonic()
                    due = min(self.last + self.settle, self.first + self.longest)
                    if now >= due:
                        break
                    self.cond.wait(due - now)
                if self.stopped:
                    return
                changed, self.pending = sorted(self.pending), set()
            try:
                self.action(changed)
            except Exception:  # noqa: BLE001 - the rebuild loop must outlive any one rebuild
                traceback.print_exc(file=sys.stderr)


class SearchIndexer(_Background):
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

    def request(self, build: int, language: str) -> None:
        with self.cond:
            self.wanted, self.language = build, language
            self.cond.notify_all()

    def has_bundle(self) -> bool:
        folder = self.preview.folder()
        return folder is not None and (folder / "pagefind" / "pagefind.js").is_file()

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
                self.preview.log(f"search index not updated: {exc}")
            with self.cond:
                if self.wanted == build:
                    self.done = build

    def index(self, build: int, language: str) -> None:
        from digestgen import search
        from digestgen.output import build_lock, exchange

        preview = self.preview
        folder = preview.folder()
        if folder is None:
            return
        fresh = preview.output.parent / f".{preview.output.name}-search-{os.getpid()}"
        shutil.rmtree(fresh, ignore_errors=True)
        try:
            search.run(folder, language, fresh, background=True)
            with build_lock(preview.output):
                if preview.pages != build or self.wanted != build:
                    return  # pages changed while Pagefind read them: the next round indexes them
                target = preview.output / search.BUNDLE
                if not target.is_dir():
                    os.replace(fresh, target)
                elif exchange(fresh, target):
                    pass  # fresh now holds the old bundle, removed below
                else:
                    shutil.rmtree(target)
                    os.replace(fresh, target)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)


class Watcher:
    """watchdog on content/, static/, templates/, themes/ and site.yaml; editor noise ignored."""

    def __init__(self, root: Path, ignore: list[Path], notify: Callable[[str], None]):
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        self.root, self.ignore, self.notify = root, ignore, notify
        self.observer = Observer()
        self.watches: dict[str, Any] = {}
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                watcher.handle(event)

        self.handler = Handler()

    def start(self) -> None:
        self.observer.schedule(self.handler, str(self.root), recursive=False)
        for name in WATCHED:
            self._watch(name)
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)

    def _watch(self, name: str) -> None:
        """(Re)start the recursive watch of a top-level folder (it may have been deleted and made again)."""
        old = self.watches.pop(name, None)
        if old is not None:
            try:
                self.observer.unschedule(old)
            except (KeyError, OSError):
                pass
        folder = self.root / name
        if folder.is_dir() and not folder.is_symlink():
            self.watches[name] = self.observer.schedule(self.handler, str(folder), recursive=True)

    def relevant(self, path: str | bytes) -> str | None:
        """The site-relative path of a change worth a rebuild, else None."""
        if not path:
            return None
        full = Path(path.decode() if isinstance(path, bytes) else path)
        try:
            rel = full.relative_to(self.root)
        except ValueError:
            return None
        if any(full == place or full.is_relative_to(place) for place in self.ignore):
            return None
        parts = rel.parts
        if not parts or (parts != ("site.yaml",) and parts[0] not in WATCHED):
            return None
        if any(is_noise(part) for part in parts):
            return None
        return rel.as_posix()

    def handle(self, event: object) -> None:
        kind = getattr(event, "event_type", "")
        if kind in ("opened", "closed_no_write") or (kind == "modified" and getattr(event, "is_directory", False)):
            return  # directory mtime changes repeat the file events; reads change nothing
        for path in (getattr(event, "dest_path", ""), getattr(event, "src_path", "")):  # a save by rename: its name
            rel = self.relevant(path)
            if rel is None:
                continue
            if rel in WATCHED and getattr(event, "is_directory", False) and kind in ("created", "moved"):
                self._watch(rel)  # a watched folder appeared (or came back) after start
            self.notify(rel)
            return


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
                 log: Callable[[str], None] | None = None):
        self.root = root.resolve()
        if not (self.root / "site.yaml").is_file():
            raise UsageError(f"no site.yaml in {self.root.name}; run 'digestgen serve' in a site folder")
        self.bind = bind
        self.output = self.root / CACHE / "serve"
        self.hub = Hub()
        self.log = log or (lambda message: print(printable(message), file=sys.stderr, flush=True))
        self.builds = 0  # finished attempts, good or bad
        self.files = 0  # files in the last good build
        self.pages = 0  # counts the good builds that changed the preview folder
        try:
            self.server = DevServer(bind, port, self)
        except OSError as exc:
            raise UsageError(f"cannot listen on {bind}:{port} ({exc.strerror}); try another --port, or --port 0") from None
        self.port = self.server.server_address[1]
        host = f"[{bind}]" if ":" in bind else bind
        if _wildcard(bind):
            host = "127.0.0.1"
        self.url = f"http://{host}:{self.port}/"
        self.allowed_hosts = {f"[{bind}]" if ":" in bind else bind, "localhost", "127.0.0.1", "[::1]"}
        self.debouncer = Debouncer(self.rebuild, settle=settle)
        self.indexer = SearchIndexer(self)
        self.watcher = Watcher(self.root, [self.output, self.root / CACHE, self.root / "public"], self.debouncer.notify)
        self.threads: list[threading.Thread] = []

    def rebuild(self, changed: list[str] | None = None) -> bool:
        """Build into the preview folder; publish 'reload' or 'error'. Never raises."""
        # no garbage collection while the curator waits: it runs once the page has reloaded
        with collector.paused():
            built = self._build_and_publish(changed)
        gc.collect()  # what the build left (what the first build loaded is held out of sight: start)
        return built

    def _build_and_publish(self, changed: list[str] | None) -> bool:
        from digestgen.build import build
        from digestgen.config import BuildOptions

        options = BuildOptions(output=self.output, drafts=True, future=True, base_url=self.url, serve=True)
        started = time.perf_counter()
        try:
            result = build(self.root, options)
        except Exception as exc:  # noqa: BLE001 - a preview survives anything a source file can do
            lines = describe(exc, self.root)
            if not isinstance(exc, DigestgenError):
                traceback.print_exc(file=sys.stderr)
            for line in [p.format() for p in capped(exc.problems)] if isinstance(exc, ContentError) else lines:
                self.log(line)
            count = sum(p.severity == "error" for p in exc.problems) if isinstance(exc, ContentError) else len(lines)
            self.log(f"build failed ({count} problem{'s' * (count != 1)}); still serving the last good site")
            self.builds += 1
            self.hub.publish(self.hub.build, lines)
            return False
        what = f" after {changed[0]}" + (f" and {len(changed) - 1} more" if len(changed) > 1 else "") if changed else ""
        stats = result.stats
        self.log(f"built{what} in {time.perf_counter() - started:.2f} s: {result.counts.get('papers', 0)} papers, "
                 f"{stats.written} file{'s' * (stats.written != 1)} changed")
        for warning in result.warnings:
            self.log(warning.format())
        self.builds += 1
        # a save that changed no output (same bytes, a no-op edit) needs no reload, unless errors must clear
        changed_output = bool(stats.written or stats.files != self.files)
        if changed_output or self.hub.errors or self.hub.build == 0:
            self.hub.publish(self.hub.build + 1, [])
        self.files = stats.files
        if changed_output:
            self.pages += 1
        if result.counts.get("papers") and (changed_output or not self.indexer.has_bundle()):
            language = self.search_language()
            if language:
                self.indexer.request(self.pages, language)
        return True

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
        memo.keep_between_builds()  # until stop: rebuilds reuse what did not change
        self.indexer.thread.start()
        self.rebuild()
        # What the first build loaded (every paper, the memos) lives until stop: moved out of the
        # cyclic garbage collector's sight, rebuilds no longer spend a tenth of their time
        # walking it again. Objects freed later are still freed; only cycles among them are not.
        collector.hold(collect=True)
        self.watcher.start()
        self.debouncer.thread.start()
        server = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                  name="digestgen-http", daemon=True)
        server.start()
        self.threads.append(server)

    def stop(self) -> None:
        self.hub.close()
        self.indexer.stop()
        self.debouncer.stop()
        self.watcher.stop()
        self.server.shutdown()
        self.server.server_close()
        memo.keep_between_builds(False)
        collector.release()

    def patching(self) -> bool:
        """True while a build moves changed files into the folder in place (output.py's journal)."""
        return (self.output.parent / f".{self.output.name}.journal").exists()

    def wait_for_patch(self, limit: float = 2.0) -> None:
        """Let an in-place update finish (it takes milliseconds) so a request sees one whole build."""
        end = time.monotonic() + limit
        while self.patching() and time.monotonic() < end:
            time.sleep(0.005)

    def folder(self) -> Path | None:
        """The folder of the latest complete build (the previous one while a swap is under way)."""
        old = self.output.parent / f".{self.output.name}.old"
        for _ in range(20):
            for candidate in (self.output, old):
                try:
                    real = candidate.resolve(strict=True)
                except OSError:
                    continue
                if real.is_dir():
                    return real
            if not old.exists() and not self.output.exists():
                return None
        return None


def _wildcard(bind: str) -> bool:
    return bind in ("0.0.0.0", "::", "")


def _ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return False
    return True


def is_loopback(bind: str) -> bool:
    if bind == "localhost":
        return True
    try:
        return ipaddress.ip_address(bind).is_loopback
    except ValueError:
        return False


class DevServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, bind: str, port: int, preview: Preview):
        import socket

        self.address_family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self.preview = preview
        super().__init__((bind, port), RequestHandler)


class RequestHandler(BaseHTTPRequestHandler):
    server: DevServer
    server_version = "digestgen-serve"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        pass  # the terminal is for build results, not for every request

    def do_HEAD(self) -> None:
        self.handle_get(head=True)

    def do_GET(self) -> None:
        self.handle_get(head=False)

    def handle_get(self, head: bool) -> None:
        preview = self.server.preview
        if not self.host_allowed(preview):
            return self.plain(HTTPStatus.FORBIDDEN, "forbidden: unexpected Host header\n", head)
        path = self.clean_path()
        if path is None:
            return self.not_found(None, head)
        if path.startswith(PREFIX):
            return self.internal(path[len(PREFIX):], head)
        build = preview.hub.build  # read before the folder: a newer folder only causes one more reload
        for _ in range(5):
            preview.wait_for_patch()
            folder = preview.folder()
            if folder is None:
                return self.send(HTTPStatus.SERVICE_UNAVAILABLE, NO_SITE.encode(), "text/html; charset=utf-8", head, build)
            try:
                return self.from_folder(folder, path, head, build)
            except FileNotFoundError:
                continue  # the folder was swapped while we read it; resolve it again
            except OSError:
                break  # unreadable: answer 404 rather than a traceback
        return self.not_found(None, head)

    def host_allowed(self, preview: Preview) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        if not host:
            return False
        if host.startswith("["):
            name, _, rest = host.partition("]")
            name += "]"
            port = rest[1:] if rest.startswith(":") else ""
        else:
            name, _, port = host.partition(":")
        if port and port != str(preview.port):
            return False
        if name in preview.allowed_hosts:
            return True
        # bound to every address: any address of this machine is "the bound name"; an IP literal
        # cannot be rebound by DNS, so only names are refused
        return _wildcard(preview.bind) and _ip_literal(name)

    def clean_path(self) -> str | None:
        """The decoded request path, or None when it tries to leave the site folder."""
        raw = self.path
        if raw.startswith("//") or not raw.startswith("/"):
            return None
        path = urlsplit(raw).path
        try:
            decoded = unquote(path, errors="strict") if "%" in path else path
        except UnicodeDecodeError:
            return None
        if "\\" in decoded or "\x00" in decoded or decoded.startswith("//"):
            return None
        segments = decoded.split("/")[1:]
        if any(seg in (".", "..") for seg in segments):
            return None
        if any(seg.startswith(".") for seg in segments) and not decoded.startswith(PREFIX):
            return None  # the manifest and other dot-files are not part of the site
        return decoded

    def from_folder(self, folder: Path, path: str, head: bool, build: int) -> None:
        target = folder / path.lstrip("/")
        if path.endswith("/"):
            target = target / "index.html"
        try:
            real = target.resolve(strict=True)
        except FileNotFoundError:
            if not folder.is_dir() or self.server.preview.patching():
                raise  # swapped or patched while we looked: the caller tries again
            return self.not_found(folder, head, build)
        except (OSError, RuntimeError):
            return self.not_found(folder, head, build)
        if not real.is_relative_to(folder):
            return self.not_found(folder, head, build)  # a symlink pointing out of the site
        if real.is_dir():
            if (real / "index.html").is_file():
                query = urlsplit(self.path).query
                return self.redirect(path + "/" + (f"?{query}" if query else ""))
            return self.not_found(folder, head, build)
        data = real.read_bytes()
        ctype = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/json", "application/xml", "application/javascript"):
            ctype += "; charset=utf-8"
        self.send(HTTPStatus.OK, data, ctype, head, build)

    def not_found(self, folder: Path | None, head: bool, build: int = 0) -> None:
        page = folder / "404.html" if folder is not None else None
        if page is not None and page.is_file() and not page.is_symlink():
            return self.send(HTTPStatus.NOT_FOUND, page.read_bytes(), "text/html; charset=utf-8", head, build)
        self.plain(HTTPStatus.NOT_FOUND, "not found\n", head)

    def redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def plain(self, status: HTTPStatus, text: str, head: bool) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def send(self, status: HTTPStatus, data: bytes, ctype: str, head: bool, build: int) -> None:
        if ctype.startswith("text/html"):
            data = inject(data, build)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def internal(self, name: str, head: bool) -> None:
        if name == "live.js":
            return self.send(HTTPStatus.OK, LIVE_JS.encode(), "text/javascript; charset=utf-8", head, 0)
        if name == "events" and not head:
            return self.events()
        self.plain(HTTPStatus.NOT_FOUND, "not found\n", head)

    def events(self) -> None:
        """Server-Sent Events: 'hello' with the current build, then 'reload' or 'error' on change."""
        hub = self.server.preview.hub
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        with hub.cond:
            seen, build, errors = hub.version, hub.build, list(hub.errors)
        try:
            self.event("hello", {"build": build})
            if errors:
                self.event("error", {"build": build, "errors": errors})
            while True:
                with hub.cond:
                    changed = hub.cond.wait_for(partial(hub.changed_since, seen), timeout=HEARTBEAT)
                    if hub.closed:
                        return
                    seen, new_build, errors = hub.version, hub.build, list(hub.errors)
                if not changed:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                elif errors:
                    self.event("error", {"build": new_build, "errors": errors})
                else:
                    self.event("reload", {"build": new_build})
                build = new_build
        except OSError:
            return  # the browser went away

    def event(self, name: str, data: dict[str, object]) -> None:
        self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()


def inject(page: bytes, build: int) -> bytes:
    """Add the live-reload script before </body> (at serve time; built files stay clean)."""
    tag = f'<script src="{PREFIX}live.js" data-build="{html.escape(str(build))}"></script>\n'.encode()
    at = page.lower().rfind(b"</body>")
    return page[:at] + tag + page[at:] if at != -1 else page + tag


def serve(root: Path, port: int = 8000, bind: str = "127.0.0.1", open_browser: bool = False) -> int:
    """Run a preview until Ctrl-C."""
    if not is_loopback(bind):
        print(printable(f"warning: --bind {bind} makes the preview (drafts included) reachable from other machines; "
                        "it is meant for your own computer"), file=sys.stderr)
    preview = Preview(root, bind, port)
    preview.start()
    print(printable(f"serving {preview.root.name} at {preview.url} (drafts and scheduled papers shown); Ctrl-C stops"), flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(preview.url)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        preview.stop()
    return 0
