"""What a build reports: counts, warnings, what it wrote and how long it took."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from digestgen.errors import Problem
from digestgen.output import WriteStats
from digestgen.words import plural

if TYPE_CHECKING:
    from digestgen.site import SiteModel


class BuildResult:
    """What a build did; the model is loaded on first use when the build found nothing to do."""

    def __init__(self, model: SiteModel | None, warnings: list[Problem], stats: WriteStats | None = None,
                 seconds: float = 0.0, loader: Callable[[], SiteModel] | None = None,
                 counts: dict[str, int] | None = None, search_seconds: float | None = None,
                 next_issue: str | None = None, placeholder: Problem | None = None):
        from digestgen.publish import next_issue_line

        self._model = model
        self.next_issue = next_issue if next_issue is not None else next_issue_line(model) if model is not None else ""
        self.placeholder = placeholder  # config.placeholder_warning of the site (the command line shows it)
        self._loader = loader
        self.warnings = warnings
        self.stats = stats or WriteStats()
        self.seconds = seconds
        self.search_seconds = search_seconds
        self.counts = counts or (_counts(model) if model is not None else {})

    @property
    def model(self) -> SiteModel:
        if self._model is None:
            assert self._loader is not None
            self._model = self._loader()
        return self._model

    @classmethod
    def unchanged(cls, summary: dict[str, int], warnings: list[Problem], seconds: float,
                  loader: Callable[[], SiteModel], next_issue: str, placeholder: Problem | None = None) -> BuildResult:
        """What a build with nothing to do says: what the last build said (summary: its counts
        and files), every file kept."""
        files = summary.get("files", 0)
        stats = WriteStats(files=files, bytes=summary.get("bytes", 0), unchanged=files)
        return cls(None, warnings, stats, seconds, loader=loader, counts=summary, next_issue=next_issue,
                   placeholder=placeholder)

    def summary(self) -> str:
        c = self.counts
        return (
            f"built {plural(c['papers'], 'paper')} in {plural(c['issues'], 'issue')}, {plural(c['pages'], 'page')}, "
            f"{plural(c['tags'], 'tag')}: {plural(self.stats.files, 'file')} ({self.stats.written} written) "
            f"in {self.seconds:.2f} s"
        )


def _counts(model: SiteModel) -> dict[str, int]:
    return {
        "papers": len(model.papers),
        "issues": len(model.issues),
        "pages": len(model.pages),
        "tags": len(model.tags),
    }
