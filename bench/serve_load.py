"""Load the preview server the way a busy desk does, and print what it cost.

Starts `digestgen serve --port 0` on a copy of a site (tests/sites/basic by default) with a
large static file, then runs, one after the other:
- 200 clients at once, each fetching the home page on its own connection: failures and
  latency percentiles;
- a burst of 200 EventSource connections: how many receive their 'hello' event;
- 100 slow readers of the large file (a 64 KiB read every 50 ms): the server's peak memory;
- N slowloris connections (a request line, then nothing): the time a normal request takes
  meanwhile, and whether the partial connections are closed.

    python bench/serve_load.py [--site FOLDER] [--clients 200] [--slowloris 1000]

Peak memory is the server process's VmHWM from /proc (Linux only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIG = 13_600_000


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_of(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else 0


async def fetch(port: int, path: str, timeout: float) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        body = await asyncio.wait_for(reader.read(), timeout)
        writer.close()
        ok = body.startswith(b"HTTP/1.") and b" 200 " in body.split(b"\r\n", 1)[0]
    except (OSError, asyncio.TimeoutError):
        ok = False
    return time.perf_counter() - started, ok


async def fetch_at(port: int, clients: int, start: float) -> list[tuple[float, bool]]:
    await asyncio.sleep(max(0.0, start - time.time()))
    return await asyncio.gather(*(fetch(port, "/", 10.0) for _ in range(clients)))


def client_process(port: int, clients: int, start: float) -> list[tuple[float, bool]]:
    return asyncio.run(fetch_at(port, clients, start))


async def concurrent_pages(port: int, pid: int, clients: int, processes: int = 4) -> str:
    """`clients` connections at the same moment, from a few processes (one Python process alone
    is slower at opening connections than the server is at answering them)."""
    start = time.time() + 1.0
    with ProcessPoolExecutor(processes) as pool:
        cpu = cpu_seconds(pid)
        shares = [clients // processes + (i < clients % processes) for i in range(processes)]
        results = [
            r for part in pool.map(client_process, [port] * processes, shares, [start] * processes) for r in part
        ]
        cpu = cpu_seconds(pid) - cpu
    times = sorted(t for t, _ in results)
    failed = sum(not ok for _, ok in results)
    p = statistics.quantiles(times, n=100)
    return (f"{clients} concurrent page fetches: {failed} failed; p50 {p[49] * 1000:.0f} ms, "
            f"p99 {p[98] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms; server CPU {cpu * 1000:.0f} ms "
            f"(load average {os.getloadavg()[0]:.1f})")


async def hello(port: int, timeout: float) -> bool:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(f"GET /__digestgen/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        data = b""
        end = time.monotonic() + timeout
        while b"event: hello" not in data and time.monotonic() < end:
            chunk = await asyncio.wait_for(reader.read(4096), end - time.monotonic())
            if not chunk:
                break
            data += chunk
        return writer, b"event: hello" in data  # type: ignore[return-value]
    except (OSError, asyncio.TimeoutError):
        return None, False  # type: ignore[return-value]


async def event_burst(port: int, clients: int) -> str:
    started = time.perf_counter()
    results = await asyncio.gather(*(hello(port, 10.0) for _ in range(clients)))
    took = time.perf_counter() - started
    for writer, _ in results:
        if writer is not None:
            writer.close()
    good = sum(ok for _, ok in results)
    return f"burst of {clients} EventSource connections: {good} got 'hello' in {took:.2f} s"


async def slow_reader(port: int, stop: float) -> int:
    got = 0
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /big.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        while time.monotonic() < stop:
            chunk = await asyncio.wait_for(reader.read(65536), 30)
            if not chunk:
                break
            got += len(chunk)
            await asyncio.sleep(0.05)
        writer.close()
    except (OSError, asyncio.TimeoutError):
        pass
    return got


async def slow_readers(port: int, pid: int, readers: int) -> str:
    before = status_of(pid, "VmRSS")
    stop = time.monotonic() + 8
    task = asyncio.gather(*(slow_reader(port, stop) for _ in range(readers)))
    peak_threads = 0
    while not task.done():
        peak_threads = max(peak_threads, status_of(pid, "Threads"))
        await asyncio.sleep(0.2)
    await task
    return (f"{readers} slow readers of a {BIG / 1e6:.1f} MB file: server RSS {before / 1024:.0f} MB before, "
            f"peak {status_of(pid, 'VmHWM') / 1024:.0f} MB, {peak_threads} threads")


async def slowloris(port: int, pid: int, count: int) -> str:
    held = []
    for _ in range(count):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            break
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        held.append((reader, writer))
    await asyncio.sleep(0.5)
    threads = status_of(pid, "Threads")
    took, ok = await fetch(port, "/", 30.0)
    line = (f"{len(held)} slowloris connections: server has {threads} threads; a normal request "
            f"{'succeeded' if ok else 'FAILED'} in {took * 1000:.0f} ms")
    closed = 0
    end = time.monotonic() + 30
    for reader, _ in held:
        try:
            if await asyncio.wait_for(reader.read(), max(0.01, end - time.monotonic())) is not None:
                closed += 1
        except (OSError, asyncio.TimeoutError):
            pass
    for _, writer in held:
        writer.close()
    return line + f"; {closed} of them closed by the server within 30 s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "tests/sites/basic")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--slowloris", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(shutil.copytree(args.site, Path(tmp) / "site"))
        (site / "static").mkdir(exist_ok=True)
        (site / "static/big.json").write_bytes(b"[" + b"0," * (BIG // 2 - 1) + b"0]")
        proc = subprocess.Popen([sys.executable, "-m", "digestgen", "serve", "--site", str(site), "--port", "0"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert proc.stdout is not None
            match = re.search(r":(\d+)/", proc.stdout.readline())
            if not match:
                print("serve did not start", file=sys.stderr)
                return 1
            port = int(match.group(1))
            for step in (concurrent_pages(port, proc.pid, args.clients), event_burst(port, args.clients),
                         slow_readers(port, proc.pid, 100), slowloris(port, proc.pid, args.slowloris)):
                print(asyncio.run(step), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        left = [p.name for p in (site / ".digestgen-cache").iterdir() if "-search-" in p.name]
        print(f"search folders left after SIGTERM: {len(left)}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
