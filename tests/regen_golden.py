"""Regenerate the golden output tree of tests/sites/basic: python tests/regen_golden.py

Review the diff (git diff tests/golden) before committing: every change in it is a change
readers of a digest will see.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from helpers_core import EPOCH

GOLDEN = HERE / "golden" / "basic"


def build_golden(dest: Path) -> None:
    from digestgen.cli import main

    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    if dest.exists():
        shutil.rmtree(dest)
    code = main(["build", "--site", str(HERE / "sites" / "basic"), "--output", str(dest)])
    if code != 0:
        raise SystemExit(code)
    (dest / ".digestgen.json").unlink()  # its hashes only repeat the tree
    shutil.rmtree(dest / "assets")  # theme files copied as they are: no need to keep them twice


if __name__ == "__main__":
    build_golden(GOLDEN)
    print(f"wrote {sum(1 for p in GOLDEN.rglob('*') if p.is_file())} files to {GOLDEN.relative_to(HERE.parent)}")
