"""Read source files safely: UTF-8 text, front matter, and YAML composed to nodes with marks.

YAML is composed (never constructed by PyYAML) and turned into plain Python values here, so
that only standard tags are accepted, aliases are refused before they can expand, duplicate
keys are reported, and every value keeps the line and column it came from.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from digestgen.errors import Problem

try:  # libyaml is several times faster; fall back loudly (see build summary)
    from yaml import CSafeLoader as _Loader

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    HAVE_LIBYAML = False

MAX_FILE_BYTES = 1_000_000
_TAG = "tag:yaml.org,2002:"
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_constructor = yaml.constructor.SafeConstructor()
# YAML 1.1 integers a person would not expect: sexagesimal (1:20 is 80) and octal (017 is 15)
_TRAP_INT = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?::[0-5]?[0-9])+|0[0-7_]+)$")
_KEY_LINE = re.compile(r"^([A-Za-z_][\w-]*)\s*:")

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class Scalar:
    """How a scalar was written in the file, for hints about YAML 1.1 coercions."""

    tag: str
    text: str
    plain: bool
    block: bool = False  # a `|` or `>` block scalar: its text starts on the line after its mark


@dataclass
class Doc:
    """A YAML mapping turned into Python values, with where each value was written."""

    path: str
    data: dict[str, Any]
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    scalars: dict[Path_, Scalar] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    start: tuple[int, int] = (1, 1)
    body: str = ""
    body_line: int = 1
    reported: set[Path_] = field(default_factory=set)  # values already refused (read as None)

    def was_reported(self, loc: Path_) -> bool:
        """Whether the value at loc, or one that holds it, was already refused while reading."""
        return any(tuple(loc[:n]) in self.reported for n in range(len(loc) + 1))

    def mark(self, loc: Path_, key: bool = False) -> tuple[int, int]:
        """The line and column of the value at loc (or its nearest written parent)."""
        loc = tuple(loc)
        if key and loc in self.keys:
            return self.keys[loc]
        while loc:
            if loc in self.marks:
                return self.marks[loc]
            loc = loc[:-1]
        return self.start


class _Composer:
    def __init__(self, path: str, line_offset: int, problems: list[Problem]):
        self.path = path
        self.offset = line_offset
        self.problems = problems
        self.marks: dict[Path_, tuple[int, int]] = {}
        self.scalars: dict[Path_, Scalar] = {}
        self.keys: dict[Path_, tuple[int, int]] = {}
        self.seen: set[int] = set()
        self.reported: set[Path_] = set()

    def where(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1 + self.offset, node.start_mark.column + 1

    def problem(self, node: yaml.Node, loc: Path_, message: str) -> None:
        line, col = self.where(node)
        name = ".".join(str(p) for p in loc) or "(document)"
        self.problems.append(Problem(self.path, line, col, name, message))
        self.reported.add(loc)

    def value(self, node: yaml.Node, loc: Path_) -> Any:
        if id(node) in self.seen:
            self.problem(node, loc, "YAML anchors and aliases are not allowed; write the value out")
            return None
        self.seen.add(id(node))
        self.marks[loc] = self.where(node)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _TAG + "seq":
                self.problem(node, loc, f"YAML tag {_show_tag(node.tag)} is not allowed; use plain values")
                return None
            return [self.value(item, (*loc, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self.scalar(node, loc)

    def mapping(self, node: yaml.MappingNode, loc: Path_) -> dict[str, Any] | None:
        if node.tag != _TAG + "map":
            self.problem(node, loc, f"YAML tag {_show_tag(node.tag)} is not allowed; use plain values")
            return None
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _TAG + "merge":
                self.problem(key_node, loc, "keys must be plain names (merge keys and complex keys are not allowed)")
                continue
            key = key_node.value
            if key in result:
                self.problem(key_node, (*loc, key), "duplicate key; keep only one")
                continue
            self.keys[loc + (key,)] = self.where(key_node)
            result[key] = self.value(value_node, (*loc, key))
            if value_node.tag == _TAG + "null":
                self.marks[loc + (key,)] = self.where(key_node)
        return result

    def scalar(self, node: yaml.ScalarNode, loc: Path_) -> Any:
        tag = node.tag.removeprefix(_TAG)
        self.scalars[loc] = Scalar(tag, node.value, not node.style, node.style in ("|", ">"))
        if tag == "str":
            bad = _BAD_CHARS.search(node.value)
            if bad:
                self.problem(node, loc, f"contains the control character U+{ord(bad.group()):04X}; remove it")
                return None
            return node.value
        if tag == "null":
            return None
        if tag == "int" and not node.style and _TRAP_INT.match(node.value):
            value = _constructor.construct_yaml_int(node)
            kind = "base-60" if ":" in node.value else "octal"
            self.problem(node, loc, f"YAML 1.1 reads {node.value} as the {kind} number {value}; "
                                    f"write {value} (or quote it if you meant text)")
            return None
        if tag in ("bool", "int", "float"):
            return getattr(_constructor, f"construct_yaml_{tag}")(node)
        if tag == "timestamp":
            try:
                return parse_timestamp(node.value)
            except ValueError as exc:
                self.problem(node, loc, str(exc))
                return None
        self.problem(node, loc, f"YAML tag {_show_tag(node.tag)} is not allowed; use plain values")
        return None


def load_mapping(text: str, path: str, line_offset: int = 0, problems: list[Problem] | None = None) -> Doc | None:
    """Compose text as one YAML mapping with marks; append problems, and return None when the
    YAML cannot be read. A value that is refused (a tag, an alias, a control character, an
    impossible date) is a problem of its field only: it reads as None and its place is kept in
    Doc.reported, so that the other fields of the file are still checked in the same run.
    """
    problems = problems if problems is not None else []
    bad = bad_char(text, path, line_offset)
    if bad is not None:
        problems.append(bad)
        return None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else 1 + line_offset
        col = (mark.column + 1) if mark else 1
        detail = exc.problem or str(exc)
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            detail = "a tab character; YAML indentation must use spaces"
        problems.append(Problem(path, line, col, "(yaml)", f"invalid YAML: {detail}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(path, 1 + line_offset, 1, "(yaml)", f"invalid YAML: {exc}"))
        return None
    if node is None:
        problems.append(
            Problem(
                path, 1 + line_offset, 1, "(document)", "is empty; expected a mapping of fields such as 'title: ...'"
            )
        )
        return None
    if not isinstance(node, yaml.MappingNode):
        kind = "a list" if isinstance(node, yaml.SequenceNode) else "a single value"
        problems.append(Problem(path, node.start_mark.line + 1 + line_offset, node.start_mark.column + 1, "(document)",
                                f"is {kind}; expected a mapping of fields such as 'title: ...'"))
        return None
    if "&" in text:  # an anchor that is never aliased is harmless, but refuse it consistently
        for event in yaml.parse(text, Loader=_Loader):
            if getattr(event, "anchor", None) and not isinstance(event, yaml.AliasEvent):
                start: Any = event.start_mark
                problems.append(Problem(path, start.line + 1 + line_offset, start.column + 1, "(yaml)",
                                        "YAML anchors (&name) and aliases are not allowed; write the value out"))
                return None
    composer = _Composer(path, line_offset, problems)
    data = composer.mapping(node, ())
    if data is None:
        return None
    start = (node.start_mark.line + 1 + line_offset, node.start_mark.column + 1)
    return Doc(path, data, composer.marks, composer.scalars, composer.keys, start, reported=composer.reported)


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    if 0 <= line < len(lines) and 0 <= column < len(lines[line]):
        return lines[line][column]
    return ""


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


def bad_char(text: str, path: str, line_offset: int = 0, field: str | None = None) -> Problem | None:
    """The first control or XML-invalid character in text, reported where it is and in which field.

    Feeds are XML: such a character would break them, and on a terminal it could hide text.
    Without an explicit field, the YAML key of the nearest line above names it.
    """
    found = _BAD_CHARS.search(text)
    if found is None:
        return None
    start = text.rfind("\n", 0, found.start()) + 1
    line = text.count("\n", 0, found.start()) + 1
    if field is None:
        field = "(yaml)"
        for previous in reversed(text[:start].split("\n") + [text[start:found.start()]]):
            key = _KEY_LINE.match(previous)
            if key:
                field = key.group(1)
                break
    return Problem(path, line + line_offset, found.start() - start + 1, field,
                   f"contains the control character U+{ord(found.group()):04X}; remove it")


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))


class NotRegularFile(OSError):
    """A source path that is a pipe, a device, a socket, a folder or a link: never opened."""

    def __init__(self, path: Path | str, mode: int):
        super().__init__(errno.EINVAL, f"not a regular file ({kind_of(mode)})", str(path))
        self.mode = mode


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words ('a named pipe')."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def not_regular(rel: str, mode: int) -> Problem:
    """The problem reported for a source path that is not a regular file."""
    return Problem(rel, 1, 1, "(file)", f"not a regular file ({kind_of(mode)}); sources must be plain files")


def read_bounded(file: Path | str, limit: int, head: bool = False) -> tuple[bytes, int]:
    """(at most limit + 1 bytes of a regular file, its size), never blocking or reading more.

    The path is looked at before it is opened (lstat): a named pipe would block the build, a
    device would be read until memory runs out. It is opened without following a link and
    non-blocking, should it have been replaced in between, and checked again once open. A
    file larger than limit is not read at all (the bytes are empty, the size says why), unless
    head: then its first limit + 1 bytes are.
    Raises NotRegularFile or OSError.
    """
    st = os.lstat(file)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(file, st.st_mode)
    fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(file, st.st_mode)
        if st.st_size > limit and not head:
            return b"", st.st_size
        chunks: list[bytes] = []
        left = limit + 1  # one byte more than the limit: a file that grew since fstat shows it
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return data, max(len(data), st.st_size) if len(data) > limit else len(data)


def read_text(file: Path, rel: str, problems: list[Problem]) -> str | None:
    """Read a source file as UTF-8 (BOM and CRLF accepted); refuse links, pipes, devices and
    files over MAX_FILE_BYTES (by their size, before reading them)."""
    try:
        raw, size = read_bounded(file, MAX_FILE_BYTES)
    except NotRegularFile as exc:
        problems.append(Problem(rel, 1, 1, "(file)", "is a symbolic link; content files must be regular files")
                        if stat.S_ISLNK(exc.mode) else not_regular(rel, exc.mode))
        return None
    except OSError as exc:
        problems.append(Problem(rel, 1, 1, "(file)", f"cannot be read: {exc.strerror}"))
        return None
    if size > MAX_FILE_BYTES:
        problems.append(Problem(rel, 1, 1, "(file)", f"is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.append(
            Problem(rel, line, col, "(file)", f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8")
        )
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, rel: str, problems: list[Problem]) -> tuple[str, str, int] | None:
    """Split '---' front matter from a Markdown body: (yaml, body, body's first line)."""
    if not text.startswith("---\n") and text.rstrip("\n") != "---":
        problems.append(Problem(rel, 1, 1, "(front matter)",
                                "no front matter: the file must start with a line '---', then YAML fields, then '---'"))
        return None
    end = text.find("\n---\n", 3)
    if end == -1 and text.endswith("\n---"):
        end = len(text) - 4
    if end == -1:
        end_dots = text.find("\n...\n", 3)
        if end_dots == -1:
            problems.append(
                Problem(
                    rel,
                    1,
                    1,
                    "(front matter)",
                    "is opened with '---' on line 1 but never closed; add a line '---' after the fields",
                )
            )
            return None
        end = end_dots
    front = text[4 : end + 1]
    body = text[end + 5 :]
    body_line = front.count("\n") + 3
    return front, body, body_line


# what YAML reads as a date: YYYY-MM-DD, or a date and time (2025-11-18T09:30:00Z, 2025-11-18 9:30:00 +1)
_TIMESTAMP = next(regexp for tag, regexp in yaml.resolver.Resolver.yaml_implicit_resolvers["2"]
                  if tag == _TAG + "timestamp")


def parse_timestamp(text: str) -> dt.date | dt.datetime:
    """A date (or date and time) written as YAML writes one, quoted or not; ValueError otherwise."""
    text = text.strip()
    if not _TIMESTAMP.match(text):
        raise ValueError(f"{text[:40]!r} is not a date; write it YYYY-MM-DD, like 2025-11-18")
    try:
        value: dt.date | dt.datetime = _constructor.construct_yaml_timestamp(yaml.ScalarNode(_TAG + "timestamp", text))
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{text} is not a real date ({exc}); write YYYY-MM-DD") from None
    return value


def as_date(value: Any, tz: dt.tzinfo) -> Any:
    """Dates stay dates; datetimes become the date they fall on in the site's timezone."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(tz)
        return value.date()
    return value
