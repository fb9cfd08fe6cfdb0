"""One error family: problems carry path, line, column and field so a curator can act on them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
                          r"\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]")


def printable(text: str) -> str:
    """Make text safe to echo on a terminal: control and bidi characters become escapes."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


COMMAND_LINE = "command line"  # the path of a problem in a command-line option (line 0)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or suspicious) in the site's sources."""

    path: str
    line: int
    column: int
    field: str
    message: str
    severity: str = "error"

    def format(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return printable(  # one problem, one line: a newline inside a value is shown escaped
            f"{self.where}: {prefix}{self.field}: {self.message}"
        ).replace("\n", "\\u000a")

    @property
    def where(self) -> str:
        """path:line:col, or the path alone for a problem of no file (line 0: COMMAND_LINE)."""
        return f"{self.path}:{self.line}:{self.column}" if self.line else self.path

    def github(self) -> str:
        """GitHub Actions workflow-command annotation for this problem."""
        kind = "warning" if self.severity == "warning" else "error"
        msg = f"{self.field}: {self.message}"
        msg = msg.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        if not self.line:  # not in a file: an annotation of the run
            return printable(f"::{kind}::{self.path}: {msg}")
        path = (
            self.path.replace("%", "%25")
            .replace("\r", "%0D")
            .replace("\n", "%0A")
            .replace(",", "%2C")
            .replace(":", "%3A")
        )
        return printable(f"::{kind} file={path},line={self.line},col={self.column}::{msg}")


MAX_PER_FILE = 20  # messages shown per file; one more line counts the rest


def capped(problems: Iterable[Problem], per_file: int = MAX_PER_FILE) -> list[Problem]:
    """The first per_file problems of each file, then one saying how many more that file has.

    A file of 100,000 unknown keys would otherwise print 100,000 lines (tens of megabytes in a
    CI log); the first twenty show what is wrong. Order is kept; the count line sits where the
    first left-out problem was, so a reader knows where to look next.
    """
    by_file: dict[str, list[Problem]] = {}
    for problem in problems:
        by_file.setdefault(problem.path, []).append(problem)
    if all(len(group) <= per_file for group in by_file.values()):
        return [p for group in by_file.values() for p in group]
    shown: list[Problem] = []
    for path, group in by_file.items():
        shown += group[:per_file]
        rest = group[per_file:]
        if rest:
            severity = "error" if any(p.severity == "error" for p in rest) else "warning"
            shown.append(Problem(path, rest[0].line, rest[0].column, "(file)",
                                 f"… and {len(rest):,} more problem{'s' * (len(rest) != 1)} in this file", severity))
    return shown


class DigestgenError(Exception):
    """Base of every error digestgen reports to the user (never a traceback)."""

    exit_code = 1


class ContentError(DigestgenError):
    """One or more problems in content files; the build stops and writes nothing."""

    exit_code = 1

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(p.format() for p in capped(self.problems)))

    def __reduce__(self) -> tuple[type[ContentError], tuple[list[Problem]]]:
        return type(self), (self.problems,)  # not the joined message (work done in a worker process)


class ConfigError(ContentError):
    """Problems in site.yaml (or the site layout); exit code 2."""

    exit_code = 2


class UsageError(DigestgenError):
    """Wrong command-line use or an unsafe output location; exit code 2."""

    exit_code = 2


class BuildLockedError(UsageError):
    """Another build of the same site is running."""


class ThemeError(DigestgenError):
    """A template of the theme (or a site override) failed to render; exit code 2."""

    exit_code = 2


class OutputError(DigestgenError):
    """A build could not write or move a file (a full disk, a read-only folder): said with the
    file's name and what it means for the published site."""

    def __init__(self, exc: OSError, output: Path, published: bool):
        super().__init__(f"digestgen: {describe(exc, output)}; {published_state(published)}")


def published_state(published: bool) -> str:
    """What a build that stopped left published, in words (true when it is printed: a build
    publishes in one atomic step, see Staging)."""
    return (
        "the new site was published before that"
        if published
        else "nothing was published: the previous site is untouched"
    )


def describe(exc: OSError, output: Path) -> str:
    """An OS error in words, naming its file as the user knows it: a file of the site being
    written by the path it will have in the site, others relative to the output's folder."""
    reason = exc.strerror or str(exc)
    if not exc.filename:
        return reason
    path = Path(os.fsdecode(exc.filename))
    try:
        rel = path.relative_to(output.parent)
    except ValueError:
        return f"{reason}: {path}"
    first, *rest = rel.parts
    if first.startswith(f".{output.name}.tmp-") and rest:
        return f"{reason}: {'/'.join(rest)} (of the new site of {output.name}/)"
    return f"{reason}: {rel.as_posix()}"
