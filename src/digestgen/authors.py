"""Authors: every name of the papers' author lists, under one stable slug per person.

A name's slug is its ASCII folding (Ødegaard -> odegaard, 王伟 -> wangwei), so spellings
that differ only in accents, case or punctuation are one author; content/authors.yaml
(optional) names people: their display name, other spellings (aliases), ORCID iD,
affiliation and homepage, under an id that is their slug. Two people with one name get an
entry each, and a paper tells which one it means by writing 'Wei Wang [wei-wang-ucla]'.

An author gets a page and a feed of their own once they have site.yaml's `author_pages`
papers (three by default) or an entry in content/authors.yaml. Most authors of a digest have
one paper and many of the rest two: pages for them would add more files and bytes than the
rest of the site (see docs/performance.md), for names a reader meets once. The names of
the others are plain text.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from anyascii import anyascii

from digestgen.content import Paper
from digestgen.errors import Problem
from digestgen.reuse import keeping, remembered
from digestgen.schema import SLUG_RE, AuthorEntryFields, windows_reserved
from digestgen.slugs import MAX_SLUG, NOT_SLUG, slugify
from digestgen.validation import validate
from digestgen.yamlio import load_mapping, read_text

AUTHORS_FILE = "content/authors.yaml"
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v", "phd"})  # not family names, for the index order


@dataclass(frozen=True)
class AuthorEntry:
    """One person of content/authors.yaml."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    affiliation: str | None = None
    orcid: str | None = None
    homepage: str | None = None
    line: int = 1
    column: int = 1


@dataclass(frozen=True)
class Author:
    """One person as the site shows them: on their page, in the index and in their feed."""

    slug: str
    name: str  # the entry's name, else the spelling most papers use
    count: int  # papers shown
    spellings: tuple[str, ...] = ()  # the other spellings of their papers, sorted
    affiliation: str | None = None
    orcid: str | None = None
    homepage: str | None = None
    letter: str = "#"  # the index section: the first letter of the family name, else '#'
    declared: bool = False  # has an entry in content/authors.yaml
    origin: tuple[str, int, int, str] = field(default=(AUTHORS_FILE, 1, 1, "id"), compare=False, repr=False)


@dataclass
class Authors:
    """The site's authors: who has a page, their papers, and where each paper's names link."""

    pages: dict[str, Author] = field(default_factory=dict)  # slug -> author with a page, in index order
    papers: dict[str, list[Paper]] = field(default_factory=dict)  # slug -> their papers, newest first
    links: dict[str, tuple[str | None, ...]] = field(
        default_factory=dict
    )  # paper id -> slug per author (None: no page)
    everyone: int = 0  # distinct authors of the shown papers

    def signature(self, paper_id: str) -> str:
        """What a paper's author links are, for the key of every page that shows the paper."""
        slugs = self.links.get(paper_id)
        return ",".join(slug or "" for slug in slugs) if slugs else ""


def family_key(name: str) -> str:
    """The index order of a name: its family name (the last word but suffixes like Jr.), folded,
    then the whole name."""
    words = [w for w in NOT_SLUG.split((name if name.isascii() else anyascii(name)).lower()) if w]
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    return f"{words[-1] if words else ''} {' '.join(words)}"


def parse_authors(root: Path, rel: str, problems: list[Problem]) -> dict[str, AuthorEntry]:
    """Read content/authors.yaml: {id: {name, aliases, affiliation, orcid, homepage}} (or {id: name})."""
    text = read_text(root / rel, rel, problems)
    doc = load_mapping(text, rel, 0, problems) if text is not None else None
    if doc is None:
        return {}
    entries: dict[str, AuthorEntry] = {}
    for key, value in doc.data.items():
        line, col = doc.mark((key,), key=True)
        if not SLUG_RE.fullmatch(str(key)) or not 2 <= len(str(key)) <= MAX_SLUG or windows_reserved(str(key)):
            problems.append(
                Problem(
                    rel,
                    line,
                    col,
                    str(key),
                    "is not a valid author id; use lowercase letters, digits "
                    f"and '-' (2 to {MAX_SLUG}), like 'wei-wang-ucla': it is the address of their page",
                )
            )
            continue
        if isinstance(value, str):
            value = doc.data[key] = {"name": value}
        fields = validate(AuthorEntryFields, doc, problems, prefix=(key,))
        if fields is not None:
            entries[key] = AuthorEntry(key, fields.name, tuple(fields.aliases), fields.affiliation, fields.orcid,
                                       fields.homepage, line, col)
        else:  # reported: still an id papers may name, so that they are not reported too
            name = value.get("name") if isinstance(value, dict) else None
            entries[key] = AuthorEntry(key, name if isinstance(name, str) else key, line=line, column=col)
    _check_aliases(entries, doc, rel, problems)
    return entries


