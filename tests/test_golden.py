"""The basic site's output must match the reviewed golden tree byte for byte.

Theme assets (assets/) are copied as they are and left out of the golden tree.

When a change is intended, regenerate with `python tests/regen_golden.py` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

from helpers_core import tree_digest
from regen_golden import GOLDEN


def test_basic_site_matches_golden_tree(basic_build: Path) -> None:
    built = {
        k: v for k, v in tree_digest(basic_build).items() if k != ".digestgen.json" and not k.startswith("assets/")
    }
    golden = tree_digest(GOLDEN)
    assert sorted(built) == sorted(golden), "file list differs: run python tests/regen_golden.py and review"
    changed = [name for name in built if built[name] != golden[name]]
    assert not changed, f"{changed[:10]} differ: run python tests/regen_golden.py and review the diff"
