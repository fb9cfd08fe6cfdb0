"""Class 7 and output refusals: crashes, faults and bad output folders never lose the published site."""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digestgen.errors import BuildLockedError
from digestgen.output import build_lock

from .security_helpers import EPOCH, build, debris, make_site, run_cli, tree, write

EXTRA = '---\ntitle: "Another paper"\ndate: 2025-11-21\narxiv: "2511.00002"\ntags: [safety, crashes]\n---\nNote {n}.\n'


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return env


def _start_build(root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "digestgen", "build", "--site", str(root)],
                            env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _versions(site: Path, tmp_path: Path) -> list[dict[str, str]]:
    """The complete public/ trees of the two content versions the kill loop alternates between."""
    trees = []
    for n in (0, 1):
        copy = tmp_path / f"reference-{n}"
        shutil.copytree(site, copy, symlinks=True)
        write(copy, "content/papers/2511.00002.md", EXTRA.format(n=n))
        shutil.rmtree(copy / "public")
        assert build(copy).code == 0
        trees.append(tree(copy / "public"))
    assert trees[0] != trees[1]
    return trees


def test_sigkill_at_random_moments_never_breaks_public(site: Path, tmp_path: Path) -> None:
    versions = _versions(site, tmp_path)
    write(site, "content/papers/2511.00002.md", EXTRA.format(n=0))
    assert build(site).code == 0
    assert tree(site / "public") == versions[0]
    started = time.perf_counter()
    probe = _start_build(site)
    probe.wait(timeout=60)
    full = time.perf_counter() - started  # one whole build, interpreter start included
    rng = random.Random(7)
    states = set()
    killed = 0
    for attempt in range(15):
        write(site, "content/papers/2511.00002.md", EXTRA.format(n=(attempt + 1) % 2))
        proc = _start_build(site)
        time.sleep(rng.uniform(0.0, full * 1.2))
        proc.send_signal(signal.SIGKILL)
        killed += proc.wait(timeout=60) == -signal.SIGKILL
        now = tree(site / "public")
        assert now in versions, f"attempt {attempt}: public/ is neither complete version"
        states.add(versions.index(now))
        assert b"Traceback" not in (proc.stderr.read() if proc.stderr else b"")
        if proc.stderr:
            proc.stderr.close()
    assert killed >= 5, "the delays should interrupt most builds"
    write(site, "content/papers/2511.00002.md", EXTRA.format(n=1))
    final = build(site)
    assert final.code == 0, final.err
    assert tree(site / "public") == versions[1]
    assert debris(site) == []


def _fail_on_call(monkeypatch: pytest.MonkeyPatch, target: object, name: str, error: BaseException, after: int) -> None:
    original = getattr(target, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > after:
            raise error
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)


def _change(site: Path) -> dict[str, str]:
    write(site, "content/papers/2511.00002.md", EXTRA.format(n=5))
    return tree(site / "public")


