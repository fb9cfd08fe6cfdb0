"""The frozen records sources become: Paper (with its long Texts, which may be kept out of
memory), IssueIntro, Page, Tag, and Unfinished for an entry that failed validation.

content.py makes them from files; every later stage reads them and none changes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Protocol


class TextStore(Protocol):
    """Where texts kept out of memory are (a build cache file, see cache.py)."""

    def read(self, offset: int, length: int, digest: bytes) -> bytes:
        """The bytes written there, checked against their digest (an error if they changed)."""
        ...


_TEXT_NAMES = ("abstract", "abstract_html", "note", "note_html")


class Texts:
    """A paper's long texts: its abstract and note (Markdown) and their HTML, most of its bytes.

    Records loaded from the build cache leave these in the cache file and read them back (and
    check them) when a page, feed or export shows them: a build after an edit renders a dozen
    pages and does not load the texts of every paper, and a big site's texts need not all be
    held in memory (cache.py). Texts compare and hash by the digest of their bytes.
    """

    __slots__ = ("_digest", "_store", "_values", "flags")

    def __init__(self, abstract: str | None, abstract_html: str, note: str | None, note_html: str):
        self._values: tuple[str | None, str, str | None, str] | None = (abstract, abstract_html, note, note_html)
        self._store: tuple[TextStore, int, int] | None = None
        self._digest: bytes | None = None
        self.flags = sum(1 << n for n, value in enumerate(self._values) if value)  # which are not empty

    @classmethod
    def stored(cls, store: TextStore, offset: int, length: int, digest: bytes, flags: int) -> Texts:
        """Texts written at offset in store (see encoded), read when first shown."""
        texts = cls.__new__(cls)
        texts._values, texts._store, texts._digest, texts.flags = None, (store, offset, length), digest, flags
        return texts

    def keep_in(self, store: TextStore, offset: int, length: int) -> None:
        """These texts were just written at offset in store: drop them from memory."""
        self.digest()
        self._store, self._values = (store, offset, length), None

    @property
    def values(self) -> tuple[str | None, str, str | None, str]:
        if self._values is not None:
            return self._values
        global _recent
        recent = _recent
        if recent is not None and recent[0] is self:  # the page being rendered asks again
            return recent[1]
        values = _decode(self.encoded())
        _recent = (self, values)
        return values

    def encoded(self) -> bytes:
        """The texts as bytes, as they are written to a store (see _encode)."""
        if self._store is not None:
            store, offset, length = self._store
            return store.read(offset, length, self.digest())
        data = _encode(self._values)  # type: ignore[arg-type]
        if self._digest is None:
            self._digest = text_digest(data)
        return data

    def digest(self) -> bytes:
        if self._digest is None:
            self.encoded()
        return self._digest  # type: ignore[return-value]

    def replaced(self, **changes: str | None) -> Texts:
        """A copy with some texts changed (by name: abstract, abstract_html, note, note_html)."""
        values = dict(zip(_TEXT_NAMES, self.values))
        values.update(changes)
        return Texts(*values.values())  # type: ignore[arg-type]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Texts) and (self is other or self.digest() == other.digest())

    def __hash__(self) -> int:
        return hash(self.digest())

    def __repr__(self) -> str:
        return f"Texts({self.digest().hex()})"

    def __reduce__(self) -> tuple[type[Texts], tuple[str | None, str, str | None, str]]:
        return Texts, self.values  # to a worker process: the texts themselves


_recent: tuple[Texts, tuple[str | None, str, str | None, str]] | None = None  # the texts read last


_SIZE = struct.Struct(">i")


def _encode(values: tuple[str | None, str, str | None, str]) -> bytes:
    """Each text as its length and UTF-8 bytes (-1 for none): equal texts, equal bytes."""
    parts = []
    for value in values:
        data = b"" if value is None else value.encode("utf-8", "surrogatepass")
        parts += [_SIZE.pack(-1 if value is None else len(data)), data]
    return b"".join(parts)


def _decode(data: bytes) -> tuple[str | None, str, str | None, str]:
    values: list[str | None] = []
    at = 0
    for _ in _TEXT_NAMES:
        size = _SIZE.unpack_from(data, at)[0]
        at += _SIZE.size
        values.append(None if size < 0 else data[at : at + size].decode("utf-8", "surrogatepass"))
        at += max(size, 0)
    return values[0], values[1] or "", values[2], values[3] or ""


def text_digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


@dataclass(frozen=True)
class Paper:
    """One validated paper entry, with its Markdown already rendered."""

    id: str
    source: str
    title: str
    date: dt.date
    authors: tuple[str, ...]
    arxiv: str | None
    doi: str | None
    published: dt.date | None
    texts: Texts  # abstract, abstract_html, note, note_html: see the properties below
    tldr: str | None
    tags: tuple[str, ...]
    upvotes: int | None
    links: tuple[tuple[str, str], ...]
    image: str | None
    image_alt: str | None
    featured: bool
    rank: int | None
    issue: str | None
    submitted_by: str | None
    draft: bool
    internal_links: tuple[tuple[int, str], ...] = ()
    marks: str = ""  # where each field starts, for messages about the whole site: see pack_marks
    journal: str | None = None  # the journal reference, once published
    # (position in authors, id) of each author written 'Name [id]': their content/authors.yaml entry
    author_ids: tuple[tuple[int, str], ...] = ()
    # the slug of each author name (slugs.slugify), made once with the parsed record
    author_slugs: tuple[str, ...] = ()

    def __hash__(self) -> int:
        """Computed once: records are dictionary keys of what a long process keeps (reuse.py)."""
        try:
            return self.__dict__["_hash"]  # type: ignore[no-any-return]
        except KeyError:
            value = hash(astuple_shallow(self))
            self.__dict__["_hash"] = value
            return value

    def __reduce__(self) -> tuple[type[Paper], tuple[object, ...]]:
        # pickled (between worker processes; the build cache holds no pickle, see cache.py) as its
        # field values, which load in about half the time of an object with its dictionary; the
        # cached hash is left out, since string hashes differ between processes
        return Paper, astuple_shallow(self)

    def mark(self, name: str) -> tuple[int, int]:
        """Line and column where a field (or one item: "tags.1") is written in the file."""
        return find_mark(self.marks, name)

    @property
    def abstract(self) -> str | None:
        """The abstract as written (Markdown)."""
        return self.texts.values[0]

    @property
    def abstract_html(self) -> str:
        return self.texts.values[1]

    @property
    def note(self) -> str | None:
        """The curator's note as written (Markdown)."""
        return self.texts.values[2]

    @property
    def note_html(self) -> str:
        return self.texts.values[3]

    @property
    def has_abstract(self) -> bool:
        return bool(self.texts.flags & 1)  # without reading the texts

    @property
    def arxiv_base(self) -> str | None:
        """The arXiv id without its version suffix."""
        if not self.arxiv:
            return None
        head, _, tail = self.arxiv.rpartition("v")
        return head if head and tail.isdigit() and not head.endswith("/") else self.arxiv

    @property
    def arxiv_abs(self) -> str | None:
        return f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else None

    @property
    def arxiv_pdf(self) -> str | None:
        return f"https://arxiv.org/pdf/{self.arxiv}" if self.arxiv else None