def _check_aliases(entries: dict[str, AuthorEntry], doc: object, rel: str, problems: list[Problem]) -> None:
    """An alias that is another entry's id would never reach its own entry (an id wins)."""
    for entry in entries.values():
        for i, alias in enumerate(entry.aliases):
            other = slugify(alias)
            if other in entries and other != entry.id:
                line, col = doc.mark((entry.id, "aliases", i))  # type: ignore[attr-defined]
                problems.append(
                    Problem(
                        rel,
                        line,
                        col,
                        f"{entry.id}.aliases.{i}",
                        f"{alias!r} is the name of the entry '{other}' (its id), so papers that write it "
                        f"are {other}'s; remove the alias, or write '{alias} [{entry.id}]' in those papers",
                    )
                )


class _Resolver:
    """Which person each name of an author list is: an entry of content/authors.yaml, or the
    author its slug names."""

    def __init__(self, entries: dict[str, AuthorEntry]):
        self.entries = entries
        self.claims: dict[str, list[str]] = {}  # slug of a name or alias -> ids of the entries with it
        for entry in entries.values():
            for name in (entry.name, *entry.aliases):
                ids = self.claims.setdefault(slugify(name), [])
                if entry.id not in ids:
                    ids.append(entry.id)
        self.known: dict[str, tuple[str, str | None]] = {}  # name -> (slug, message)

    def resolve(self, name: str, given: str | None, slug: str | None = None) -> tuple[str, str | None]:
        """(slug, problem message or None) of a name, with the id the paper gave it if any (slug:
        the name's own slug, when known)."""
        if given is not None:
            if given in self.entries:
                return given, None
            close = difflib.get_close_matches(given, list(self.entries), n=1, cutoff=0.6)
            fix = f"did you mean '{close[0]}'?" if close else f"add an entry '{given}' to {AUTHORS_FILE}"
            return slug or slugify(name), f"[{given}] is not an id of {AUTHORS_FILE}; {fix}"
        known = self.known.get(name)
        if known is None:
            known = self.known[name] = self._by_name(name, slug or slugify(name))
        return known

    def _by_name(self, name: str, slug: str) -> tuple[str, str | None]:
        if slug in self.entries:  # an id wins over the names and aliases of other entries
            return slug, None
        ids = self.claims.get(slug, [])
        if len(ids) > 1:
            choices = " or ".join(f"'{name} [{i}]'" for i in sorted(ids))
            return slug, (f"{name!r} is the name of {len(ids)} people in {AUTHORS_FILE} ({', '.join(sorted(ids))}); "
                          f"say which one: {choices}")
        return (ids[0] if ids else slug), None


def authors_of(shown: list[Paper], parsed: list[Paper], entries: dict[str, AuthorEntry], min_papers: int,
               problems: list[Problem]) -> Authors:
    """build_authors, kept by a long process (reuse.py) under what it reads of each paper (its
    names, ids and slugs, and where they are written, for the messages): an edit that leaves
    every byline alone gets the same index, with each paper list made of this build's records."""
    if not keeping():
        return build_authors(shown, parsed, entries, min_papers, problems)

    def names(papers: list[Paper]) -> tuple[object, ...]:
        return tuple((p.id, p.source, p.authors, p.author_ids, p.author_slugs, p.marks) for p in papers)

    key = (names(shown), names(parsed), tuple(entries.items()), min_papers)
    kept, found = remembered("authors", key, _index, shown, parsed, entries, min_papers)
    problems.extend(found)
    now = {p.id: p for p in shown}
    return replace(kept, papers={slug: [now[p.id] for p in papers] for slug, papers in kept.papers.items()})


def _index(shown: list[Paper], parsed: list[Paper], entries: dict[str, AuthorEntry],
           min_papers: int) -> tuple[Authors, list[Problem]]:
    problems: list[Problem] = []
    return build_authors(shown, parsed, entries, min_papers, problems), problems


