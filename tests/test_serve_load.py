"""The preview server under load: many clients at once, slowloris, large files, clients that
leave, serve stopped while it indexes, and warnings printed once."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_serve import PAPER, edit, get, wait_for

from digestgen.serve import Preview

CLIENTS = 200
MB = 1024 * 1024


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return Path(shutil.copytree(Path(__file__).parent / "sites/basic", tmp_path / "site"))


@pytest.fixture
def running(site: Path) -> Iterator[Preview]:
    logs: list[str] = []
    preview = Preview(site, port=0, settle=0.1, log=logs.append, header_timeout=1.0, max_connections=300)
    preview.logs = logs  # type: ignore[attr-defined]
    preview.start()
    yield preview
    preview.stop()


def ok(response: bytes) -> bool:
    return response.startswith((b"HTTP/1.1 200 ", b"HTTP/1.0 200 "))


def request(path: str, port: int, method: str = "GET") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()


async def fetch_all(port: int, clients: int) -> list[bytes]:
    async def one() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request("/", port))
        data = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        return data

    return await asyncio.wait_for(asyncio.gather(*(one() for _ in range(clients)), return_exceptions=True), 30)


async def hello_burst(port: int, clients: int, while_open: list[int]) -> list[bool]:
    async def one() -> tuple[asyncio.StreamWriter, bool]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /__digestgen/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        data = b""
        while b"event: hello" not in data:
            chunk = await asyncio.wait_for(reader.read(4096), 10)
            if not chunk:
                break
            data += chunk
        return writer, b"event: hello" in data

    results = await asyncio.wait_for(asyncio.gather(*(one() for _ in range(clients)), return_exceptions=True), 30)
    while_open.append(threading.active_count())
    for result in results:
        if isinstance(result, tuple):
            result[0].close()
    return [isinstance(result, tuple) and result[1] for result in results]


def test_200_clients_at_once_all_get_the_page(running: Preview) -> None:
    answers = asyncio.run(fetch_all(running.port, CLIENTS))
    failed = [a for a in answers if not (isinstance(a, bytes) and ok(a))]
    assert not failed, f"{len(failed)} of {CLIENTS} failed, e.g. {failed[0]!r}"
    assert all(isinstance(a, bytes) and b"</html>" in a for a in answers)


def test_connections_queue_while_the_server_is_busy_and_are_all_served(running: Preview) -> None:
    """The listen backlog holds a burst: with the server's loop held up, 300 clients still connect
    (the kernel completes their handshakes) and each is answered once the loop runs again."""
    gate = threading.Event()
    loop = running.server.loop
    assert loop is not None
    loop.call_soon_threadsafe(gate.wait, 30)  # the loop answers nothing until the gate opens
    socks = []
    try:
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", running.port), timeout=5)  # a full queue drops SYNs
            sock.sendall(request("/__digestgen/live.js", running.port))
            socks.append(sock)
    finally:
        gate.set()
    for sock in socks:
        head, _ = read_head(sock)
        assert ok(head)
        sock.close()


def test_a_burst_of_200_event_streams_all_say_hello_without_a_thread_each(running: Preview) -> None:
    before = threading.active_count()
    while_open: list[int] = []
    hellos = asyncio.run(hello_burst(running.port, CLIENTS, while_open))
    assert sum(hellos) == CLIENTS
    assert while_open[0] - before < 20  # streams wait in the server's event loop, not in threads
    wait_for(lambda: not running.server.connections, "the streams to be closed")


def partial_request(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and then nothing more
    return sock


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server closes the connection within `within` seconds (waits on the socket)."""
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass  # an error answer may come first
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False
    return True


def test_slowloris_is_timed_out_and_a_real_client_still_gets_through(site: Path) -> None:
    preview = Preview(site, port=0, log=lambda message: None, header_timeout=3.0, max_connections=300)
    preview.start()
    held = [partial_request(preview.port) for _ in range(400)]  # more than the cap
    idle = socket.create_connection(("127.0.0.1", preview.port), timeout=10)  # connects, never asks
    try:
        status, _, body = get(preview.port, "/")
        assert status == 200 and b"</html>" in body
        # served by making room, not by waiting for the header timeout: most are still held
        assert sum(conn.waiting for conn in list(preview.server.connections)) > 100
        for sock in [*held, idle]:
            assert closed_by_server(sock, within=20.0)  # 3 s header timeout, generous margin
        assert get(preview.port, "/")[0] == 200
        assert threading.active_count() < 40
    finally:
        for sock in [*held, idle]:
            sock.close()
        preview.stop()


