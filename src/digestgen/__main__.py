"""Allow ``python -m digestgen``."""

from __future__ import annotations

from digestgen.cli import entry

entry()
