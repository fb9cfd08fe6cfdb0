"""Discover source files (sorted) and parse each into a validated, frozen record."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digestgen.errors import Problem
from digestgen.markdown import render
from digestgen.records import IssueIntro, Page, Paper, Tag, Texts, Unfinished, pack_marks
from digestgen.schema import (
    ID_RE,
    MAX_TEXT,
    SLUG_RE,
    IssueFields,
    PageFields,
    PaperFields,
    TagFields,
    split_author,
    windows_reserved,
)
from digestgen.slugs import slugify
from digestgen.validation import validate
from digestgen.yamlio import (
    Doc,
    bad_char,
    load_mapping,
    not_regular,
    read_bounded,
    read_text,
    split_front_matter,
)

PAPER_SUFFIXES = (".md", ".yaml", ".yml")
MAX_FILES = 500_000


@dataclass
class Sources:
    """Every source file of a site, as paths relative to the site root, sorted."""

    papers: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    tags: str | None = None
    authors: str | None = None
    problems: list[Problem] = field(default_factory=list)


_PLACEHOLDER_TITLE = re.compile(r"Title of (?:arXiv \S+|the paper)")


def placeholder_title(arxiv: str | None) -> str:
    """The title a template entry is written with, until a person writes the real one."""
    return f"Title of arXiv {arxiv}" if arxiv else "Title of the paper"


def is_placeholder_title(title: str) -> bool:
    return _PLACEHOLDER_TITLE.fullmatch(title) is not None


def check_name(name: str, rel: str, what: str, pattern: Any = ID_RE) -> Problem | None:
    """Refuse ids, slugs and keys that could escape a folder or collide on some file system."""
    if not pattern.fullmatch(name) or windows_reserved(name) or ".." in name or len(name) > 120:
        shown = name.encode("unicode_escape").decode("ascii")
        allowed = ", '.', '_' and '-'" if pattern is ID_RE else " and '-'"
        return Problem(rel, 1, 1, what, f"{shown!r} is not allowed; use lowercase letters, digits{allowed} "
                       f"(starting with a letter or digit, at most 120 characters)")
    return None


def _walk(root: Path, sub: str, problems: list[Problem]) -> list[str]:
    """Every regular file under root/sub (sorted, relative to root); symlinks, pipes, devices
    and sockets are problems (never opened)."""
    base = root / sub
    if base.is_symlink():
        problems.append(Problem(sub, 1, 1, "(file)", "is a symbolic link; digestgen does not follow links"))
        return []
    if not base.is_dir():
        return []
    found: list[str] = []

    def visit(folder: str, rel_dir: str) -> bool:  # False once there are too many files
        try:
            with os.scandir(folder) as listing:
                children = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            return True
        files = [e for e in children if not e.name.startswith(".") and not e.name.endswith("~")]
        for entry in files:
            if entry.is_symlink():
                problems.append(Problem(f"{rel_dir}/{entry.name}", 1, 1, "(file)",
                                        "is a symbolic link; digestgen does not follow links"))
            elif entry.is_file(follow_symlinks=False):
                found.append(f"{rel_dir}/{entry.name}")
                if len(found) > MAX_FILES:
                    problems.append(Problem(sub, 1, 1, "(file)", f"holds more than {MAX_FILES:,} files"))
                    return False
            elif not entry.is_dir(follow_symlinks=False):  # a pipe would hang the build, a device fill memory
                with contextlib.suppress(OSError):  # (unless it is gone already)
                    problems.append(not_regular(f"{rel_dir}/{entry.name}", entry.stat(follow_symlinks=False).st_mode))
        # like os.walk: the files of a folder, then its subfolders in order
        return all(visit(entry.path, f"{rel_dir}/{entry.name}") for entry in files
                   if not entry.is_symlink() and entry.is_dir(follow_symlinks=False))

    visit(str(base), sub)
    return found


def _special_files(root: Path, sub: str) -> list[Problem]:
    """A problem for each pipe, device or socket under root/sub (templates and themes: the
    template loader skips them silently, so an override would vanish; links stay followed)."""
    found: list[Problem] = []
    for dirpath, dirnames, filenames in os.walk(root / sub):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            with contextlib.suppress(OSError):  # (unless it is gone already)
                mode = os.lstat(path).st_mode
                if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                    found.append(not_regular(Path(path).relative_to(root).as_posix(), mode))
    return found


_SCRIPTED_SVG = re.compile(rb"<script|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


def _active(file: Path) -> bool:
    """Static files a browser runs script from: HTML, JavaScript, and SVG with script in it."""
    suffix = file.suffix.lower()
    if suffix in (".html", ".htm", ".xhtml", ".shtml", ".js", ".mjs"):
        return True
    if suffix == ".svg":
        try:
            return bool(_SCRIPTED_SVG.search(read_bounded(file, 2_000_000, head=True)[0]))
        except OSError:
            return False
    return False


def discover(root: Path) -> Sources:
    """Find every content file; anything unexpected is reported, never silently skipped."""
    sources = Sources()
    for top in ("content", "static"):
        if (root / top).is_symlink():
            sources.problems.append(Problem(top, 1, 1, "(file)", "is a symbolic link; digestgen does not follow links"))
            return sources
    for rel in _walk(root, "content/papers", sources.problems):
        if rel.endswith(PAPER_SUFFIXES):
            sources.papers.append(rel)
        elif not rel.endswith((".swp", ".tmp", ".bak")):
            sources.problems.append(
                Problem(rel, 1, 1, "(file)", "is not a paper entry; papers are .md or .yaml files", "warning")
            )
    for rel in _walk(root, "content/issues", sources.problems):
        (sources.issues if rel.endswith(".md") else []).append(rel)
    for rel in _walk(root, "content/pages", sources.problems):
        (sources.pages if rel.endswith(".md") else []).append(rel)
    for rel in _walk(root, "static", sources.problems):  # also reports symlinks under static/
        if _active(root / rel):
            sources.problems.append(
                Problem(
                    rel,
                    1,
                    1,
                    "(file)",
                    "can run script on the site's pages when opened; static/ is "
                    "published as-is, so have a maintainer review it like code",
                    "warning",
                )
            )
    for top in ("templates", "themes"):
        sources.problems += _special_files(root, top)
    sources.tags = _vocabulary(root, "content/tags.yaml", sources.problems)
    sources.authors = _vocabulary(root, "content/authors.yaml", sources.problems)
    return sources


def _vocabulary(root: Path, rel: str, problems: list[Problem]) -> str | None:
    """rel if it is a regular file (content/tags.yaml, content/authors.yaml: both optional)."""
    try:
        mode = os.lstat(root / rel).st_mode
    except OSError:
        return None  # not there
    if stat.S_ISLNK(mode):
        problems.append(Problem(rel, 1, 1, "(file)", "is a symbolic link; digestgen does not follow links"))
    elif stat.S_ISREG(mode):
        return rel
    else:  # a pipe or a folder would silently turn the file off
        problems.append(not_regular(rel, mode))
    return None


def _load(root: Path, rel: str, problems: list[Problem], markdown_body: bool) -> Doc | None:
    """The file's fields (and Markdown body); None only when they cannot be read at all.

    A problem of the body (a control character, too long) is reported and the body left empty,
    so that the fields are still checked in the same run.
    """
    text = read_text(root / rel, rel, problems)
    if text is None:
        return None
    if not markdown_body:
        return load_mapping(text, rel, 0, problems)
    parts = split_front_matter(text, rel, problems)
    if parts is None:
        return None
    front, body, body_line = parts
    doc = load_mapping(front, rel, 1, problems)
    field = "note" if rel.startswith("content/papers/") else "intro" if rel.startswith("content/issues/") else "body"
    bad = bad_char(body, rel, body_line - 1, field)
    if bad is not None:
        problems.append(bad)
        body = ""
    elif len(body) > MAX_TEXT:
        problems.append(
            Problem(rel, body_line, 1, field, f"is {len(body):,} characters long; the limit is {MAX_TEXT:,}")
        )
        body = ""
    if doc is not None:
        doc.body, doc.body_line = body, body_line
    return doc


def _stem(rel: str) -> str:
    name = rel.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]


def _warn(problems: list[Problem], rel: str, name: str, warnings: list[tuple[int, str]], col: int = 1,
          errors: list[tuple[int, str]] | None = None) -> None:
    for line, message in warnings:
        problems.append(Problem(rel, line, col, name, message, "warning"))
    for line, message in errors or []:
        problems.append(Problem(rel, line, col, name, message))


def _text_line(doc: Doc, name: str) -> int:
    """The line on which the text of a Markdown field starts (below a `|` or `>` indicator)."""
    scalar = doc.scalars.get((name,))
    return doc.mark((name,))[0] + (1 if scalar is not None and scalar.block else 0)


def parse_paper(root: Path, rel: str, tz: dt.tzinfo, base_path: str) -> tuple[Paper | Unfinished | None, list[Problem]]:
    """Read, validate and render one paper file; every problem of the file is reported.

    The record is a Paper when the fields are valid, an Unfinished when they are not, and None
    when the file cannot be read as YAML or its name is no usable id.
    """
    problems: list[Problem] = []
    pid = _stem(rel)
    bad = check_name(pid, rel, "id")
    if bad:
        problems.append(bad)
    is_md = rel.endswith(".md")
    doc = _load(root, rel, problems, markdown_body=is_md)
    if doc is None:
        return None, problems
    if is_md and "note" in doc.data:
        line, col = doc.mark(("note",), key=True)
        problems.append(
            Problem(
                rel,
                line,
                col,
                "note",
                "belongs in the body of a .md entry (below the closing '---'), not in the front matter",
            )
        )
        doc.reported.add(("note",))
    fields: PaperFields | None = validate(PaperFields, doc, problems, {"tz": tz})
    if bad:
        return None, problems
    marks = pack_marks((".".join(map(str, key)), *doc.mark(key)) for key in doc.marks if 1 <= len(key) <= 2)
    if fields is None:
        refused = {problem.field for problem in problems}

        def usable(value: Any, *loc: Any) -> str | None:  # a text value no problem was reported for
            ok = isinstance(value, str) and not doc.was_reported(loc) and ".".join(map(str, loc)) not in refused
            return value if ok else None

        tags = doc.data.get("tags")
        kept = tuple(usable(tag, "tags", i) or "" for i, tag in enumerate(tags)) if isinstance(tags, list) else ()
        unfinished = Unfinished(pid, rel, kept, usable(doc.data.get("issue"), "issue"),
                                usable(doc.data.get("image"), "image"), marks)
        return unfinished, problems
    note = doc.body.strip("\n") if is_md else (fields.note or "")
    note_line = doc.body_line if is_md else _text_line(doc, "note")
    abstract = (
        render(
            fields.abstract or "", doc_id=f"{pid}-abstract", base_path=base_path, first_line=_text_line(doc, "abstract")
        )
        if fields.abstract
        else None
    )
    rendered_note = (
        render(note, doc_id=f"{pid}-note", base_path=base_path, first_line=note_line) if note.strip() else None
    )
    if abstract:
        _warn(problems, rel, "abstract", abstract.warnings, errors=abstract.errors)
    if rendered_note:
        _warn(problems, rel, "note", rendered_note.warnings, errors=rendered_note.errors)
    links = [(line, href) for line, href in (rendered_note.internal_links if rendered_note else [])]
    names = [split_author(name) for name in fields.authors]
    paper = Paper(
        id=pid, source=rel, title=fields.title, date=fields.date, authors=tuple(name for name, _ in names),
        arxiv=fields.arxiv, doi=fields.doi, published=fields.published,
        texts=Texts(fields.abstract, abstract.html if abstract else "", note or None,
                    rendered_note.html if rendered_note else ""),
        tldr=fields.tldr, tags=tuple(fields.tags),
        upvotes=fields.upvotes, links=tuple(fields.links.items()), image=fields.image,
        image_alt=fields.image_alt, featured=fields.featured, rank=fields.rank, issue=fields.issue,
        submitted_by=fields.submitted_by, draft=fields.draft, internal_links=tuple(links), marks=marks,
        journal=fields.journal, author_ids=tuple((i, author_id) for i, (_, author_id) in enumerate(names) if author_id),
        author_slugs=tuple(slugify(name) for name, _ in names),
    )
    for name, char in xml_unsafe_fields(paper):
        problems.append(Problem(rel, *paper.mark(name), name, f"contains the character U+{ord(char):04X}, which XML "
                                                             "feeds cannot carry; remove it"))
    return paper, problems


# XML 1.0 Char production: feeds (lxml) refuse anything else
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_invalid(value: object) -> str | None:
    """The first character XML cannot carry in a string, a list of strings or (label, url) pairs."""
    texts = value if isinstance(value, (tuple, list)) else [value]
    for text in texts:
        if isinstance(text, tuple):  # (label, url) pairs
            text = " ".join(text)
        match = _XML_INVALID.search(text) if isinstance(text, str) else None
        if match:
            return match.group()
    return None


def xml_unsafe_fields(paper: Paper) -> list[tuple[str, str]]:
    """(field, character) for each field of a paper holding a character XML cannot carry."""
    found = []
    for name in ("title", "authors", "tldr", "abstract", "note", "links", "image_alt", "submitted_by", "journal"):
        char = xml_invalid(getattr(paper, name))
        if char is None and name in ("abstract", "note"):
            char = xml_invalid(getattr(paper, f"{name}_html"))
        if char is not None:
            found.append((name, char))
    return found


def parse_issue(root: Path, rel: str, base_path: str, problems: list[Problem],
                tz: dt.tzinfo = dt.timezone.utc) -> IssueIntro | None:
    """Read content/issues/<key>.md (the key is checked against the cadence later)."""
    key = _stem(rel)
    doc = _load(root, rel, problems, markdown_body=True)
    if doc is None:
        return None
    fields: IssueFields | None = validate(IssueFields, doc, problems, {"tz": tz})
    if fields is None:
        return None
    intro = render(doc.body, doc_id=f"issue-{key}", base_path=base_path, first_line=doc.body_line)
    _warn(problems, rel, "intro", intro.warnings, errors=intro.errors)
    mark = (
        doc.mark(("publish_at",)) if fields.publish_at is not None else doc.mark(("draft",)) if fields.draft else (1, 1)
    )
    return IssueIntro(
        key,
        rel,
        fields.title,
        fields.summary,
        intro.html,
        doc.body_line,
        tuple(intro.internal_links),
        fields.draft,
        fields.publish_at,
        mark,
    )


def parse_page(root: Path, rel: str, base_path: str, problems: list[Problem]) -> Page | None:
    """Read content/pages/<slug>.md."""
    slug = _stem(rel)
    bad = check_name(slug, rel, "slug", SLUG_RE)
    if "/" in rel[len("content/pages/"):]:
        bad = Problem(rel, 1, 1, "slug", "pages must sit directly in content/pages/ (no sub-folders)")
    if bad:
        problems.append(bad)
    doc = _load(root, rel, problems, markdown_body=True)
    if doc is None:
        return None
    fields: PageFields | None = validate(PageFields, doc, problems)
    if fields is None or bad:
        return None
    body = render(doc.body, doc_id=f"page-{slug}", base_path=base_path, first_line=doc.body_line)
    _warn(problems, rel, "body", body.warnings, errors=body.errors)
    return Page(slug, rel, fields.title, fields.description, body.html, fields.draft, tuple(body.internal_links))


def parse_tags(root: Path, rel: str, problems: list[Problem]) -> dict[str, Tag] | None:
    """Read content/tags.yaml: {slug: {name, description}}."""
    doc = _load(root, rel, problems, markdown_body=False)
    if doc is None:
        return None
    tags: dict[str, Tag] = {}
    for slug, value in doc.data.items():
        if not SLUG_RE.fullmatch(str(slug)) or windows_reserved(str(slug)):
            line, col = doc.mark((slug,), key=True)
            problems.append(
                Problem(rel, line, col, str(slug), "is not a valid tag slug; use lowercase letters, digits and '-'")
            )
            continue
        if isinstance(value, str):
            value = {"name": value}
            doc.data[slug] = value
        if value is None:
            value = {"name": slug}
            doc.data[slug] = value
        fields = validate(TagFields, doc, problems, prefix=(slug,))
        if fields is not None:
            tags[slug] = Tag(slug, fields.name, fields.description)
    return tags


def fold(name: str) -> str:
    """Case- and Unicode-normalisation-insensitive key for collision checks."""
    return unicodedata.normalize("NFKC", name).casefold()
