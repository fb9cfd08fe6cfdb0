"""Write new paper entries (digestgen new / import): valid YAML that round-trips through the loader.

Values are emitted by PyYAML, never pasted into text, so any title or abstract (quotes, colons,
'#', leading '-', Unicode line separators) comes back unchanged when the site is loaded.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from digestgen.content import check_name, discover, placeholder_title
from digestgen.sources import PaperMeta, arxiv_base, normalise_doi
from digestgen.yamlio import load_mapping, read_text, split_front_matter

_ARXIV_LINE = re.compile(r"""^arxiv:\s*["']?([^"'\s#]+)""", re.MULTILINE)


class _Folded(str):
    """A string written as a folded block (long Markdown text)."""


class _Quoted(str):
    """A string value written double-quoted (keys stay plain)."""


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


def _folded(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=">")


_Dumper.add_representer(_Quoted, _str)
_Dumper.add_representer(_Folded, _folded)


@dataclass
class Existing:
    """Paper ids and arXiv ids already in a site, with the file that holds each."""

    ids: dict[str, str] = field(default_factory=dict)
    arxiv: dict[str, str] = field(default_factory=dict)
    doi: dict[str, str] = field(default_factory=dict)  # lowercased: DOIs ignore case


def scan(root: Path) -> Existing:
    """Index the site's entries; files that do not parse still count by name and arxiv line."""
    found = Existing()
    for rel in discover(root).papers:
        name = rel.rsplit("/", 1)[-1]
        found.ids.setdefault(name.rsplit(".", 1)[0], rel)
        problems: list[Any] = []
        text = read_text(root / rel, rel, problems)
        if text is None:
            continue
        value: Any = None
        front = split_front_matter(text, rel, problems) if rel.endswith(".md") else (text, "", 1)
        doc = load_mapping(front[0], rel, 0, problems) if front else None
        if doc is not None:
            value = doc.data.get("arxiv")
            doi = doc.data.get("doi")
            if isinstance(doi, str) and doi.strip():
                found.doi.setdefault((normalise_doi(doi) or doi.strip()).lower(), rel)
        elif (match := _ARXIV_LINE.search(front[0] if front else text)) is not None:
            value = match.group(1)
        if isinstance(value, str) and value.strip():
            base = arxiv_base(value.strip().removeprefix("arXiv:").removeprefix("arxiv:"))
            found.arxiv.setdefault(base, rel)
    return found


def entry_id(arxiv_id: str) -> str:
    """File id for an arXiv id: the base id, with '/' of old-style ids turned into '-'."""
    return arxiv_base(arxiv_id).replace("/", "-").lower()


def entry_path(day: dt.date, pid: str) -> str:
    return f"content/papers/{day.year:04d}/{pid}.md"


def dump(fields: dict[str, Any]) -> str:
    """YAML for front matter: strings double-quoted, long text folded, keys in the given order."""
    return yaml.dump(_quote_values(fields), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=96,
                     default_flow_style=False)


def _quote_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _quote_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_quote_values(item) for item in value]
    if isinstance(value, str) and not isinstance(value, _Folded):
        return _Quoted(value)
    return value


def entry_text(day: dt.date, meta: PaperMeta | None = None, *, title: str | None = None,
               arxiv: str | None = None, tags: list[str] | None = None, draft: bool = False,
               submitted_by: str | None = None, note: str = "") -> str:
    """A Markdown entry: front matter from meta (or a template to fill), the note (or none) below.

    A template (no meta) is a draft: it stays off the site until a person has filled it in
    and deleted the line 'draft: true'.
    """
    fields: dict[str, Any] = {"title": title or (meta.title if meta else None) or placeholder_title(arxiv), "date": day}
    comments: list[str] = []
    if meta is not None:
        if meta.authors:
            fields["authors"] = list(meta.authors)
        if meta.arxiv or arxiv:
            fields["arxiv"] = arxiv or meta.arxiv
        if meta.doi:
            fields["doi"] = meta.doi
        if meta.journal:
            fields["journal"] = meta.journal
        if meta.published:
            fields["published"] = meta.published
        fields["tags"] = list(tags or [])
        if meta.upvotes is not None:
            fields["upvotes"] = meta.upvotes
        if meta.links:
            fields["links"] = dict(meta.links)
        if meta.abstract:
            fields["abstract"] = _Folded(meta.abstract)
        if meta.category:
            comments.append(f"# arXiv primary category: {_comment(meta.category)}")
    else:
        fields["authors"] = []
        if arxiv:
            fields["arxiv"] = arxiv
        fields["tags"] = list(tags or [])
        comments += ["# abstract: >", "#   The paper's abstract (Markdown; $math$ works).",
                     "# links:", "#   code: https://github.com/...", "# tldr: One line for the card."]
    if submitted_by:
        fields["submitted_by"] = submitted_by
    if draft or meta is None:
        fields["draft"] = True
    if meta is None:
        comments.insert(0, "# A draft: fill in the fields, then delete the line 'draft: true' to publish it.")
    comments.append("# Write your note about the paper below the closing '---' line.")
    return (
        "---\n" + dump(fields) + "\n".join(comments) + "\n---\n\n" + (note.strip("\n") + "\n" if note.strip() else "")
    )


def _comment(text: str) -> str:
    return " ".join(text.split())[:80]


def write_entry(root: Path, rel: str, text: str) -> Path:
    """Create root/rel; never overwrite (FileExistsError)."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def check_tags(root: Path, tags: list[str]) -> None:
    """Refuse --tag values that are not slugs, or not in content/tags.yaml when the site has one."""
    from digestgen.errors import UsageError
    from digestgen.schema import check_slug

    for tag in tags:
        try:
            check_slug(tag)
        except ValueError as exc:
            raise UsageError(f"--tag: {exc}") from None
    known = tag_vocabulary(root) if tags else None
    unknown = [t for t in tags if known is not None and t not in known]
    if known is not None and unknown:
        raise UsageError(f"--tag: {', '.join(unknown)} not in content/tags.yaml (known: {', '.join(known)})")


def tag_vocabulary(root: Path) -> list[str] | None:
    """The sorted tags of content/tags.yaml; None when the site has no (readable) vocabulary."""
    vocabulary = root / "content" / "tags.yaml"
    if not vocabulary.is_file() or vocabulary.is_symlink():
        return None
    problems: list[Any] = []
    text = read_text(vocabulary, "content/tags.yaml", problems)
    doc = load_mapping(text, "content/tags.yaml", 0, problems) if text is not None else None
    return sorted(str(k) for k in doc.data) if doc is not None else None


def valid_id(pid: str) -> str | None:
    """An error message when pid cannot be a paper id, else None."""
    bad = check_name(pid, "", "id")
    return bad.message if bad else None
