"""A pull request may commit any file into the site folder, a build cache included: the build
never reads a cache from the site folder, and a damaged cache where it does keep one (outside
the site) never changes what is built."""

from __future__ import annotations

import os
import pickle
import shutil
import struct
import zlib
from pathlib import Path

import msgspec
import pytest

from digestgen import cache

from .security_helpers import MARKER, build, tree, write

SECOND = '---\ntitle: "{title}"\ndate: 2025-11-21\narxiv: "2511.00002"\n---\nnote\n'


class _Boom:
    def __init__(self, sentinel: Path):
        self.sentinel = sentinel

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.sentinel}",))


def _reference(site: Path, tmp_path: Path) -> dict[str, str]:
    """What a cold build of the site's sources makes (in a copy without any cache)."""
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, symlinks=True)
    shutil.rmtree(clean / cache.OLD_CACHE_DIR, ignore_errors=True)
    shutil.rmtree(clean / "public")
    assert build(clean).code == 0  # a new folder: a cache of its own, empty
    return tree(clean / "public")


def test_the_cache_lives_outside_the_site(site: Path) -> None:
    write(site, "content/papers/2511.00002.md", SECOND.format(title="Second"))
    assert build(site).code == 0
    folder = cache.cache_folder(site)
    assert sorted(folder.glob("entries-*.bin")) and not folder.is_relative_to(site.resolve())
    assert not (site / cache.OLD_CACHE_DIR).exists()


def test_a_cache_committed_into_the_site_is_never_read(site: Path, tmp_path: Path) -> None:
    """Genuine cache files of a build whose paper said something else, and pickles that run a
    command, planted where digestgen kept its cache before: ignored, with one warning."""
    write(site, "content/papers/2511.00002.md", SECOND.format(title=MARKER))
    assert build(site).code == 0
    planted = site / cache.OLD_CACHE_DIR
    shutil.copytree(cache.cache_folder(site), planted)  # well-formed files that would change the page
    shutil.rmtree(cache.cache_folder(site))
    sentinel = tmp_path / "sentinel"
    for name in ("entries-0000000000000000-00.bin", "state-0000000000000000.bin"):
        (planted / name).write_bytes(pickle.dumps(_Boom(sentinel)))
    write(site, "content/papers/2511.00002.md", SECOND.format(title="Second"))
    expected = _reference(site, tmp_path)
    run = build(site)
    assert run.code == 0, run.err
    assert not sentinel.exists()
    assert tree(site / "public") == expected
    assert run.err.count("ignoring the cache files in .digestgen-cache/") == 1 and "Traceback" not in run.err


def test_a_cache_folder_chosen_inside_the_site_is_refused(site: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    write(site, "content/papers/2511.00002.md", SECOND.format(title="Second"))
    expected = _reference(site, tmp_path)
    monkeypatch.setenv(cache.CACHE_ENV, str(site / "cache"))
    run = build(site)
    assert run.code == 0, run.err
    assert "inside the site folder" in run.err and not (site / "cache").exists()
    assert tree(site / "public") == expected


def test_an_old_cache_folder_that_is_a_symlink_is_not_written_through(site: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (site / cache.OLD_CACHE_DIR).symlink_to(victim)
    write(site, "content/papers/2511.00002.md", SECOND.format(title="Second"))
    run = build(site)
    assert run.code == 0, run.err
    assert list(victim.iterdir()) == []


def _restamp(file: Path, **changes: object) -> None:
    """Rewrite a cache file's header fields (kind, format, version, key) with a valid checksum."""
    blob = file.read_bytes()
    sizes = struct.Struct(">QIQ16s")
    start = len(cache.MAGIC) + sizes.size
    length, _crc, texts, digest = sizes.unpack(blob[len(cache.MAGIC):start])
    record = msgspec.msgpack.decode(blob[start:start + length], type=cache._Record)
    checked = msgspec.msgpack.encode(msgspec.structs.replace(record, **changes))
    file.write_bytes(cache.MAGIC + sizes.pack(len(checked), zlib.crc32(checked), texts, digest)
                     + checked + blob[start + length:])


DAMAGE = {
    "garbage": lambda f: f.write_bytes(b"\x80\x04not a cache at all"),
    "empty": lambda f: f.write_bytes(b""),
    "truncated": lambda f: f.write_bytes(f.read_bytes()[: f.stat().st_size // 2]),
    "cut-texts": lambda f: f.write_bytes(f.read_bytes()[:-7]),
    "flipped": lambda f: f.write_bytes((b := f.read_bytes())[:60] + bytes([b[60] ^ 1]) + b[61:]),
    "old-magic": lambda f: f.write_bytes(b"digestgen-cache 2\n" + f.read_bytes()[len(cache.MAGIC):]),
    "pickle": lambda f: f.write_bytes(pickle.dumps({"entries": 1})),
    "other-version": lambda f: _restamp(f, version="0.0.1"),
    "other-format": lambda f: _restamp(f, format=cache.FORMAT - 1),
    "other-kind": lambda f: _restamp(f, kind="related"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_or_stale_cache_never_changes_the_output(site: Path, tmp_path: Path, damage: str) -> None:
    """Every cache file damaged, cut or written by another version: the build still succeeds
    and makes the bytes of a cold build."""
    write(site, "content/papers/2511.00002.md", SECOND.format(title="Second"))
    assert build(site).code == 0
    write(site, "content/papers/2511.00002.md", SECOND.format(title="Second, fixed"))
    files = sorted(cache.cache_folder(site).glob("*.bin"))
    assert {f.name.split("-")[0] for f in files} == {"entries", "related", "state"}
    for file in files:
        DAMAGE[damage](file)
    expected = _reference(site, tmp_path)
    run = build(site)
    assert run.code == 0, run.err
    assert tree(site / "public") == expected
    assert "Traceback" not in run.err
    assert ("ignoring the build cache file" in run.err) == (damage not in ("old-magic", "other-version", "other-format",
                                                                           "other-kind"))
    again = build(site)  # and the cache written instead of the damaged one is sound
    assert again.code == 0 and "ignoring" not in again.err and tree(site / "public") == expected
