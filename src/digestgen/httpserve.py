"""A small HTTP/1.1 server for the preview, bounded in time, connections and memory.

The preview's own logic is a plain function, `handle(Request) -> Response`, answered on the
event loop (it never waits); this module owns the sockets. One asyncio loop on one thread holds every
connection, so a client costs a few kilobytes, never a thread:

- Time: a request's headers must arrive within `header_timeout` seconds of the connection
  opening (or of the previous response on a kept-alive connection); a client that accepts no
  data for `write_timeout` seconds is dropped.
- Connections: at most `max_connections`. When full, the connection that has waited longest
  for its request headers is closed to make room, so idle or half-sent requests (slowloris)
  cannot lock out a real client; when every connection is busy answering, a newcomer gets 503.
- Memory: a body is a list of parts, bytes or ranges of open files; files are sent in 64 KiB
  chunks at the pace the client reads them.
- A client that goes away (reset, broken pipe, timeout) is not an error: nothing is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import io
import itertools
import os
import socket
import sys
import threading
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import BinaryIO

from digestgen.files import blocks

CHUNK = 64 * 1024
MAX_HEAD = 64 * 1024  # request line and headers together
MAX_HEADERS = 100
BACKLOG = 1024
# a reset, a broken pipe, a timeout, a connection closed mid-request
CLIENT_GONE = (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError)
LINGER_SECONDS = 1.0  # how long a refused client's request is read before closing


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # as sent: path and query, not decoded
    version: str  # HTTP/1.0 or HTTP/1.1
    headers: http.client.HTTPMessage


@dataclass(frozen=True)
class FilePart:
    """`length` bytes of an open file from `offset`; the server closes the file when done."""

    file: BinaryIO
    offset: int
    length: int


Part = bytes | FilePart


@dataclass
class Response:
    status: HTTPStatus
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: list[Part] = field(default_factory=list)
    stream: Callable[[], AsyncIterator[bytes]] | None = None  # an endless body (Server-Sent Events)

    def length(self) -> int:
        return sum(len(part) if isinstance(part, bytes) else part.length for part in self.body)

    def close(self) -> None:
        for part in self.body:
            if isinstance(part, FilePart):
                part.file.close()


def plain(status: HTTPStatus, text: str) -> Response:
    return Response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")], [text.encode()]
    )


class BadRequest(Exception):
    def __init__(self, status: HTTPStatus):
        super().__init__(status.phrase)
        self.status = status


@dataclass(eq=False)
class _Connection:
    writer: asyncio.StreamWriter
    waiting: bool = True  # for request headers (idle or partial): may be closed to make room
    since: int = 0  # order of the wait's start, for "longest waiting"


class HTTPServer:
    """Listen on (bind, port) at once (errors surface in the constructor); serve after start()."""

    def __init__(self, bind: str, port: int, handle: Callable[[Request], Response], *,
                 header_timeout: float = 10.0, write_timeout: float = 60.0, max_connections: int = 512,
                 server_name: str = "digestgen-serve"):
        family = socket.AF_INET6 if ":" in bind else socket.AF_INET
        self.socket = socket.create_server((bind, port), family=family, backlog=BACKLOG)
        self.server_address = self.socket.getsockname()
        self.handle = handle
        # handle() is answered on the event loop itself: it never waits (a thread pool's
        # hand-off cost 0.6 ms a request: 200 clients at once waited 115 ms)
        self.header_timeout, self.write_timeout = header_timeout, write_timeout
        self.max_connections, self.server_name = max_connections, server_name
        self.connections: dict[_Connection, None] = {}  # insertion-ordered
        self.ticket = itertools.count()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping: asyncio.Event | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="digestgen-http", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> None:
        self.thread.start()
        self.ready.wait()

    def stop(self) -> None:
        """Close the listening socket and every connection; wait for the loop to finish."""
        if self.loop is not None and self.stopping is not None and self.thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop has just ended by itself
                self.loop.call_soon_threadsafe(self.stopping.set)
            self.thread.join(timeout=10)
        self.socket.close()

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.loop.set_exception_handler(_quiet_exceptions)
        self.stopping = asyncio.Event()
        # start_server listens again, with its own default backlog (100) unless told
        server = await asyncio.start_server(self._connection, sock=self.socket, backlog=BACKLOG, limit=MAX_HEAD)
        self.ready.set()
        try:
            await self.stopping.wait()
        finally:
            server.close()
            for conn in list(self.connections):
                conn.writer.transport.abort()  # each connection's task sees its client gone and ends
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if tasks:
                _, late = await asyncio.wait(tasks, timeout=5)
                for task in late:
                    task.cancel()

    def _make_room(self) -> bool:
        """Below the cap, or made so by closing the longest-waiting idle connection."""
        if len(self.connections) < self.max_connections:
            return True
        idle = [c for c in self.connections if c.waiting and not c.writer.is_closing()]
        if not idle:
            return False
        oldest = min(idle, key=lambda c: c.since)
        oldest.writer.transport.abort()
        self.connections.pop(oldest, None)
        return True

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:  # a response may go out in a few writes: none may wait for the last one's ACK
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = _Connection(writer, since=next(self.ticket))
        room = self._make_room()
        self.connections[conn] = None
        try:
            if room:
                await self._serve(conn, reader)
            else:
                busy = plain(HTTPStatus.SERVICE_UNAVAILABLE, "busy: too many connections\n")
                await self._send(writer, busy, head_only=False, keep_alive=False)
                await _linger(reader, writer)
            writer.close()  # after what is still buffered has been sent
            await asyncio.wait_for(writer.wait_closed(), self.write_timeout)
        except CLIENT_GONE:
            pass  # the client went away, or never finished its request: not an error
        finally:
            self.connections.pop(conn, None)
            writer.transport.abort()  # no-op once closed; else drop what is left

    async def _serve(self, conn: _Connection, reader: asyncio.StreamReader) -> None:
        """Answer requests on one connection until either side ends it."""
        keep_alive = True
        while keep_alive:
            conn.waiting, conn.since = True, next(self.ticket)
            try:
                request = await asyncio.wait_for(_read_request(reader), self.header_timeout)
            except BadRequest as bad:
                await self._send(conn.writer, plain(bad.status, f"{bad.status.phrase.lower()}\n"), head_only=False,
                                 keep_alive=False)
                return
            if request is None:
                return  # closed between requests
            conn.waiting = False
            response = await self._respond(request)
            keep_alive = await self._send(conn.writer, response, request.method == "HEAD", _wants_keep_alive(request),
                                          reader)

    async def _respond(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return plain(HTTPStatus.NOT_IMPLEMENTED, f"method {request.method} not supported\n")
        try:
            return self.handle(request)
        except Exception:  # noqa: BLE001 - a bug answers 500 and is shown, the server goes on
            traceback.print_exc(file=sys.stderr)
            return plain(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error; see the terminal\n")

    async def _send(self, writer: asyncio.StreamWriter, response: Response, head_only: bool, keep_alive: bool,
                    reader: asyncio.StreamReader | None = None) -> bool:
        """Write the response; True when the connection may serve another request."""
        try:
            keep_alive = keep_alive and response.stream is None
            lines = [f"HTTP/1.1 {response.status.value} {response.status.phrase}", f"Server: {self.server_name}",
                     *(f"{name}: {value}" for name, value in response.headers)]
            if response.stream is None:
                lines.append(f"Content-Length: {response.length()}")
            lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
            head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            for chunk in blocks(_pieces(head_bytes, [] if head_only else response.body), CHUNK):
                writer.write(chunk)  # one write (one segment) for a small response
                await self._drain(writer)
            if response.stream is not None and reader is not None and not head_only:
                await self._send_stream(writer, reader, response.stream())
            return keep_alive
        finally:
            response.close()

    async def _drain(self, writer: asyncio.StreamWriter) -> None:
        await asyncio.wait_for(writer.drain(), self.write_timeout)

    async def _send_stream(self, writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                           chunks: AsyncIterator[bytes]) -> None:
        """Write chunks until they end or the client hangs up (seen at once, not at the next write)."""
        hangup = asyncio.ensure_future(reader.read(1))
        try:
            while True:
                following = asyncio.ensure_future(chunks.__anext__())
                done, _ = await asyncio.wait({following, hangup}, return_when=asyncio.FIRST_COMPLETED)
                if following not in done:
                    following.cancel()
                    return
                try:
                    chunk = following.result()
                except StopAsyncIteration:
                    return
                writer.write(chunk)
                await self._drain(writer)
        finally:
            hangup.cancel()
            with contextlib.suppress(Exception):
                await chunks.aclose()  # type: ignore[attr-defined]


def _pieces(head: bytes, body: list[Part]) -> Iterator[bytes | memoryview]:
    """The bytes of a response in order, a chunk at a time: files read as they are sent, and
    a big body in memory never copied whole into the connection's buffer."""
    yield head
    for part in body:
        if isinstance(part, bytes):
            view = memoryview(part)
            for start in range(0, len(part), CHUNK):
                yield view[start : start + CHUNK]
            continue
        fd, offset, end = part.file.fileno(), part.offset, part.offset + part.length
        while offset < end:
            chunk = os.pread(fd, min(CHUNK, end - offset), offset)
            if not chunk:
                raise ConnectionAbortedError("file shrank while it was sent")  # Content-Length is a promise
            offset += len(chunk)
            yield chunk


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request's line and headers; None when the client closed cleanly before one."""
    lines: list[bytes] = []
    size = 0
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if not lines and not exc.partial:
                return None
            raise
        except asyncio.LimitOverrunError:
            raise BadRequest(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE) from None
        size += len(line)
        if size > MAX_HEAD or len(lines) > MAX_HEADERS:
            raise BadRequest(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
        if line in (b"\r\n", b"\n"):
            if not lines:
                continue  # blank lines before a request are allowed (RFC 9112, 2.2)
            break
        lines.append(line)
    words = lines[0].decode("latin-1").split()
    if len(words) != 3 or not words[2].startswith("HTTP/1."):
        raise BadRequest(HTTPStatus.BAD_REQUEST)
    try:
        headers = http.client.parse_headers(io.BytesIO(b"".join(lines[1:]) + b"\r\n"))
    except http.client.HTTPException:
        raise BadRequest(HTTPStatus.BAD_REQUEST) from None
    if headers.get("Transfer-Encoding") or headers.get("Content-Length", "0").strip() != "0":
        raise BadRequest(HTTPStatus(413))  # a preview takes no request bodies
    return Request(words[0], words[1], words[2], headers)


def _wants_keep_alive(request: Request) -> bool:
    connection = (request.headers.get("Connection") or "").lower()
    if request.version == "HTTP/1.0":
        return "keep-alive" in connection
    return "close" not in connection


def _quiet_exceptions(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
    """Clients that go away are routine; anything else is reported as asyncio would."""
    if isinstance(context.get("exception"), (*CLIENT_GONE, asyncio.CancelledError)):
        return
    loop.default_exception_handler(context)


async def _linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Say we are done, then read (and drop) what the client sent until it closes, for at most
    LINGER_SECONDS and MAX_HEAD bytes: a socket closed with a request unread resets the
    connection, and the client may then lose the answer it has not read yet."""
    if writer.can_write_eof():
        writer.write_eof()

    async def drop() -> None:
        left = MAX_HEAD
        while left > 0 and (data := await reader.read(left)):
            left -= len(data)

    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(drop(), LINGER_SECONDS)
