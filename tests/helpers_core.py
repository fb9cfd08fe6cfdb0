"""Helpers shared by the core tests (importable by name, unlike conftest.py)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

SITES = Path(__file__).parent / "sites"
REPO = Path(__file__).resolve().parents[1]
# 2025-11-29 12:00 UTC: "today" for every test build
EPOCH = "1764417600"


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
