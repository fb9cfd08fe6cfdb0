"""The theme's page budget: what each list page weighs over the wire (gzip) with the
stylesheets and scripts it loads, and a warning for each page over the budget."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from digestgen.errors import Problem

PAGE_BUDGET = 100 * 1024  # bytes over the wire (gzip) for one page with its CSS and JS
# Pages are weighed at gzip level 1, nginx's default: three times faster than level 6 and a
# little heavier (about a quarter), so a page within the budget is within it on any server
# that compresses.
WIRE_LEVEL = 1


BUDGET_SKIP = ("papers/", "pagefind/")  # pages the budget check leaves out


def weight_stamp(st: Any, html: bool, base_path: str, recorded: str | None = None) -> tuple[Any, ...]:
    """What a page_weights memo entry is valid for: the file's manifest record when known
    (its content hash), else its inode, size and time; and how it was weighed."""
    if recorded is not None:
        return (recorded, html, base_path, WIRE_LEVEL)
    return (st.st_ino, st.st_size, st.st_mtime_ns, html, base_path, WIRE_LEVEL)


@lru_cache(maxsize=8)
def _assets(base_path: str) -> re.Pattern[bytes]:
    """An attribute's value naming a stylesheet or script under base_path (the attribute's
    name is checked apart: a pattern that starts with text is searched ten times faster)."""
    return re.compile(rb'="' + re.escape(base_path.encode()) + rb'([^"?#]+\.(?:css|js))"')


def _loads(data: bytes, base_path: str) -> tuple[str, ...]:
    """The stylesheets and scripts a page loads: href or src under base_path."""
    return tuple(sorted({m.group(1).decode("utf-8", "replace") for m in _assets(base_path).finditer(data)
                         if data.endswith((b"href", b"src"), 0, m.start())}))


def weigh(data: bytes, st: Any, html: bool, base_path: str, recorded: str | None = None) -> tuple[Any, ...]:
    """A page_weights memo entry: (stamp, gzipped size, stylesheets and scripts it loads)."""
    found = _loads(data, base_path) if html else ()
    packed = len(gzip.compress(data, WIRE_LEVEL, mtime=0)) if data else 0
    return weight_stamp(st, html, base_path, recorded), packed, found


def page_weights(folder: Path | Callable[[str], bytes | None], base_path: str, skip: tuple[str, ...] = (),
                 memo: dict[str, Any] | None = None, files: dict[str, str] | None = None) -> dict[str, int]:
    """Gzipped bytes of every HTML page in folder plus the stylesheets and scripts it loads.

    memo (optional, kept by the caller between builds) remembers each file's gzipped size and
    assets, so files unchanged since the last build are not read. files (optional): the
    folder's manifest (path -> record), when the caller knows it: then only those pages are
    weighed, and a file is known unchanged by its record, without a look at the disk;
    otherwise every page is found by a walk and known by its inode, size and time. folder may
    also be a function giving a file's bytes by name (a site in memory, with files given).
    """
    packed: dict[str, int] = {}
    memo = {} if memo is None else memo
    resolved = folder.resolve() if isinstance(folder, Path) else None

    def measure(name: str, html: bool) -> tuple[int, tuple[str, ...]]:
        known = memo.get(name)
        recorded = files.get(name) if files is not None else None
        if recorded is not None and known is not None and known[0] == weight_stamp(None, html, base_path, recorded):
            return known[1], known[2]
        if not isinstance(folder, Path):
            memo[name] = weigh(folder(name) or b"", None, html, base_path, recorded)
            return memo[name][1], memo[name][2]
        path = folder / name
        try:
            st = path.stat()
        except OSError:
            return 0, ()
        if known is not None and known[0] == weight_stamp(st, html, base_path, recorded):
            return known[1], known[2]
        inside = resolved is not None and path.resolve().is_relative_to(resolved)
        data = path.read_bytes() if inside and path.is_file() else b""
        memo[name] = weigh(data, st, html, base_path, recorded)
        return memo[name][1], memo[name][2]

    def size(name: str) -> int:
        if name not in packed:
            packed[name] = measure(name, False)[0]
        return packed[name]

    weights = {}
    if files is not None:
        names = list(files)
    else:
        assert isinstance(folder, Path)
        names = [path.relative_to(folder).as_posix() for path in folder.rglob("*.html")]
    for name in sorted(n for n in names if n.endswith(".html")):
        if name.startswith(skip):
            continue
        own, assets = measure(name, True)
        weights[name] = own + sum(size(a) for a in assets)
    return weights


def budget_warnings(
    folder: Path | Callable[[str], bytes | None],
    base_path: str,
    output: str,
    budget: int | None = None,
    memo: dict[str, Any] | None = None,
    files: dict[str, str] | None = None,
) -> list[Problem]:
    """One warning per list page (home, issues, tags...) heavier than the budget over the wire.

    Paper pages show one paper and are skipped to keep big builds fast; the search index is
    not a page and is not counted.
    """
    budget = budget or PAGE_BUDGET
    return [Problem(f"{output}/{name}", 1, 1, "size",
                    f"{weight / 1024:.0f} KB over the wire (HTML, CSS and JS, gzip -1) exceeds the {budget // 1024} KB "
                    "page budget; split the issue or trim long notes", "warning")
            for name, weight in page_weights(folder, base_path, BUDGET_SKIP, memo, files).items() if weight > budget]