def test_exception_mid_render_leaves_previous_site(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from digestgen import render

    before = _change(site)
    _fail_on_call(monkeypatch, render.Renderer, "render", RuntimeError("template blew up"), after=2)
    from digestgen.build import build as build_site

    with pytest.raises(RuntimeError):
        build_site(site)
    assert tree(site / "public") == before
    assert debris(site) == []


def test_keyboard_interrupt_mid_render(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from digestgen import render

    before = _change(site)
    _fail_on_call(monkeypatch, render.Renderer, "render", KeyboardInterrupt(), after=1)
    run = run_cli("build", "--site", str(site))
    assert run.code == 130 and "interrupted" in run.err and "Traceback" not in run.err
    assert tree(site / "public") == before
    assert debris(site) == []


@pytest.mark.parametrize("after", [0, 3])
def test_full_disk_while_writing_files(site: Path, monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    from digestgen import output

    before = _change(site)
    _fail_on_call(monkeypatch, output, "place", OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), after=after)
    run = run_cli("build", "--site", str(site))
    assert run.code == 1, run.err
    assert "No space left on device" in run.err and "Traceback" not in run.err
    assert tree(site / "public") == before
    assert debris(site) == []


def test_full_disk_while_writing_the_manifest(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from digestgen import output

    before = _change(site)
    original = output.create

    def create(target, blocks):  # type: ignore[no-untyped-def]
        if Path(target).name == output.MANIFEST:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        return original(target, blocks)

    monkeypatch.setattr(output, "create", create)
    run = run_cli("build", "--site", str(site))
    assert run.code == 1 and "No space left on device" in run.err and "Traceback" not in run.err
    assert tree(site / "public") == before
    assert debris(site) == []


def test_two_builds_at_once_do_not_corrupt_each_other(site: Path, tmp_path: Path) -> None:
    versions = _versions(site, tmp_path)
    write(site, "content/papers/2511.00002.md", EXTRA.format(n=1))
    procs = [_start_build(site) for _ in range(3)]
    for proc in procs:
        assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    assert tree(site / "public") == versions[1]
    assert debris(site) == []


def test_a_second_build_waits_for_the_lock(site: Path) -> None:
    before = _change(site)
    with build_lock(site / "public"):
        proc = _start_build(site)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline and proc.poll() is None:
            assert tree(site / "public") == before  # nothing is swapped in while the lock is held
            time.sleep(0.05)
        assert proc.poll() is None, "the second build did not wait for the lock"
    assert proc.wait(timeout=60) == 0
    if proc.stderr:
        proc.stderr.close()
    assert tree(site / "public") != before


def test_lock_refuses_clearly_when_asked_not_to_wait(site: Path) -> None:
    with build_lock(site / "public"), pytest.raises(BuildLockedError, match="another digestgen build"), \
            build_lock(site / "public", wait=False):
        pass


# --- output folder refusals --------------------------------------------------------------

@pytest.mark.parametrize("output", [".", "content", "content/papers", "static", "templates", "..", "../..",
                                    "content/out", "static/out"])
def test_output_folder_that_would_destroy_sources_refused(site: Path, output: str) -> None:
    (site / "static").mkdir(exist_ok=True)
    (site / "templates").mkdir(exist_ok=True)
    write(site, "static/keep.txt", "keep")
    around = site.parent
    before = tree(around)
    run = run_cli("build", "--site", str(site), "--output", str(site / output))
    assert run.code == 2, run.err
    assert "refusing" in run.err and "Traceback" not in run.err
    assert tree(around) == before


def test_foreign_non_empty_output_folder_refused(site: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "home"
    write(foreign, "notes.txt", "precious")
    run = run_cli("build", "--site", str(site), "--output", str(foreign))
    assert run.code == 2 and "not empty" in run.err
    assert (foreign / "notes.txt").read_text() == "precious" and sorted(os.listdir(foreign)) == ["notes.txt"]


def test_output_that_is_a_file_or_links_to_a_foreign_folder_refused(site: Path, tmp_path: Path) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    assert run_cli("build", "--site", str(site), "--output", str(file)).code == 2
    foreign = tmp_path / "etc"
    write(foreign, "passwd", "root:x:0:0")
    link = tmp_path / "link"
    link.symlink_to(foreign)
    run = run_cli("build", "--site", str(site), "--output", str(link))
    assert run.code == 2 and "Traceback" not in run.err
    assert tree(foreign) == {"passwd": tree(foreign)["passwd"]} and file.read_text() == "x"
    assert (foreign / "passwd").read_text() == "root:x:0:0"


def test_empty_folder_and_digestgen_folder_accepted(site: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("build", "--site", str(site), "--output", str(empty)).code == 0
    assert run_cli("build", "--site", str(site), "--output", str(empty)).code == 0
    assert (empty / "index.html").is_file()


def test_bad_site_yaml_exits_2_and_keeps_output(tmp_path: Path) -> None:
    root = make_site(tmp_path / "s")
    assert build(root).code == 0
    before = tree(root / "public")
    write(root, "site.yaml", "title: [unclosed\n")
    run = build(root)
    assert run.code == 2 and run.problems and run.problems[0]["path"] == "site.yaml"
    assert tree(root / "public") == before
