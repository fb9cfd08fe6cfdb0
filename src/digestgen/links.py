"""Check the external links of a site's entries (`digestgen check --links`).

Gathers (link_gathering.py) every http(s) URL the entries, pages and issue intros point at (`links:`, the arXiv
abstract page, the DOI resolver, an image URL, and links in notes and abstracts), each with
the file, line and column it is written at, and asks each distinct URL once: HEAD first, GET
when HEAD fails, redirects followed by hand so that a permanent one (301, 308) can be
reported with its new URL, Retry-After honoured up to a bound, a limit on requests at a time
per host. URLs that answered are remembered in links.json (plain JSON) in the build cache folder for
`link_check.remember_days`, so a daily run asks again only about the rest; failures are never
remembered, so a fixed link stops being reported on the next run.

The standard library does the HTTP: a checker reads status lines and headers only, one request
per URL, so a client library would add a dependency without taking any of this logic away.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import os
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digestgen import REPOSITORY, __version__
from digestgen.errors import Problem
from digestgen.link_gathering import Link, gather, is_web
from digestgen.sources import _retry_after
from digestgen.stamps import write_quietly

if TYPE_CHECKING:
    from digestgen.progress import Progress
    from digestgen.site import SiteModel
    from digestgen.site_schema import LinkCheck

USER_AGENT = f"digestgen/{__version__} link checker (+{REPOSITORY})"
MEMORY_FILE = "links.json"
MEMORY_FORMAT = 1
MAX_REDIRECTS = 10
ATTEMPTS = 3  # tries of one URL that a server answered with 429 or 503
WAIT_CAP = 30.0  # never wait longer than this for one retry; report the link as not checked instead
WORKERS = 16  # requests at a time in all
REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)
DEAD_STATUS = frozenset(range(400, 500)) - {401, 403, 408, 425, 429}  # the server says it is not there
WAYBACK = "https://web.archive.org/web/*/"


@dataclass(frozen=True)
class Result:
    """What asking for a URL gave: state is ok, moved (permanently, to moved_to), dead or unreachable."""

    state: str
    detail: str = ""
    moved_to: str | None = None


@dataclass(frozen=True)
class Summary:
    checked: int
    remembered: int
    dead: int
    unreachable: int
    moved: int

    def line(self, days: int) -> str:
        memory = f" ({self.remembered} answered in the last {days} day{'s' * (days != 1)})" if days else ""
        return (f"links: {self.checked} checked{memory}: {self.dead} dead, {self.unreachable} unreachable, "
                f"{self.moved} moved permanently")


# --- asking ------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand every redirect back to the checker (as an HTTPError), which follows it itself."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


ALLOW_PRIVATE_ENV = "DIGESTGEN_LINKS_ALLOW_PRIVATE"


class PrivateAddress(OSError):
    """A link's host resolves only to an address that is not on the public internet."""

    def __str__(self) -> str:
        return (f"its host {self.args[0]} is at {self.args[1]}, a private, loopback or link-local address; "
                f"not asked (set {ALLOW_PRIVATE_ENV}=1 to check such links)")


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 scope (fe80::1%eth0) is no part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _public_connection(
    address: tuple[str, int],
    timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
    source_address: Any = None,
    **_: Any,
) -> socket.socket:
    """socket.create_connection that connects only to public addresses: an entry from a
    stranger's pull request must not make CI ask the cloud metadata service (169.254.169.254),
    a service on the runner (127.0.0.1) or the private network. The address is checked as the
    socket connects to it, so a name that resolves differently a second time cannot slip by;
    every redirect goes through here too."""
    host, port = address
    error: OSError | None = None
    for _family, _type, _proto, _name, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        ip = str(sockaddr[0])
        if not _public(ip):
            error = error or PrivateAddress(host, ip)
            continue
        try:
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(f"{host} has no address")


def _guarded(base: type[http.client.HTTPConnection]) -> Any:
    class Guarded(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = _public_connection

    return Guarded


_PublicHTTP, _PublicHTTPS = _guarded(http.client.HTTPConnection), _guarded(http.client.HTTPSConnection)


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: Any) -> Any:
        return self.do_open(_PublicHTTP, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: Any) -> Any:
        return self.do_open(_PublicHTTPS, req, context=self._context)  # type: ignore[attr-defined]


def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    if allow_private:
        return urllib.request.build_opener(_NoRedirect)
    return urllib.request.build_opener(_NoRedirect, _PublicHTTPHandler, _PublicHTTPSHandler)


