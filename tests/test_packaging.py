"""The built-in theme ships inside the wheel: a non-editable install builds an unrelated site."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from helpers_core import EPOCH, REPO, SITES, copy_site


def test_wheel_ships_theme_and_builds_elsewhere(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
                   check=True, capture_output=True)
    wheel = next(wheels.glob("digestgen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "digestgen/themes/default/templates/base.html" in names
    assert any(n.startswith("digestgen/themes/default/static/") for n in names)
    assert "digestgen/py.typed" in names
    for font in (
        "Inter-Regular.ttf",
        "Inter-Bold.ttf",
        "NotoSansMath-Regular.woff",
        "OFL-Inter.txt",
        "OFL-NotoSansMath.txt",
    ):
        assert f"digestgen/themes/default/fonts/{font}" in names  # the social images' fonts, with their licences
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(wheel).extractall(unpacked)
    site = copy_site("basic", tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(unpacked), "SOURCE_DATE_EPOCH": EPOCH}
    code = "import sys, digestgen.cli as c; assert c.__file__.startswith(sys.argv[1]); sys.exit(c.main(['build']))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(unpacked)], cwd=site, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (site / "public/index.html").is_file()
    assert (site / "public/papers/1706.03762/index.html").is_file()
    assert (site / "public/issues/2025-W47/og.png").read_bytes() == (
        REPO / "tests/golden/basic/issues/2025-W47/og.png"
    ).read_bytes()
    assert SITES.is_dir()


def test_the_command_says_everything_and_exits_with_its_code(tmp_path: Path) -> None:
    """`python -m digestgen` leaves without freeing the build's objects (cli.entry): what it
    printed still arrives whole, through pipes, with the exit code of the command."""
    site = copy_site("basic", tmp_path / "site")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    done = subprocess.run(
        [sys.executable, "-m", "digestgen", "build"], cwd=site, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"built .* s\nnext issue: .*\)\n", done.stdout)
    (site / "site.yaml").write_text("title: [unclosed\n", "utf-8")
    failed = subprocess.run(
        [sys.executable, "-m", "digestgen", "build"], cwd=site, env=env, capture_output=True, text=True, check=False
    )
    assert failed.returncode == 2, failed.stderr
    assert "site.yaml" in failed.stderr and failed.stdout == ""
