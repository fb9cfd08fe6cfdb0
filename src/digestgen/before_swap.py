"""What runs on a finished site before it is swapped in (or served): the page-weight check,
the search index, and the check that no source changed while the site was built."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digestgen.errors import Problem

if TYPE_CHECKING:
    from digestgen.changes import Snapshot
    from digestgen.config import SiteConfig
    from digestgen.memory import MemoryStaging
    from digestgen.progress import Progress
    from digestgen.site import SiteModel


def timed(
    hook: Callable[[Path], None] | None, seconds: list[float], progress: Progress
) -> Callable[[Path], None] | None:
    """Wrap the search hook to measure how long indexing takes."""
    if hook is None:
        return None

    def run(folder: Path) -> None:
        progress.stage("indexing for search")
        start = time.perf_counter()
        hook(folder)
        seconds.append(time.perf_counter() - start)

    return run


def checked(hook: Callable[[Path], None] | None, warnings: list[Problem], config: SiteConfig,
             memo: dict[str, Any] | None, files: dict[str, str], sources: Snapshot) -> Callable[[Any], None]:
    """Warn about pages heavier than the theme's page-weight budget, then run hook; last, make
    sure no source changed since the build looked at them (sources)."""
    from digestgen.page_weight import budget_warnings

    def run(site: Path | MemoryStaging) -> None:
        # every page of this build (its manifest), without a walk
        where = site if isinstance(site, Path) else site.read
        warnings.extend(budget_warnings(where, config.base_path, config.output.name, memo=memo, files=files))
        if hook is not None and isinstance(site, Path):
            hook(site)
        sources.check()

    return run


def search_hook(model: SiteModel) -> Callable[[Path], None] | None:
    """Index the finished folder for search before it is swapped in (see search.py)."""
    if not model.config.fields.search:
        return None
    from digestgen import search

    return lambda folder: search.index(folder, model)
