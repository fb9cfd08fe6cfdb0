"""What the preview answers: the latest build's files, the live-reload script and its events.

`PreviewHandler` turns a request into a response for httpserve.py and knows nothing about
sockets: it checks the Host header (DNS rebinding), keeps the path inside the build folder,
opens the file it will send (never reading it whole), and adds the live-reload script to
HTML pages as they are sent. `Hub` holds the latest build state; each EventSource client
waits on it in the server's event loop, without a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import ipaddress
import json
import mimetypes
import os
import stat
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from digestgen.httpserve import FilePart, Part, Request, Response, plain

PREFIX = "/__digestgen/"
SEARCH = "/pagefind/"  # the search bundle's files
HEARTBEAT = 15.0
SECURITY_HEADERS = [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]

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
    hint.textContent = "You are looking at the last good build. " +
      "Fix the problems below and save; this page updates by itself.";
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
  var events = new EventSource("/__digestgen/events?page=" + encodeURIComponent(location.pathname) +
    (build !== null ? "&build=" + encodeURIComponent(build) : ""));
  events.addEventListener("hello", function (e) {
    var state = JSON.parse(e.data);
    window.digestgenLive = "connected";
    if (build !== null && String(state.build) !== build && !state.same) { location.reload(); return; }
    build = window.digestgenBuild = String(state.build);
  });
  events.addEventListener("reload", function () { location.reload(); });
  events.addEventListener("built", function (e) { build = window.digestgenBuild = String(JSON.parse(e.data).build); });
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



@dataclass
class Hub:
    """The latest build state; event streams wait for it to change.

    A build of the pages on screen alone (early, see early.py) reloads only the browsers that
    show one of them; the whole build after it then reloads every browser but those that got
    their page from it already (settled: the same bytes as the whole build's)."""

    build: int = 0
    errors: list[str] = field(default_factory=list)
    version: int = 0
    closed: bool = False
    early: frozenset[str] = frozenset()  # the pages of an early build (this version's)
    settled: frozenset[str] = frozenset()  # the pages that early build made as they are now
    lock: threading.Lock = field(default_factory=threading.Lock)
    listeners: list[Callable[[], None]] = field(default_factory=list)
    viewers: dict[str, int] = field(default_factory=dict)  # site file name -> browsers showing it

    def publish(self, build: int, errors: list[str], early: frozenset[str] = frozenset(),
                settled: frozenset[str] = frozenset()) -> None:
        with self.lock:
            self.build, self.errors, self.early, self.settled = build, errors, early, settled
            self.version += 1
            self._wake()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self._wake()

    def _wake(self) -> None:
        for wake in self.listeners:
            wake()

    def state(self) -> tuple[int, int, list[str]]:
        with self.lock:
            return self.version, self.build, list(self.errors)

    def viewed(self) -> list[str]:
        """The pages the connected browsers show (site file names)."""
        with self.lock:
            return sorted(self.viewers)

    @contextlib.contextmanager
    def viewing(self, name: str | None) -> Iterator[None]:
        if name is None:
            yield
            return
        with self.lock:
            self.viewers[name] = self.viewers.get(name, 0) + 1
        try:
            yield
        finally:
            with self.lock:
                self.viewers[name] -= 1
                if not self.viewers[name]:
                    del self.viewers[name]

    async def wait(self, version: int, timeout: float) -> bool:
        """Wait until the state is newer than `version` (or closed); False after `timeout`."""
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
                loop.call_soon_threadsafe(woken.set)

        with self.lock:
            if self.version != version or self.closed:
                return True
            self.listeners.append(wake)
        try:
            await asyncio.wait_for(woken.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            with self.lock:
                self.listeners.remove(wake)


async def event_stream(hub: Hub, page: str | None = None, heartbeat: float = HEARTBEAT,
                       loaded: int | None = None) -> AsyncIterator[bytes]:
    """Server-Sent Events: 'hello' with the current build, then 'reload' or 'error' on change.

    page: the site file the browser shows, if it said; loaded: the build it came from. An
    early build reloads only the pages it made; the build after it does not reload a page the
    early one made as it is now, if this browser was reloaded by it (or loaded the page since),
    but tells it the new build ('built', or 'same' in 'hello' when it loaded the early page).
    When that build fails, a browser showing an early page reloads the last good one."""
    with hub.viewing(page):
        with hub.lock:
            seen, build, errors = hub.version, hub.build, list(hub.errors)
            shown_early = seen if page is not None and page in hub.early else -1  # loaded from the early build
            same = page is not None and page in hub.settled and loaded == build - 1
        yield event("hello", {"build": build, "same": True} if same else {"build": build})
        if errors:
            yield event("error", {"build": build, "errors": errors})
        while True:
            changed = await hub.wait(seen, heartbeat)
            if hub.closed:
                return
            if not changed:
                yield b": keep-alive\n\n"
                continue
            with hub.lock:
                before, seen, build, errors, early, settled = seen, hub.version, hub.build, list(hub.errors), \
                    hub.early, hub.settled
            if errors and shown_early == seen - 1 == before:
                yield event("reload", {"build": build})  # its early page was not built after all: the last good one
            elif errors:
                yield event("error", {"build": build, "errors": errors})
            elif early:
                if page in early:
                    shown_early = seen
                    yield event("reload", {"build": build})
            elif page in settled and shown_early == seen - 1 == before:
                yield event("built", {"build": build})
            else:
                yield event("reload", {"build": build})


def event(name: str, data: dict[str, object]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


class Site(Protocol):
    """What the handler needs to know of a preview session."""

    hub: Hub
    bind: str
    port: int
    allowed_hosts: set[str]

    def files(self) -> Mapping[str, bytes] | None: ...
    def search_folder(self) -> Path: ...


class PreviewHandler:
    """Answer one request from the latest complete build, held in memory (on the server's
    event loop: nothing here waits); the search bundle, made in the background, from disk."""

    def __init__(self, site: Site):
        self.site = site

    def __call__(self, request: Request) -> Response:
        site = self.site
        head = request.method == "HEAD"
        if not self.host_allowed(request.headers.get("Host") or ""):
            return plain(HTTPStatus.FORBIDDEN, "forbidden: unexpected Host header\n")
        path = clean_path(request.target)
        if path is None:
            return self.not_found(None)
        if path.startswith(PREFIX):
            return self.internal(path[len(PREFIX):], head, request.target)
        build = site.hub.build  # read before the files: a newer site only causes one more reload
        files = site.files()
        if files is None:
            return page(HTTPStatus.SERVICE_UNAVAILABLE, [inject(NO_SITE.encode(), build)])
        if path.startswith(SEARCH):
            try:
                return self.from_folder(site.search_folder(), path, files, build)
            except OSError:  # not made yet, or replaced while we looked
                return self.not_found(files, build)
        return self.from_memory(files, path, request.target, build)

    def host_allowed(self, header: str) -> bool:
        host = header.strip().lower()
        if not host:
            return False
        if host.startswith("["):
            name, _, rest = host.partition("]")
            name += "]"
            port = rest[1:] if rest.startswith(":") else ""
        else:
            name, _, port = host.partition(":")
        if port and port != str(self.site.port):
            return False
        if name in self.site.allowed_hosts:
            return True
        # bound to every address: any address of this machine is "the bound name"; an IP literal
        # cannot be rebound by DNS, so only names are refused
        return wildcard(self.site.bind) and _ip_literal(name)

    def from_memory(self, files: Mapping[str, bytes], path: str, target: str, build: int) -> Response:
        name = path.lstrip("/")
        if not name or name.endswith("/"):
            name += "index.html"
        data = files.get(name)
        if data is None:
            if f"{name}/index.html" in files:
                query = urlsplit(target).query
                return redirect(path + "/" + (f"?{query}" if query else ""))
            return self.not_found(files, build)
        ctype = content_type(name)
        if ctype.startswith("text/html"):
            return page(HTTPStatus.OK, [inject(data, build)])
        return Response(HTTPStatus.OK, [("Content-Type", ctype), *SECURITY_HEADERS], [data])

    def from_folder(self, folder: Path, path: str, files: Mapping[str, bytes], build: int) -> Response:
        """A file of the search bundle, which is on disk (never a symlink out of it, a FIFO...)."""
        try:
            real = (folder / path.lstrip("/")).resolve(strict=True)
        except (OSError, RuntimeError):
            return self.not_found(files, build)
        if not real.is_relative_to(folder.resolve()) or real.is_dir():
            return self.not_found(files, build)
        file = open_regular(real)
        if file is None:
            return self.not_found(files, build)
        size = os.fstat(file.fileno()).st_size
        return Response(HTTPStatus.OK, [("Content-Type", content_type(real.name)), *SECURITY_HEADERS],
                        [FilePart(file, 0, size)])

    def not_found(self, files: Mapping[str, bytes] | None, build: int = 0) -> Response:
        custom = files.get("404.html") if files is not None else None
        if custom is not None:
            return page(HTTPStatus.NOT_FOUND, [inject(custom, build)])
        return plain(HTTPStatus.NOT_FOUND, "not found\n")

    def internal(self, name: str, head: bool, target: str = "") -> Response:
        if name == "live.js":
            return Response(HTTPStatus.OK, [("Content-Type", "text/javascript; charset=utf-8"), *SECURITY_HEADERS],
                            [LIVE_JS.encode()])
        if name == "events" and not head:
            return Response(HTTPStatus.OK, [("Content-Type", "text/event-stream; charset=utf-8"),
                                            ("Cache-Control", "no-store")],
                            stream=partial(event_stream, self.site.hub, shown_page(target),
                                           loaded=shown_build(target)))
        return plain(HTTPStatus.NOT_FOUND, "not found\n")


def shown_page(target: str) -> str | None:
    """The site file of the page an events request says its browser shows (?page=/path/)."""
    pages = parse_qs(urlsplit(target).query).get("page")
    path = clean_path(pages[0]) if pages and pages[0].startswith("/") else None
    if path is None or path.startswith(PREFIX):
        return None
    name = path.lstrip("/")
    return name + "index.html" if not name or name.endswith("/") else name


def shown_build(target: str) -> int | None:
    """The build an events request says its page came from (?build=N)."""
    builds = parse_qs(urlsplit(target).query).get("build")
    return int(builds[0]) if builds and builds[0].isascii() and builds[0].isdigit() and len(builds[0]) < 10 else None


def clean_path(target: str) -> str | None:
    """The decoded request path, or None when it tries to leave the site folder."""
    if target.startswith("//") or not target.startswith("/"):
        return None
    path = urlsplit(target).path
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


def content_type(name: str) -> str:
    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if ctype.startswith("text/") or ctype in ("application/json", "application/xml", "application/javascript"):
        ctype += "; charset=utf-8"
    return ctype


def open_regular(path: Path) -> BinaryIO | None:
    """The file opened for reading, or None when it is not a regular file (a FIFO would block)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # FileNotFoundError: swapped, try again
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def live_script(build: int) -> bytes:
    return f'<script src="{PREFIX}live.js" data-build="{html.escape(str(build))}"></script>\n'.encode()


def inject(page: bytes, build: int) -> bytes:
    """Add the live-reload script before </body> (at serve time; built files stay clean)."""
    at = page.lower().rfind(b"</body>")
    return page[:at] + live_script(build) + page[at:] if at != -1 else page + live_script(build)


def page(status: HTTPStatus, body: list[Part]) -> Response:
    return Response(status, [("Content-Type", "text/html; charset=utf-8"), *SECURITY_HEADERS], body)


def redirect(location: str) -> Response:
    return Response(HTTPStatus.MOVED_PERMANENTLY, [("Location", location)])


def wildcard(bind: str) -> bool:
    return bind in ("0.0.0.0", "::", "")


def _ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name[1:-1] if name.startswith("[") else name)
    except ValueError:
        return False
    return True
