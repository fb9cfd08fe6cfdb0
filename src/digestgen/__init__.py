"""digestgen: a static site generator for curated research-paper digests."""

from __future__ import annotations

__version__ = "0.2.0"

# Where digestgen's source lives (pyproject.toml's [project.urls] Source says the same; a test
# keeps them equal): workflows that `digestgen init` writes install from here until a release
# is on PyPI, pinned to the tag of the version that wrote them.
REPOSITORY = "https://github.com/digestgen/digestgen"
