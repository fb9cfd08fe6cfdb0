"""Progress for long builds: one updating line on a terminal, nothing in CI or when piped."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

DELAY = 1.0  # show nothing for builds shorter than this
INTERVAL = 0.1


def interactive(stream: TextIO) -> bool:
    """A person is watching: a terminal, and not a CI runner (which sets CI=true)."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class Progress:
    """'reading 1200/10000' style updates on stderr after the first second, then cleared."""

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None):
        self.stream = stream or sys.stderr
        self.enabled = interactive(self.stream) if enabled is None else enabled
        self.started = time.monotonic()
        self.last = 0.0
        self.counts: dict[str, int] = {}
        self.shown = False

    def advance(self, stage: str, done: int, total: int) -> None:
        count = self.counts[stage] = self.counts.get(stage, 0) + done
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.started < DELAY or (now - self.last < INTERVAL and count < total):
            return
        self.last = now
        self.stream.write(f"\r\x1b[2K{stage} {count:,}/{total:,}")
        self.stream.flush()
        self.shown = True

    def stage(self, message: str) -> None:
        """Announce a step without a count (like 'indexing for search')."""
        if self.enabled and time.monotonic() - self.started >= DELAY:
            self.stream.write(f"\r\x1b[2K{message}")
            self.stream.flush()
            self.shown = True

    def done(self) -> None:
        """Clear the line so the one-line summary stands alone."""
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.shown = False