def pack_marks(marks: Iterable[tuple[str, int, int]]) -> str:
    """Field positions as one string, a line each (name, line and column between tabs): a tenth
    of the memory of a tuple of tuples, and kept with every paper of the site."""
    return "".join(f"\n{name}\t{line}\t{col}" for name, line, col in marks
                   if "\n" not in name and "\t" not in name) + "\n"


def find_mark(marks: str, name: str) -> tuple[int, int]:
    """Line and column of a field in marks made by pack_marks (1, 1 when it is not there)."""
    at = marks.find(f"\n{name}\t")
    if at < 0:
        return 1, 1
    line, col = marks[at + len(name) + 2 : marks.index("\n", at + 1)].split("\t")
    return int(line), int(col)


def astuple_shallow(record: object) -> tuple[object, ...]:
    """The field values of a dataclass record, in order (not copied, unlike dataclasses.astuple)."""
    return tuple(getattr(record, f.name) for f in dataclass_fields(record))  # type: ignore[arg-type]


@dataclass(frozen=True)
class IssueIntro:
    key: str
    source: str
    title: str | None
    summary: str | None
    intro_html: str
    line: int
    internal_links: tuple[tuple[int, str], ...] = ()
    draft: bool = False
    publish_at: dt.datetime | None = None  # in the site's timezone
    publish_mark: tuple[int, int] = (1, 1)  # line, column of publish_at or draft, for messages


@dataclass(frozen=True)
class Page:
    slug: str
    source: str
    title: str
    description: str | None
    body_html: str
    draft: bool
    internal_links: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Tag:
    slug: str
    name: str
    description: str | None


@dataclass(frozen=True)
class Unfinished:
    """An entry that failed validation: what site-wide checks can still say about it.

    Its tags, issue key and image are checked like a paper's (site.py), so that one run reports
    every mistake of the file. Values refused already are left out (tags: left empty).
    """

    id: str
    source: str
    tags: tuple[str, ...]
    issue: str | None
    image: str | None
    marks: str

    def mark(self, name: str) -> tuple[int, int]:
        return find_mark(self.marks, name)
