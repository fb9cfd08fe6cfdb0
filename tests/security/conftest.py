"""Fixtures of the security suite: a pinned clock and a small valid site built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .security_helpers import EPOCH, build, make_site, pinned_env


@pytest.fixture(autouse=True)
def _pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.fixture(scope="session")
def built_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid one-paper site with its public/ already built (copy it, never change it)."""
    root = make_site(tmp_path_factory.mktemp("base") / "site")
    with pinned_env():
        run = build(root)
    assert run.code == 0, run.err
    return root


@pytest.fixture
def site(built_base: Path, tmp_path: Path) -> Path:
    """A fresh copy of the built base site, ready to receive a hostile file."""
    dst = tmp_path / "site"
    shutil.copytree(built_base, dst, symlinks=True)
    return dst
