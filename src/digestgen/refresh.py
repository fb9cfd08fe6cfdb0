"""digestgen refresh: bring entries up to date with what their sources learned since.

A newer arXiv version (for entries that pin one), the DOI and journal reference once the
paper is published, and the Hugging Face upvotes of entries that link there. Files are edited
as text: only the value of a changed field is replaced (in the quoting style it was written
in), and a missing field is added as one line, so comments, key order and formatting stay and
a pull request's diff is those lines alone. Each edit is checked by loading the file again.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from digestgen.errors import Problem
from digestgen.yamlio import load_mapping, read_text, split_front_matter

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

# where a field that is not yet written goes: after the first of these keys the entry has
_AFTER = {"arxiv": ("title",), "doi": ("arxiv", "authors", "title"), "journal": ("doi", "arxiv", "authors", "title"),
          "upvotes": ("tags", "published", "doi", "arxiv", "title")}
_VERSION = re.compile(r"v(\d+)$")


class EditError(Exception):
    """A file cannot be edited line by line safely (flow-style front matter, a changed shape)."""


@dataclass
class Entry:
    """A paper file as refresh sees it: its text and the fields it holds."""

    rel: str
    text: str
    data: dict[str, Any]
    front_start: int  # where the YAML starts in text (after '---\n' in a .md entry)
    front_end: int
    crlf: bool = False
    bom: bool = False


@dataclass
class Update:
    """The fields one entry should change: name -> new value, with a word on each."""

    rel: str
    values: dict[str, Any] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


def read_entry(root: Path, rel: str, problems: list[Problem]) -> Entry | None:
    """The entry at rel, or None (with problems) when it does not load."""
    raw = read_text(root / rel, rel, problems)
    if raw is None:
        return None
    original = (root / rel).read_bytes()
    crlf, bom = b"\r\n" in original, original.startswith(b"\xef\xbb\xbf")
    if rel.endswith(".md"):
        parts = split_front_matter(raw, rel, problems)
        if parts is None:
            return None
        start, end = 4, 4 + len(parts[0])
        doc = load_mapping(parts[0], rel, 1, problems)
    else:
        start, end = 0, len(raw)
        doc = load_mapping(raw, rel, 0, problems)
    if doc is None or doc.reported:  # a value was refused: leave the entry to the curator
        return None
    return Entry(rel, raw, doc.data, start, end, crlf, bom)


def version(arxiv: str) -> int | None:
    match = _VERSION.search(arxiv)
    return int(match.group(1)) if match else None


def _scalar(value: Any, style: str | None) -> str:
    """value as a YAML scalar in the given style ('"', "'" or plain), plain only when it reads back the same."""
    if isinstance(value, bool) or not isinstance(value, str):
        return json.dumps(value)
    if style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style is None or style == "":
        try:
            if yaml.load(f"k: {value}", Loader=_Loader) == {"k": value} and "#" not in value:
                return value
        except yaml.YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)


def edit(entry: Entry, values: dict[str, Any]) -> str:
    """The entry's text with values set: existing scalars replaced in place, new keys one line each."""
    front = entry.text[entry.front_start : entry.front_end]
    root = yaml.compose(front, Loader=_Loader)
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise EditError("the fields are written as one flow mapping ({...}); refresh edits block-style entries only")
    nodes = {k.value: (k, v) for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    indent = root.value[0][0].start_mark.column if root.value else 0
    splices: list[tuple[int, int, int, str]] = []  # start, end, order (new keys at one place keep theirs), text
    for order, (name, value) in enumerate(values.items()):
        if name in nodes:
            node = nodes[name][1]
            if not isinstance(node, yaml.ScalarNode) or node.style in ("|", ">"):
                raise EditError(f"{name}: is not written as a single value; update it by hand")
            start, end, text = node.start_mark.index, node.end_mark.index, _scalar(value, node.style)
            gap = re.match(r" +(?=#)", front[end:])  # a comment after the value keeps its column
            if gap:
                spaces = max(1, len(gap.group()) - (len(text) - (end - start)))
                text, end = text + " " * spaces, end + len(gap.group())
            splices.append((start, end, order, text))
            continue
        anchor = next((nodes[key][1] for key in _AFTER.get(name, ()) if key in nodes), root.value[-1][1])
        at = anchor.end_mark.index
        if anchor.end_mark.column:  # the value ends inside its line: insert after that line
            newline = front.find("\n", at)
            at = len(front) if newline < 0 else newline + 1
        splices.append(
            (at, at, order, f"{' ' * indent}{name}: {_scalar(value, None if isinstance(value, int) else chr(34))}\n")
        )
    for start, end, _, text in sorted(splices, reverse=True):
        front = front[:start] + text + front[end:]
    problems: list[Problem] = []
    doc = load_mapping(front, entry.rel, 0, problems)
    if (
        doc is None
        or doc.reported
        or doc.data != {**entry.data, **values}
        or [k for k in doc.data if k in entry.data] != list(entry.data)
    ):
        raise EditError("the edit would change more than the refreshed fields; update them by hand")
    return entry.text[: entry.front_start] + front + entry.text[entry.front_end :]


def write(root: Path, entry: Entry, text: str) -> None:
    """Replace the file atomically, in its own line endings and byte-order mark."""
    path = root / entry.rel
    data = ("\ufeff" if entry.bom else "") + (text.replace("\n", "\r\n") if entry.crlf else text)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(data)
        os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def plan(entries: list[Entry], arxiv: dict[str, Any], hf: dict[str, Any]) -> list[Update]:
    """What each entry should change, from the arXiv records (by base id) and HF records (by base id)."""
    from digestgen.sources import arxiv_base

    updates = []
    for entry in entries:
        update = Update(entry.rel)
        written = entry.data.get("arxiv")
        if isinstance(written, str) and written.strip():
            bare = written.strip()
            prefix = bare[:6] if bare.lower().startswith("arxiv:") else ""
            base = arxiv_base(bare[len(prefix):])
            meta = arxiv.get(base)
            mine = version(bare)
            if meta is not None and meta.latest and mine is not None and (version(meta.latest) or 0) > mine:
                update.values["arxiv"] = prefix + meta.latest
                update.reasons.append(f"arXiv v{mine} -> v{version(meta.latest)}")
            if meta is not None and meta.doi and not entry.data.get("doi"):
                update.values["doi"] = meta.doi
                update.reasons.append(f"DOI {meta.doi}")
            if meta is not None and meta.journal and not entry.data.get("journal"):
                update.values["journal"] = meta.journal
                update.reasons.append(f"journal reference {meta.journal!r}")
            record = hf.get(base)
            old = entry.data.get("upvotes")
            if record is not None and record.upvotes is not None and record.upvotes != old:
                update.values["upvotes"] = record.upvotes
                update.reasons.append(f"{record.upvotes} upvotes (was {old if old is not None else 'none'})")
        if update.values:
            updates.append(update)
    return updates


def from_hf(entry: Entry) -> bool:
    """Whether an entry came from Hugging Face (it links its paper page there)."""
    links = entry.data.get("links")
    return isinstance(links, dict) and isinstance(links.get("hf"), str) and "huggingface.co/papers/" in links["hf"]

