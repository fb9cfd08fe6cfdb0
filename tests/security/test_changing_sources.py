"""Sources that change while a build runs are never published half-read; builds read under the lock."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from digestgen.output import build_lock

from .security_helpers import EPOCH, run_cli, tree, write

ENTRY = "content/papers/2511.00002.md"
TEXT = '---\ntitle: "Another paper"\ndate: 2025-11-21\narxiv: "2511.00002"\ntags: [safety]\n---\n{body}\n'


def _rewrite_while_rendering(monkeypatch: pytest.MonkeyPatch, site: Path, bodies: list[str]) -> None:
    """Rewrite the entry in place, in two writes (as an editor that does not save atomically
    does), while the build renders its pages: once per build, with the next of bodies."""
    from digestgen import render

    original = render.Renderer.render
    pending = list(bodies)

    def render_(self, route, *args, **kwargs):  # type: ignore[no-untyped-def]
        if pending and route.template == "paper.html":
            data = TEXT.format(body=pending.pop(0)).encode()
            with open(site / ENTRY, "r+b") as handle:
                handle.truncate(0)
                handle.write(data[: len(data) // 2])
                handle.flush()
                handle.write(data[len(data) // 2 :])
        return original(self, route, *args, **kwargs)

    monkeypatch.setattr(render.Renderer, "render", render_)
    monkeypatch.setenv("DIGESTGEN_WORKERS", "1")  # render in this process, where the hook is


def test_an_entry_rewritten_during_the_build_is_built_again(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(site, ENTRY, TEXT.format(body="First words."))
    _rewrite_while_rendering(monkeypatch, site, ["Final words."])
    run = run_cli("build", "--site", str(site))
    assert run.code == 0, run.err
    assert f"{ENTRY} changed while the site was built; building again" in run.err
    assert "Final words." in (site / "public/papers/2511.00002/index.html").read_text()


def test_an_entry_that_keeps_changing_is_not_published(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree(site / "public")
    write(site, ENTRY, TEXT.format(body="First words."))
    _rewrite_while_rendering(monkeypatch, site, [f"Words {n}." for n in range(10)])
    run = run_cli("build", "--site", str(site))
    assert run.code == 1, run.err
    assert (f"digestgen: {ENTRY} changed while the site was built during each of 3 builds; nothing was published: "
            "the previous site is untouched") in run.err
    assert tree(site / "public") == before


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return env


def _blocked_on_a_lock(pid: int) -> bool:
    """True once process pid waits for a file lock (a '->' line of /proc/locks)."""
    return any(
        re.match(rf"\d+: -> \w+\s+\w+\s+\w+\s+{pid} ", line) for line in Path("/proc/locks").read_text().splitlines()
    )


def _wait_until_blocked(proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not _blocked_on_a_lock(proc.pid):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build never waited for the lock"
        time.sleep(0.02)


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_a_build_that_waited_reads_the_sources_after_the_wait(site: Path) -> None:
    write(site, ENTRY, TEXT.format(body="Old words."))
    with build_lock(site / "public"):
        waiting = subprocess.Popen([sys.executable, "-m", "digestgen", "build", "--site", str(site)], env=_env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _wait_until_blocked(waiting)
        write(site, ENTRY, TEXT.format(body="New words."))
    _out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "New words." in (site / "public/papers/2511.00002/index.html").read_text()


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_a_build_that_waited_reuses_what_the_first_one_published(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from digestgen import build as build_module
    from digestgen import quick, render

    write(site, ENTRY, TEXT.format(body="Old words."))
    assert run_cli("build", "--site", str(site)).code == 0
    write(site, ENTRY, TEXT.format(body="New words."))
    rendered: dict[str, list[str]] = {}  # the pages each build rendered, by the name of its thread
    original = render.Renderer.render

    def render_(self, route, *args, **kwargs):  # type: ignore[no-untyped-def]
        rendered.setdefault(threading.current_thread().name, []).append(route.template)
        return original(self, route, *args, **kwargs)

    monkeypatch.setattr(render.Renderer, "render", render_)
    results: list[int] = []
    with build_lock(site / "public"):  # held for the first build, made below
        waiting = threading.Thread(target=lambda: results.append(build_module.build(site).stats.files), name="waited")
        waiting.start()
        deadline = time.monotonic() + 60
        while not _blocked_on_a_lock(os.getpid()):
            assert waiting.is_alive() and time.monotonic() < deadline, "the second build never waited for the lock"
            time.sleep(0.02)
        with monkeypatch.context() as patch:  # this build holds the lock taken above
            for module in (build_module, quick):  # (quick.py tells a build with nothing to do)
                patch.setattr(module, "build_lock", lambda output: contextlib.nullcontext())
            build_module.build(site)
    waiting.join(120)
    assert results, "the build that waited failed"
    assert "paper.html" in rendered["MainThread"]
    assert "paper.html" not in rendered.get("waited", []), rendered.get("waited")
    assert "New words." in (site / "public/papers/2511.00002/index.html").read_text()