def put_big_file(preview: Preview, size: int) -> tuple[str, str]:
    files = preview.files()
    assert files is not None
    data = os.urandom(MB) * (size // MB)
    files["big.bin"] = data  # served from memory, like every file of a preview
    return "/big.bin", hashlib.sha256(data).hexdigest()


def read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "closed before the headers"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def test_large_files_are_streamed_not_read_whole(running: Preview) -> None:
    size = 48 * MB
    path, digest = put_big_file(running, size)
    tracemalloc.start()
    try:
        readers = []
        for _ in range(4):
            sock = socket.create_connection(("127.0.0.1", running.port), timeout=10)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
            sock.sendall(request(path, running.port))
            head, _ = read_head(sock)
            assert ok(head) and f"Content-Length: {size}".encode() in head
            readers.append(sock)  # slow readers: they read nothing more for now
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        for sock in readers:
            sock.close()
    assert peak < 8 * MB, f"serving 4 x {size // MB} MB took {peak / MB:.0f} MB"
    # the whole file arrives intact, and HEAD gives its length without a body
    with socket.create_connection(("127.0.0.1", running.port), timeout=30) as sock:
        sock.sendall(request(path, running.port))
        head, body = read_head(sock)
        hasher = hashlib.sha256(body)
        while chunk := sock.recv(MB):
            hasher.update(chunk)
        assert hasher.hexdigest() == digest
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        sock.sendall(request(path, running.port, "HEAD"))
        head, body = read_head(sock)
        assert f"Content-Length: {size}".encode() in head and body == b"" and sock.recv(10) == b""


def test_a_cancelled_download_is_not_an_error(running: Preview, capfd: pytest.CaptureFixture[str]) -> None:
    path, _ = put_big_file(running, 32 * MB)
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", running.port), timeout=10)
        sock.sendall(request(path, running.port))
        read_head(sock)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # a reset in the middle of the download (a cancelled download)
    wait_for(lambda: not running.server.connections, "the server to let the downloads go")
    assert get(running.port, "/")[0] == 200
    out, err = capfd.readouterr()
    assert "Traceback" not in err and "Error" not in err and "Error" not in out
    assert running.logs == [line for line in running.logs if "rror" not in line]  # type: ignore[attr-defined]


def test_leftover_search_folders_of_ended_sessions_are_swept_on_start(site: Path) -> None:
    cache = site / ".digestgen-cache"
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    gone = cache / f".serve-search-{ended.pid}"
    alive = cache / f".serve-search-{os.getppid()}"  # the test runner's parent: a live process
    for folder in (gone, alive):
        (folder / "fragment").mkdir(parents=True)
        (folder / "fragment/x.pf_fragment").write_bytes(b"x")
    preview = Preview(site, port=0, log=lambda message: None)
    preview.start()
    try:
        assert not gone.exists()
        assert (alive / "fragment/x.pf_fragment").is_file()  # perhaps a serve still running: kept
    finally:
        preview.stop()


FAKE_PAGEFIND = '''
import os, pathlib, sys, time
args = sys.argv[1:]
out = pathlib.Path(args[args.index("--output-path") + 1])
(out / "fragment").mkdir(parents=True)
(out / "fragment/a.pf_fragment").write_bytes(b"x")
pathlib.Path(os.environ["STAND_IN_PID_FILE"]).write_text(str(os.getpid()))
while True:
    time.sleep(60)  # a slow index: serve is stopped while it runs
'''


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "Ctrl-C"])  # Ctrl-C: SIGINT to the process group
def test_serve_stopped_while_it_indexes_leaves_no_search_folder(site: Path, tmp_path: Path, how: str) -> None:
    """A stand-in for Pagefind that never finishes holds serve in the middle of indexing."""
    config = site / "site.yaml"
    config.write_text(config.read_text().replace("search: false", "search: true"))
    stand_in = tmp_path / "stand-in"
    (stand_in / "pagefind").mkdir(parents=True)
    (stand_in / "pagefind/__init__.py").write_text("")
    (stand_in / "pagefind/__main__.py").write_text(FAKE_PAGEFIND)
    pid_file = tmp_path / "pagefind.pid"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(stand_in), os.environ.get("PYTHONPATH", "")]),
           "STAND_IN_PID_FILE": str(pid_file)}
    proc = subprocess.Popen([sys.executable, "-m", "digestgen", "serve", "--site", str(site), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        assert proc.stdout is not None and "serving" in proc.stdout.readline()
        # the stand-in has started once its pid is written whole (the file exists a moment before)
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "the search index to start")
        assert [p.name for p in (site / ".digestgen-cache").iterdir() if "-search-" in p.name]
        if how == "Ctrl-C":
            os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: Pagefind gets it too
        else:
            proc.send_signal(getattr(signal, how))
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "Traceback" not in err and "search index not updated" not in err, err
    assert not [p.name for p in (site / ".digestgen-cache").iterdir() if "-search-" in p.name]
    pagefind = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pagefind, 0)  # ended and reaped with serve, not writing on


