"""What a build says about the published folder is true when it is said; a full disk names its file."""

from __future__ import annotations

import builtins
import errno
import io
import os
import stat
from pathlib import Path

import pytest

from .security_helpers import build, run_cli, small_disk, tree, write

EXTRA = '---\ntitle: "Another paper"\ndate: 2025-11-21\narxiv: "2511.00002"\ntags: [safety]\n---\n{body}\n'


def _denied(path: object) -> PermissionError:
    return PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))  # type: ignore[arg-type]


def _check_parent(path: object, dir_fd: int | None = None) -> None:
    name = os.fsdecode(path)  # type: ignore[arg-type]
    parent = os.fstat(dir_fd) if dir_fd is not None else os.stat(os.path.dirname(os.path.abspath(name)))
    if not parent.st_mode & stat.S_IWUSR:
        raise _denied(path)


@pytest.fixture
def as_owner(monkeypatch: pytest.MonkeyPatch) -> None:
    """File permissions as the owner of the files meets them (root, which runs some test
    machines, ignores them): no file is made, removed or written in a read-only folder."""
    if os.geteuid() != 0:
        return  # the system itself enforces them
    real_open, real_unlink, real_rmdir, real_io_open = os.open, os.unlink, os.rmdir, io.open

    def os_open(path, flags, mode=0o777, *, dir_fd=None):  # type: ignore[no-untyped-def]
        exists = os.path.lexists(path) if dir_fd is None else True
        if flags & os.O_CREAT and not exists:
            _check_parent(path, dir_fd)
        return real_open(path, flags, mode, dir_fd=dir_fd)

    def unlink(path, *, dir_fd=None):  # type: ignore[no-untyped-def]
        _check_parent(path, dir_fd)
        return real_unlink(path, dir_fd=dir_fd)

    def rmdir(path, *, dir_fd=None):  # type: ignore[no-untyped-def]
        _check_parent(path, dir_fd)
        return real_rmdir(path, dir_fd=dir_fd)

    def open_(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wxa+"):
            if not os.path.lexists(file):
                _check_parent(file)
            elif not os.stat(file).st_mode & stat.S_IWUSR:
                raise _denied(file)
        return real_io_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(os, "unlink", unlink)
    monkeypatch.setattr(os, "remove", unlink)
    monkeypatch.setattr(os, "rmdir", rmdir)
    monkeypatch.setattr(io, "open", open_)
    monkeypatch.setattr(builtins, "open", open_)


def _read_only(folder: Path) -> None:
    for path, folders, _files in os.walk(folder):
        for name in folders:
            os.chmod(os.path.join(path, name), 0o555)
    os.chmod(folder, 0o555)


def _leftovers(site: Path) -> list[str]:
    return sorted(p.name for p in site.iterdir() if p.name.startswith(".public.") and not p.name.endswith(".lock"))


def test_a_failure_after_the_swap_is_not_reported_as_untouched(site: Path, as_owner: None) -> None:
    """A site published read-only (as some deploys leave it) cannot become the spare: the new
    site is published all the same, the build says so, and nothing is left behind."""
    _read_only(site / "public")
    write(site, "content/papers/2511.00002.md", EXTRA.format(body="First."))
    run = build(site)
    assert run.code == 0, run.err
    assert "untouched" not in run.err
    assert "the new site is published, but the previous one could not be kept as .public.spare" in run.err
    assert "Permission denied: .public.spare/.gitignore" in run.err
    assert "2511.00002" in (site / "public/papers.json").read_text()
    assert _leftovers(site) == []
    for n in range(2):  # later builds: no stale folder either
        write(site, "content/papers/2511.00002.md", EXTRA.format(body=f"Edit {n}."))
        assert build(site).code == 0
        assert _leftovers(site) in ([], [".public.spare"])
        assert f"Edit {n}." in (site / "public/papers/2511.00002/index.html").read_text()


def test_stale_read_only_folders_of_an_earlier_build_are_removed(site: Path, as_owner: None) -> None:
    stale = site / ".public.spare.stale-4242"
    write(stale, "papers/x/index.html", "old")
    _read_only(stale)
    write(site, "content/papers/2511.00002.md", EXTRA.format(body="First."))
    assert build(site).code == 0
    assert not stale.exists()


def test_an_interrupt_after_the_swap_says_the_new_site_is_published(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from digestgen import output

    def interrupted(self: object, old: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.Staging, "_keep", interrupted)
    write(site, "content/papers/2511.00002.md", EXTRA.format(body="First."))
    run = run_cli("build", "--site", str(site))
    assert run.code == 130
    assert "interrupted; the new site was published before that" in run.err and "untouched" not in run.err
    assert "2511.00002" in (site / "public/papers.json").read_text()


@pytest.mark.parametrize("after", [0, 5])
def test_a_full_disk_names_the_file_that_could_not_be_written(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                              after: int) -> None:
    """ENOSPC comes from write(), which names no file: the build names it."""
    real_write = os.write
    writes = {"n": 0}

    def write_(fd: int, data: bytes) -> int:
        try:
            where = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            where = ""
        if ".public.tmp-" in where:
            writes["n"] += 1
            if writes["n"] > after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write_)
    write(site, "content/papers/2511.00002.md", EXTRA.format(body="First."))
    before = tree(site / "public")
    run = run_cli("build", "--site", str(site))
    assert run.code == 1, run.err
    line = run.err.strip().splitlines()[-1]
    assert line.startswith("digestgen: No space left on device: ") and " (of the new site of public/)" in line, line
    assert line.endswith("; nothing was published: the previous site is untouched"), line
    assert ".tmp-" not in line
    assert tree(site / "public") == before
    assert _leftovers(site) in ([], [".public.spare"])


def test_a_real_full_disk(site: Path, tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "400k") as disk:
        out = str(disk / "public")
        assert run_cli("build", "--site", str(site), "--output", out).code == 0
        before = tree(disk / "public")
        write(site, "content/papers/2511.00002.md", EXTRA.format(body="A long note. " * 7000))
        run = run_cli("build", "--site", str(site), "--output", out)
        assert run.code == 1, run.err
        assert "No space left on device: " in run.err and " (of the new site of public/)" in run.err, run.err
        assert "nothing was published: the previous site is untouched" in run.err
        assert tree(disk / "public") == before
        assert sorted(p.name for p in disk.iterdir() if p.name != ".public.lock") in (
            ["public"],
            [".public.spare", "public"],
        )
