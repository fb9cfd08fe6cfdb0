"""digestgen: a static site generator for curated research-paper digests."""

from __future__ import annotations

__version__ = "0.1.0"