def test_each_warning_is_printed_once_and_its_fix_once(running: Preview, site: Path) -> None:
    logs: list[str] = running.logs  # type: ignore[attr-defined]
    stray = site / "content/papers/notes.txt"
    stray.write_text("not a paper")
    wait_for(lambda: any("notes.txt:" in line for line in logs), "the warning")
    warning = next(line for line in logs if "notes.txt:" in line)
    assert "warning:" in warning and "is not a paper entry" in warning
    builds = running.builds
    edit(site, PAPER, "upvotes: 120", "upvotes: 121")
    wait_for(lambda: running.builds > builds, "the rebuild after an unrelated edit")
    assert sum("notes.txt:" in line for line in logs) == 1  # not printed again
    builds = running.builds
    edit(site, PAPER, "upvotes: 121", "upvotes: [")  # a build that fails prints its errors, not old warnings
    wait_for(lambda: running.builds > builds, "the failed rebuild")
    assert any(PAPER in line for line in logs) and sum("notes.txt:" in line for line in logs) == 1
    builds = running.builds
    edit(site, PAPER, "upvotes: [", "upvotes: 121")
    wait_for(lambda: running.builds > builds, "the rebuild after the repair")
    assert sum("notes.txt:" in line for line in logs) == 1
    builds = running.builds
    stray.unlink()
    wait_for(lambda: running.builds > builds, "the rebuild after the fix")
    fixed = [line for line in logs if "notes.txt:" in line][1:]
    assert len(fixed) == 1 and fixed[0].startswith("fixed: content/papers/notes.txt:1:1: (file): ")
    builds = running.builds
    edit(site, PAPER, "upvotes: 121", "upvotes: 122")
    wait_for(lambda: running.builds > builds, "one more rebuild")
    assert sum("notes.txt:" in line for line in logs) == 2


def exchange(port: int, raw: bytes) -> bytes:
    """Send raw bytes, return everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


def test_the_server_answers_malformed_and_unsupported_requests_and_closes(running: Preview) -> None:
    port = running.port
    host = f"Host: 127.0.0.1:{port}\r\n".encode()
    assert exchange(port, b"GET / HTTP/1.1\r\n" + host + b"X-Big: " + b"a" * 70_000 + b"\r\n\r\n").startswith(
        b"HTTP/1.1 431 ")
    assert exchange(port, b"POST / HTTP/1.1\r\n" + host + b"Content-Length: 3\r\n\r\nabc").startswith(b"HTTP/1.1 413 ")
    assert exchange(port, b"DELETE / HTTP/1.1\r\n" + host + b"Connection: close\r\n\r\n").startswith(b"HTTP/1.1 501 ")
    assert exchange(port, b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    # two requests on one kept-alive connection, then one asking to close
    answer = exchange(port, b"HEAD / HTTP/1.1\r\n" + host + b"\r\nGET /__digestgen/live.js HTTP/1.1\r\n" + host +
                      b"Connection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200 ") == 2 and answer.rstrip().endswith(b"})();")


def test_when_every_connection_is_busy_a_newcomer_gets_503(site: Path) -> None:
    preview = Preview(site, port=0, log=lambda message: None, max_connections=3)
    preview.start()
    try:
        streams = []
        for _ in range(3):  # event streams are busy connections: they are never closed to make room
            sock = socket.create_connection(("127.0.0.1", preview.port), timeout=10)
            sock.sendall(f"GET /__digestgen/events HTTP/1.1\r\nHost: 127.0.0.1:{preview.port}\r\n\r\n".encode())
            read_head(sock)
            streams.append(sock)
        assert exchange(preview.port, request("/", preview.port)).startswith(b"HTTP/1.1 503 ")
        streams.pop().close()
        wait_for(lambda: len(preview.server.connections) < 3, "a stream to end")
        assert ok(exchange(preview.port, request("/", preview.port)))
        for sock in streams:
            sock.close()
    finally:
        preview.stop()


def test_a_fifo_in_the_search_folder_is_not_read(running: Preview) -> None:
    folder = running.search_folder() / "pagefind"  # the only part of a preview served from disk
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / "pipe.json")  # opening it for reading would wait for a writer forever
    assert get(running.port, "/pagefind/pipe.json")[0] == 404  # at once (get() gives up after 10 s)
