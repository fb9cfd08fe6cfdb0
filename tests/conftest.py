"""Shared fixtures: sample sites under tests/sites/, built once per session."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

SITES = Path(__file__).parent / "sites"
REPO = Path(__file__).resolve().parents[1]
# 2025-11-29 12:00 UTC: "today" for every test build
EPOCH = "1764417600"


@pytest.fixture(autouse=True, scope="session")
def _pin_today() -> Iterator[None]:
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    yield
    if old is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = old


def copy_site(name: str, dest: Path) -> Path:
    """Copy tests/sites/<name> to dest (so tests may edit it)."""
    shutil.copytree(SITES / name, dest, symlinks=True)
    return dest


def tree_digest(folder: Path) -> dict[str, str]:
    """Path -> sha256 of every file under folder (for byte-identity checks)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def basic_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/sites/basic built once into a temporary folder."""
    from digestgen.cli import main

    out = tmp_path_factory.mktemp("basic") / "public"
    assert main(["build", "--site", str(SITES / "basic"), "--output", str(out)]) == 0
    return out

# The theme, browser and HTML-validity tests share one served build of the example digest.
from helpers_theme import example_site  # noqa: E402,F401
