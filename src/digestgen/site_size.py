"""The size of a built site against what GitHub Pages publishes: a warning, once the output
nears or passes the limit, naming the settings of site.yaml that cut it most."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen.errors import Problem

if TYPE_CHECKING:
    from digestgen.config import SiteConfig

# "Published GitHub Pages sites may be no larger than 1 GB": a bigger site does not deploy.
GITHUB_PAGES_LIMIT = 1_000_000_000
NEAR = 0.8  # warned from this share of the limit on, while there is room to act
# Pagefind's index is written beside the build's own files, so the build's count leaves it out;
# it weighs about a twentieth of the rest. Below this share the settings are not even read, so
# a build with nothing to do stays quick.
LOOK = 0.7

# What a setting costs per 1,000 papers of the benchmark corpus, in MB (docs/performance.md,
# "Output size"), measured at 1,000 papers against the defaults.
SOCIAL_IMAGES_ALL_MB = 20.4  # a drawn card per paper
AUTHOR_PAGES_MB = 3.5  # author_pages 5 instead of 3: fewer author pages and feeds
SEARCH_MB = 2.4  # Pagefind's index, the search box and the pages' Pagefind attributes


def pagefind_bytes(output: Path) -> int:
    """Bytes of the search index in output (0 without one)."""
    folder = output / "pagefind"
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else 0


def cuts(config: SiteConfig) -> list[tuple[str, float]]:
    """(what to set in site.yaml, MB it saves per 1,000 papers) that apply to config, biggest first."""
    fields = config.fields
    found = []
    if fields.social_images == "all":
        found.append(("social_images: issues (now all)", SOCIAL_IMAGES_ALL_MB))
    if fields.author_pages < 5:
        found.append((f"author_pages: 5 (now {fields.author_pages})", AUTHOR_PAGES_MB))
    if fields.search:
        found.append(("search: false", SEARCH_MB))
    return sorted(found, key=lambda cut: -cut[1])


def amount(size: float) -> str:
    """Bytes as "1.2 GB", "850 MB" or "40 KB" (powers of ten, as GitHub counts)."""
    if size >= 1e9:
        return f"{size / 1e9:.3g} GB"
    return f"{size / 1e6:.0f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"


def size_warning(written: int, papers: int, config: Callable[[], SiteConfig],
                 limit: int | None = None) -> Problem | None:
    """A warning when the output (written: the bytes of the build's files) nears or passes
    GitHub Pages' limit; config is read only then."""
    limit = limit or GITHUB_PAGES_LIMIT
    if written < LOOK * limit:
        return None
    site = config()
    total = written + (pagefind_bytes(site.output) if site.fields.search else 0)
    if total < NEAR * limit:
        return None
    where = "over" if total > limit else "near"
    advice = "; ".join(f"{setting} saves about {mb:g} MB per 1,000 papers ({amount(mb * 1e3 * papers)} here)"
                       for setting, mb in cuts(site))
    return Problem(
        site.output.name, 0, 0, "size",
        f"{amount(total)} of files, {where} the {amount(limit)} GitHub Pages publishes"
        + (f"; what cuts most: {advice}" if advice else "; the settings that cut most are set already")
        + " (docs/performance.md#output-size)",
        "warning",
    )
