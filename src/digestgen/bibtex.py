"""BibTeX entries for papers, in the form reference managers import as written.

arXiv preprints take the form of arXiv's own export (@misc with eprint, archivePrefix and,
for old-style ids, primaryClass); a paper with a `journal` is an @article (keeping its eprint);
other papers are @misc with their DOI or link. Titles keep
their $math$ and Unicode and escape what TeX would read as markup; DOIs and URLs are written
verbatim. Without a `published` date the year and month come from the arXiv id (the month
the preprint appeared), and only without one from the day the paper was featured.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from anyascii import anyascii

from digestgen.content import Paper

# Outside math, what TeX reads as markup is written as the command that prints the character.
_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}
# BibTeX counts every brace, escaped or not: where "\{" and "\}" would not pair up, braces
# are written as the commands that print them.
_UNPAIRED = {**_ESCAPES, "{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
_URL_ESCAPES = str.maketrans({"{": "%7B", "}": "%7D", "\\": "%5C"})
_SPECIAL = re.compile(r"[&%$#_{}~^\\]")
# $...$ as TeX writes inline math: no space just inside either dollar and no digit right after
# the closing one, so "costs $5 to $10" stays money.
_MATH = re.compile(r"(?<![\\$])\$(?=[^\s$])((?:\\.|[^$\\])*?)(?<=[^\s\\])\$(?!\d)")
# arXiv ids: 2412.10411 (YYMM.number, since April 2007) and hep-th/9901001 (archive/YYMMnnn)
_NEW_ID = re.compile(r"(\d{2})(\d{2})\.\d{4,5}")
_OLD_ID = re.compile(r"([a-z][a-z-]*(?:\.[A-Z]{2})?)/(\d{2})(\d{2})\d{3}")
# generational suffixes written after the family name: "Martin Luther King Jr."
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "2nd", "3rd", "4th"})
_AND = re.compile(r"\sand\s", re.IGNORECASE)
_STOP_WORDS = frozenset({"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "from", "by", "at"})
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def escape(text: str) -> str:
    """Text for a BibTeX field: $math$ kept as written, TeX's special characters escaped."""
    text = " ".join(text.split())
    parts: list[tuple[str, bool]] = []  # (text, is math)
    at = 0
    for match in _MATH.finditer(text):
        if _balanced(match.group(1)):  # else BibTeX could not read it: written as plain text
            parts += [(text[at : match.start()], False), (match.group(0), True)]
            at = match.end()
    parts.append((text[at:], False))
    escapes = _ESCAPES if _balanced("".join(t for t, math in parts if not math)) else _UNPAIRED
    return "".join(t if math else _SPECIAL.sub(lambda m: escapes[m.group(0)], t) for t, math in parts)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char == "{") - (char == "}")
        if depth < 0:
            return False
    return depth == 0


def verbatim(value: str) -> str:
    """A DOI or URL as written; only a brace or backslash, which would unbalance the entry or
    read as a command, is percent-encoded (resolvers read %7B as {)."""
    return value.translate(_URL_ESCAPES)


def arxiv_month(arxiv: str) -> dt.date | None:
    """The first day of the month an arXiv id was given out in (2412.10411 -> 2024-12-01)."""
    new, old = _NEW_ID.match(arxiv), _OLD_ID.match(arxiv)
    if new:
        year, month = 2000 + int(new[1]), int(new[2])
    elif old:
        yy, month = int(old[2]), int(old[3])
        year = 1900 + yy if yy >= 91 else 2000 + yy  # old-style ids ran from 1991 to March 2007
    else:
        return None
    return dt.date(year, month, 1) if 1 <= month <= 12 else None


def primary_class(arxiv: str) -> str | None:
    """The archive an old-style id names (hep-th/9901001 -> hep-th); new-style ids name none."""
    old = _OLD_ID.match(arxiv)
    return old[1] if old else None


def entry_date(paper: Paper) -> dt.date:
    """The date an entry cites: published, else the arXiv id's month, else the featured day."""
    return paper.published or (arxiv_month(paper.arxiv) if paper.arxiv else None) or paper.date