class _Hosts:
    """A semaphore per host: at most per_host requests to one host at a time."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self.lock = threading.Lock()
        self.gates: dict[str, threading.BoundedSemaphore] = {}

    def gate(self, url: str) -> threading.BoundedSemaphore:
        host = host_of(url)
        with self.lock:
            return self.gates.setdefault(host, threading.BoundedSemaphore(self.per_host))


def host_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or ''}"


def request_url(url: str) -> str:
    """url as HTTP carries it: the host in IDNA (punycode), other non-ASCII characters
    percent-encoded (UTF-8), what is already encoded left alone."""
    if url.isascii():
        return url
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:  # not a valid IDNA name: the request fails and says so
        pass
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    safe = "/%:@!$&'()*+,;=-._~?"
    return urllib.parse.urlunsplit(
        (
            parts.scheme,
            netloc,
            urllib.parse.quote(parts.path, safe=safe),
            urllib.parse.quote(parts.query, safe=safe),
            urllib.parse.quote(parts.fragment, safe=safe),
        )
    )


def _reason(exc: BaseException) -> tuple[str, bool]:
    """A network failure in words, and whether it means the link is dead (its host does not exist)."""
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, socket.gaierror):  # only 'no such name' says the host is gone, not a DNS outage
        gone = reason.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME))
        return (
            ("its host name does not resolve", True)
            if gone
            else (f"its host name could not be looked up ({reason})", False)
        )
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "", False
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"its TLS certificate is not valid ({reason.verify_message})", False
    if isinstance(reason, PrivateAddress):
        return str(reason), False
    if isinstance(reason, ConnectionRefusedError):
        return "the connection was refused", False
    return str(reason) or type(reason).__name__, False


class Checker:
    """Asks servers about URLs: one instance per run, shared by its threads."""

    # A DOI link's job is done when the resolver knows the DOI (it redirects; an unknown DOI
    # gets 404): publishers' own pages often refuse checkers, which is no fault of the entry.
    resolvers = frozenset({"doi.org:", "dx.doi.org:"})

    def __init__(self, settings: LinkCheck, sleep: Callable[[float], None] = time.sleep) -> None:
        self.timeout = settings.timeout
        self.hosts = _Hosts(settings.per_host)
        self.sleep = sleep
        self.opener = _opener(os.environ.get(ALLOW_PRIVATE_ENV) == "1")

    def _ask(self, url: str, method: str) -> tuple[int, Any]:
        """(status, headers) of one request, redirects not followed; raises on network failures."""
        request = urllib.request.Request(
            request_url(url), method=method, headers={"User-Agent": USER_AGENT, "Accept": "*/*"}
        )
        with self.hosts.gate(url):
            try:
                with self.opener.open(request, timeout=self.timeout) as response:  # the body is never read
                    return int(response.status), response.headers
            except urllib.error.HTTPError as exc:
                exc.close()
                return int(exc.code), exc.headers

    def check(self, url: str) -> Result:
        """Follow url to its last answer: ok, moved permanently, dead or unreachable."""
        current, method, moved_to, permanent = url, "HEAD", None, True
        attempt = hops = 0
        while True:
            try:
                status, headers = self._ask(current, method)
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
                reason, dead = _reason(exc)
                if not reason:
                    return Result("unreachable", f"no answer within {self.timeout:g} s")
                if method == "HEAD" and isinstance(exc, http.client.HTTPException):
                    method = "GET"  # a server that breaks on HEAD
                    continue
                return Result("dead" if dead else "unreachable", reason)
            if status in REDIRECTS and headers.get("Location"):
                if hops == 0 and host_of(url) in self.resolvers:
                    return Result("ok")
                target = urllib.parse.urljoin(current, headers["Location"].strip())
                if not is_web(target):
                    return Result("dead", f"HTTP {status} redirects to {target[:100]!r}, which is not a web address")
                hops += 1
                if hops > MAX_REDIRECTS:
                    return Result("unreachable", f"more than {MAX_REDIRECTS} redirects")
                permanent = permanent and status in PERMANENT
                if permanent:
                    moved_to = target
                current = target
                continue
            if status in (429, 503) and attempt + 1 < ATTEMPTS:
                wait = _retry_after(headers.get("Retry-After"), attempt)
                if wait > WAIT_CAP:
                    return Result("unreachable", f"HTTP {status}: the server asked to wait {wait:.0f} s; not checked")
                attempt += 1
                self.sleep(wait)
                continue
            if status >= 400 and method == "HEAD":
                method = "GET"  # 405, 501 and many servers that mishandle HEAD: ask properly
                continue
            if 200 <= status < 300:
                return Result("moved", moved_to=moved_to) if moved_to and moved_to != url else Result("ok")
            detail = f"HTTP {status} {http.client.responses.get(status, '')}".rstrip()
            return Result("dead" if status in DEAD_STATUS else "unreachable", detail)

    def check_all(self, urls: Iterable[str], progress: Progress | None = None) -> dict[str, Result]:
        """Check many URLs: a few lanes per host (so no host waits behind another), each lane in turn."""
        by_host: dict[str, list[str]] = defaultdict(list)
        for url in urls:
            by_host[host_of(url)].append(url)
        lanes = [items[i :: self.hosts.per_host] for items in by_host.values()
                 for i in range(min(self.hosts.per_host, len(items)))]
        results: dict[str, Result] = {}
        if not lanes:
            return results
        total = sum(map(len, lanes))
        shown = threading.Lock()

        def run(lane: list[str]) -> None:
            for url in lane:
                results[url] = self.check(url)
                if progress is not None:
                    with shown:
                        progress.advance("checking links", 1, total)

        with ThreadPoolExecutor(max_workers=min(WORKERS, len(lanes)), thread_name_prefix="links") as pool:
            for done in [pool.submit(run, lane) for lane in lanes]:
                done.result()
        return results


# --- remembering -------------------------------------------------------------------------------


def remembered_for(url: str, days: int) -> float:
    """Seconds an answer about url is trusted: between half of days and all of it, fixed per URL,
    so that links first checked together come up again over several days, not all on one."""
    share = int.from_bytes(hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=2).digest(), "big") / 65535
    return days * 86400 * (0.5 + 0.5 * share)


def load_memory(path: Path, now: float, days: int) -> dict[str, tuple[float, Result]]:
    """Answers younger than days from links.json, with when each was given; anything malformed
    is ignored (the file is only a hint: at worst a link is asked about again)."""
    if days <= 0:
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != MEMORY_FORMAT or not isinstance(data.get("links"), dict):
        return {}
    kept: dict[str, tuple[float, Result]] = {}
    for url, item in data["links"].items():
        if not isinstance(item, dict) or not isinstance(item.get("checked"), (int, float)):
            continue
        when, moved = float(item["checked"]), item.get("moved_to")
        if not 0 <= now - when < remembered_for(url, days):
            continue
        if item.get("state") == "ok" and moved is None:
            kept[url] = (when, Result("ok"))
        elif item.get("state") == "moved" and isinstance(moved, str) and is_web(moved):
            kept[url] = (when, Result("moved", moved_to=moved))
    return kept


def save_memory(path: Path, answered: dict[str, tuple[float, Result]]) -> None:
    """Write the answers worth remembering (ok and moved), sorted, atomically; quietly skip a read-only folder."""
    links = {url: {"checked": int(when), "state": result.state, "moved_to": result.moved_to}
             for url, (when, result) in sorted(answered.items()) if result.state in ("ok", "moved")}
    write_quietly(path, json.dumps({"format": MEMORY_FORMAT, "links": links}, indent=1, ensure_ascii=False) + "\n")


# --- the run ------------------------------------------------------------------------------------


def _problem(link: Link, result: Result) -> Problem:
    if result.state == "moved":
        message = f"{link.url} has moved permanently to {result.moved_to}; update the link"
    elif result.state == "dead":
        message = f"{link.url} is dead ({result.detail}); an archived copy may be at {WAYBACK}{link.url}"
    else:
        message = f"{link.url} could not be checked ({result.detail}); if it stays so, see {WAYBACK}{link.url}"
    return Problem(link.path, link.line, link.column, link.field, message, "warning")


def check_links(model: SiteModel, *, sleep: Callable[[float], None] = time.sleep,
                clock: Callable[[], float] = time.time) -> tuple[list[Problem], Summary]:
    """Check every external link of the site; a warning for each one that is dead, moved or unreachable."""
    from digestgen.cache import cache_folder
    from digestgen.progress import Progress

    settings = model.config.fields.link_check
    links = [link for link in gather(model) if not link.url.startswith(tuple(settings.skip))]
    urls = list(dict.fromkeys(link.url for link in links))
    memory_path = cache_folder(model.config.root) / MEMORY_FILE
    now = clock()
    wanted = set(urls)
    answered = {
        url: kept for url, kept in load_memory(memory_path, now, settings.remember_days).items() if url in wanted
    }
    remembered = len(answered)
    progress = Progress()
    asked = Checker(settings, sleep).check_all((url for url in urls if url not in answered), progress)
    progress.done()
    answered.update((url, (now, result)) for url, result in asked.items())
    save_memory(memory_path, answered)
    problems = [_problem(link, answered[link.url][1]) for link in links if answered[link.url][1].state != "ok"]
    states = [answered[url][1].state for url in urls]
    summary = Summary(len(urls), remembered, states.count("dead"), states.count("unreachable"), states.count("moved"))
    return problems, summary
