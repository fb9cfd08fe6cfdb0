"""Sources are read with bounds: no pipe blocks a build, no device or huge file fills memory."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from digestgen.yamlio import MAX_FILE_BYTES

from .security_helpers import EPOCH, GOOD_PAPER, tree, write

# a command that blocks on a pipe never finishes: each run gets this long, then fails the test
TIMEOUT = 60

SPECIAL_PLACES = ["content/papers/2511.00009.md", "content/pages/about.md", "content/issues/2025-W47.md",
                  "static/logo.svg", "content/tags.yaml", "templates/paper.html",
                  "themes/mine/templates/base.html", "themes/mine/static/x.css"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return subprocess.run(
        [sys.executable, "-m", "digestgen", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("rel", SPECIAL_PLACES)
@pytest.mark.parametrize("command", ["check", "build"])
def test_a_named_pipe_is_refused_before_it_is_opened(site: Path, rel: str, command: str) -> None:
    before = tree(site / "public")
    (site / rel).parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(site / rel)
    run = _cli(command, "--site", str(site))
    assert run.returncode == 1, run.stderr
    assert f"{rel}:1:1: (file): not a regular file (a named pipe)" in run.stderr
    assert "Traceback" not in run.stderr
    assert tree(site / "public") == before


def test_a_character_device_entry_is_refused(site: Path) -> None:
    rel = "content/papers/2511.00009.md"
    try:
        os.mknod(site / rel, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # what /dev/zero is
    except PermissionError:
        pytest.skip("making a device needs privileges")
    run = _cli("check", "--site", str(site))
    assert run.returncode == 1, run.stderr
    assert f"{rel}:1:1: (file): not a regular file (a character device)" in run.stderr
    assert "MemoryError" not in run.stderr and "Traceback" not in run.stderr


def _bytes_read() -> int:
    """Bytes this process has read by read() calls so far (the kernel's count)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/<pid>/io")
def test_an_oversized_entry_is_refused_by_its_size_without_being_read(site: Path) -> None:
    from digestgen.errors import ContentError
    from digestgen.load import check

    rel = "content/papers/2511.00009.md"
    with open(site / rel, "wb") as handle:  # 64 MB, sparse: its bytes cost nothing until read
        handle.write(GOOD_PAPER.encode())
        handle.truncate(64 * MAX_FILE_BYTES)
    start = _bytes_read()
    with pytest.raises(ContentError) as caught:
        check(site)
    read = _bytes_read() - start
    assert any(
        p.path == rel and "is 64,000,000 bytes; the limit is 1,000,000" in p.message for p in caught.value.problems
    )
    assert read < 8 * MAX_FILE_BYTES, f"read {read:,} bytes to refuse a file by its size"


def test_a_file_replaced_by_a_pipe_after_the_listing_is_not_opened_blocking(tmp_path: Path) -> None:
    from digestgen.yamlio import NotRegularFile, read_bounded

    pipe = tmp_path / "entry.md"
    os.mkfifo(pipe)
    with pytest.raises(NotRegularFile, match="named pipe"):
        read_bounded(pipe, 100)
    write(tmp_path, "small.md", "x" * 10)
    assert read_bounded(tmp_path / "small.md", 100) == (b"x" * 10, 10)
    assert read_bounded(tmp_path / "small.md", 5) == (b"", 10)
    assert read_bounded(tmp_path / "small.md", 5, head=True) == (b"x" * 6, 10)
