"""Where a build may write: output folders that cannot hold the site's sources or someone
else's files, and output paths that cannot leave the output folder."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from digestgen.errors import UsageError
from digestgen.manifest import MANIFEST


def check_output(output: Path, root: Path) -> None:
    """Refuse output folders that would destroy sources or someone else's files."""
    output = output.resolve()
    root = root.resolve()
    protected = [root, root / "content", root / "static", root / "templates", root / "themes"]
    for place in protected:
        if output == place or place.is_relative_to(output):
            raise UsageError(f"refusing to use {_show(output, root)} as the output folder: it holds the site's sources")
    if output.is_relative_to(root / "content") or output.is_relative_to(root / "static"):
        raise UsageError(f"refusing to write the site inside {_show(output, root)}: that folder is read as content")
    if output.is_symlink():
        raise UsageError(f"refusing to use {_show(output, root)}: it is a symbolic link")
    if output.exists():
        if not output.is_dir():
            raise UsageError(f"{_show(output, root)} exists and is not a folder")
        if any(output.iterdir()) and not (output / MANIFEST).is_file():
            raise UsageError(
                f"refusing to overwrite {_show(output, root)}: it is not empty and was not created by digestgen; "
                "choose another --output or empty it"
            )


def _show(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() or "."
    except ValueError:
        return path.name or str(path)


_PLAIN_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")


def safe_relpath(name: str) -> str:
    """Normalise an output path and make sure it stays inside the output folder."""
    if _PLAIN_PATH.fullmatch(name):
        return name  # the common case: no '.', '..' or empty parts, nothing to normalise
    if "\\" in name or name.startswith("/") or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError(f"unsafe output path {name!r}")
    parts = PurePosixPath(name).parts
    if not parts or any(p in ("..", ".", "") for p in parts):
        raise ValueError(f"unsafe output path {name!r}")
    return "/".join(parts)
