"""What the command line and the environment ask of a build: its options and its moment.

Apart from config.py (which validates site.yaml) so that a build with nothing to do can tell
so without importing the validation (see quick.py).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

from digestgen.errors import UsageError


@dataclass(frozen=True)
class BuildOptions:
    """What the command line asked for."""

    output: Path | None = None
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    strict: bool = False
    serve: bool = False


def today_in(tz: dt.tzinfo) -> dt.date:
    """Today in the site's timezone; SOURCE_DATE_EPOCH pins it for reproducible builds."""
    return now_in(tz).date()


def now_in(tz: dt.tzinfo) -> dt.datetime:
    """This moment in the site's timezone, to the second; SOURCE_DATE_EPOCH pins it."""
    seconds = now_seconds()
    try:
        return dt.datetime.fromtimestamp(seconds, tz)
    except (OverflowError, OSError, ValueError):
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
        raise UsageError(f"SOURCE_DATE_EPOCH is out of range: {epoch[:40]!r}") from None


def now_seconds() -> int:
    """This moment in POSIX seconds; SOURCE_DATE_EPOCH pins it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return int(time.time())
    try:
        stamp = float(epoch)
    except ValueError:
        raise UsageError(f"SOURCE_DATE_EPOCH must be a number of seconds, got {epoch!r}") from None
    try:
        return int(stamp)
    except (OverflowError, ValueError):
        raise UsageError(f"SOURCE_DATE_EPOCH is out of range: {epoch[:40]!r}") from None