def build_authors(shown: list[Paper], parsed: Iterable[Paper], entries: dict[str, AuthorEntry], min_papers: int,
                  problems: list[Problem]) -> Authors:
    """The authors of the shown papers (newest first); problems of every parsed paper's names."""
    resolver = _Resolver(entries)
    mentioned: set[str] = set()
    # source -> (names, ids given, the slug each name resolves to)
    resolved: dict[str, tuple[tuple[str, ...], tuple[tuple[int, str], ...], tuple[str, ...]]] = {}
    for paper in parsed:  # every entry's names are checked, also those not shown in this build
        own = _slugs(paper)
        if not entries and not paper.author_ids:  # no authors.yaml: each name is its own slug
            resolved[paper.source] = (paper.authors, paper.author_ids, own)
            continue
        ids = dict(paper.author_ids) if paper.author_ids else {}
        mentioned.update(own)
        slugs = []
        for i, name in enumerate(paper.authors):
            slug, message = resolver.resolve(name, ids.get(i), own[i])
            slugs.append(slug)
            if message is not None:
                line, col = paper.mark(f"authors.{i}")
                problems.append(Problem(paper.source, line, col, f"authors.{i}", message))
        mentioned.update(slugs)
        resolved[paper.source] = (paper.authors, paper.author_ids, tuple(slugs))
    for entry in entries.values():
        if entry.id not in mentioned and not any(slugify(n) in mentioned for n in (entry.name, *entry.aliases)):
            problems.append(
                Problem(
                    AUTHORS_FILE,
                    entry.line,
                    entry.column,
                    entry.id,
                    f"no paper lists {entry.name!r}{' or its aliases' if entry.aliases else ''}; "
                    f"check the spelling, or write '{entry.name} [{entry.id}]' in its papers",
                    "warning",
                )
            )

    slugs_of: dict[str, tuple[str, ...]] = {}
    papers: dict[str, list[Paper]] = {}
    spellings: dict[str, dict[str, int]] = {}  # slug -> how often each spelling is used
    first: dict[tuple[str, str], Paper] = {}  # (slug, spelling) -> the newest paper writing it
    for paper in shown:
        known = resolved.get(paper.source)
        if known is not None and known[0] == paper.authors and known[1] == paper.author_ids:
            slugs_ = known[2]
        else:  # (a shown paper is a parsed one, for callers that pass others)
            ids = dict(paper.author_ids)
            own = _slugs(paper)
            slugs_ = tuple(resolver.resolve(name, ids.get(i), own[i])[0] for i, name in enumerate(paper.authors))
        for slug, name in zip(slugs_, paper.authors):
            spelled = spellings.get(slug)
            if spelled is None:
                spelled = spellings[slug] = {}
            count = spelled.get(name)
            if count is None:
                first[slug, name] = paper
                count = 0
            spelled[name] = count + 1
        slugs_of[paper.id] = slugs_
        for slug in dict.fromkeys(slugs_):  # a name twice in one list is one paper
            shown_by = papers.get(slug)
            if shown_by is None:
                papers[slug] = [paper]
            else:
                shown_by.append(paper)

    people: list[tuple[tuple[bool, str, str], Author]] = []  # (index order, author)
    for slug, spelled in spellings.items():
        declared = entries.get(slug)
        if declared is None and len(papers[slug]) < min_papers:
            continue
        ranked = sorted(spelled, key=lambda n: (-spelled[n], n.isascii(), n))
        name = declared.name if declared is not None else ranked[0]
        if declared is None:
            _warn_spellings(slug, ranked, first, problems)
        paper = first[slug, ranked[0]]
        position = paper.authors.index(ranked[0])
        origin = (AUTHORS_FILE, declared.line, declared.column, "id") if declared is not None else \
            (paper.source, *paper.mark(f"authors.{position}"), f"authors.{position}")
        key = family_key(name)
        letter = key[0].upper() if key[:1].isalpha() else "#"
        people.append(((letter == "#", key, slug), Author(
            slug, name, len(papers[slug]), tuple(sorted(n for n in spelled if n != name)),
            declared.affiliation if declared else None, declared.orcid if declared else None,
            declared.homepage if declared else None, letter, declared is not None, origin)))
    people.sort(key=lambda pair: pair[0])
    pages = {a.slug: a for _, a in people}
    links = {pid: tuple(s if s in pages else None for s in slugs) for pid, slugs in slugs_of.items()
             if any(s in pages for s in slugs)}
    return Authors(pages, {slug: papers[slug] for slug in pages}, links, len(spellings))


def _slugs(paper: Paper) -> tuple[str, ...]:
    """The slug of each of a paper's names: made with its record (see content.Paper)."""
    if len(paper.author_slugs) == len(paper.authors):
        return paper.author_slugs
    return tuple(slugify(name) for name in paper.authors)


def _warn_spellings(slug: str, ranked: list[str], first: dict[tuple[str, str], Paper], problems: list[Problem]) -> None:
    """Spellings of one slug not declared in content/authors.yaml: shown as one author, with a
    warning at each spelling but the most used one."""
    main = first[slug, ranked[0]]
    for other in ranked[1:]:
        paper = first[slug, other]
        position = paper.authors.index(other)
        line, col = paper.mark(f"authors.{position}")
        problems.append(Problem(
            paper.source, line, col, f"authors.{position}",
            f"{other!r} and {ranked[0]!r} ({main.source}) are both /authors/{slug}/ and are shown as one author; "
            f"if they are one person, add '{slug}' to {AUTHORS_FILE} with the other spelling in its aliases; "
            "if two, give each an entry there and write 'Name [id]' in their papers", "warning"))