def _bibtex_name(name: str) -> str:
    """name with a generational suffix in BibTeX's "Family, Jr., Given" order, so that
    BibTeX takes the family name as such ("Martin Luther King Jr." or "Martin Luther King,
    Jr." -> "King, Jr., Martin Luther"); other names as written."""
    given, comma, last = name.rpartition(",")
    if comma and last.strip().lower() in _SUFFIXES and "," not in given:
        words, suffix = given.split(), last.strip()
    else:
        words = name.split()
        if "," in name or len(words) < 3 or words[-1].lower() not in _SUFFIXES:
            return " ".join(words)
        words, suffix = words[:-1], words[-1]
    if len(words) < 2:
        return " ".join(name.split())
    return f"{words[-1]}, {suffix}, {' '.join(words[:-1])}"


def author(name: str) -> str:
    """One name for BibTeX's author list; a name holding the word "and" (a group: "Research
    and Development Team") is braced so that it stays one author."""
    text = escape(_bibtex_name(name))
    return "{" + text + "}" if _AND.search(f" {text} ") else text


def family_name(name: str) -> str:
    """The family name BibTeX reads from a name as author() writes it."""
    name = _bibtex_name(name)
    if "," in name:
        return name.split(",")[0].strip()
    words = name.split()
    return words[-1] if words else ""


def _key_part(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", anyascii(text).lower())


def cite_key(paper: Paper) -> str:
    """A Google Scholar-style key: family name, year, first title word ("vaswani2017attention"),
    in ASCII ("Ødegaard" -> "odegaard", "Müller" -> "muller")."""
    family = _key_part(family_name(paper.authors[0])) if paper.authors else ""
    words = (_key_part(w) for w in re.split(r"[\s\-–—/:]+", re.sub(r"\$[^$]*\$", " ", paper.title)))
    first = next((w for w in words if w and w not in _STOP_WORDS), "")
    return f"{family or 'anon'}{entry_date(paper).year}{first}"


def bibtex(paper: Paper, key: str | None = None) -> str:
    """The BibTeX entry of one paper, under key (cite_key by default)."""
    when = entry_date(paper)
    fields: list[tuple[str, str]] = [("title", "{" + escape(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(author(a) for a in paper.authors)))
    if paper.journal:
        fields.append(("journal", escape(paper.journal)))
    fields += [("year", str(when.year)), ("month", _MONTHS[when.month - 1])]
    url = None
    if paper.arxiv:
        arxiv = paper.arxiv_base or paper.arxiv
        fields += [("eprint", arxiv), ("archivePrefix", "arXiv")]
        if primary_class(arxiv):
            fields.append(("primaryClass", primary_class(arxiv) or ""))
        url = f"https://arxiv.org/abs/{arxiv}"
    if paper.doi:
        fields.append(("doi", verbatim(paper.doi)))
    if url is None and not paper.doi and paper.links:
        url = paper.links[0][1]
    if url:
        fields.append(("url", verbatim(url)))
    body = ",\n".join(f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{'article' if paper.journal else 'misc'}{{{key or cite_key(paper)},\n{body}\n}}\n"


def unique_keys(papers: Iterable[Paper]) -> list[str]:
    """The cite keys of papers in one file: a repeated key gets b, c, ... (the first keeps it
    bare), never one that another paper of the file has as its own."""
    papers = list(papers)
    natural = [cite_key(p) for p in papers]
    taken = set(natural)
    seen: set[str] = set()
    keys: list[str] = []
    for key in natural:
        if key in seen:
            n = 1
            while f"{key}{_suffix(n)}" in taken:
                n += 1
            key = f"{key}{_suffix(n)}"
            taken.add(key)
        seen.add(key)
        keys.append(key)
    return keys


def _suffix(n: int) -> str:
    """1 -> 'b', 2 -> 'c', ..., 25 -> 'z', 26 -> 'ba' (the first use keeps the bare key)."""
    letters = ""
    while True:
        letters = "abcdefghijklmnopqrstuvwxyz"[n % 26] + letters
        n //= 26
        if not n:
            return letters
