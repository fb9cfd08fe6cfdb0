"""Read a BibTeX file into PaperMeta records, for `digestgen import bibtex` (bibtexparser v2).

LaTeX in values is decoded (M{\\"u}ller -> Müller, braces dropped), "Last, First" names are
turned around, and an arXiv eprint, a DOI or an arxiv.org URL gives the paper its ids. A
published date is kept only when the file has a whole one (biblatex `date = {2017-06-12}`):
a year alone is not a day.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digestgen.errors import UsageError
from digestgen.schema import check_url
from digestgen.sources import PaperMeta, arxiv_base, normalise_arxiv, normalise_doi, one_line

_ARXIV_JOURNAL = re.compile(r"^(?:arxiv preprint|corr)\b", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(r"arXiv:\s*(\S+)", re.IGNORECASE)


@dataclass
class BibEntry:
    """One parsed entry: its cite key, the line it starts on, and what it says about the paper."""

    key: str
    line: int
    meta: PaperMeta | None
    problem: str | None = None


def read_bibtex(path: Path) -> list[BibEntry]:
    """Every entry of a .bib file, in file order; an entry that cannot be used carries a problem."""
    import bibtexparser
    from bibtexparser import middlewares
    from bibtexparser.model import DuplicateBlockKeyBlock

    # bibtexparser logs each block it gives up on; the problems are reported here instead
    logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    library = bibtexparser.parse_string(text, append_middleware=[
        middlewares.LatexDecodingMiddleware(decoder=_decoder()), middlewares.SeparateCoAuthors(),
        middlewares.SplitNameParts(), middlewares.MergeNameParts("first")])
    found = []
    for block in library.failed_blocks:
        key = block.key if isinstance(block, DuplicateBlockKeyBlock) else ""
        reason = str(getattr(block.error, "abort_reason", "") or "check its braces, quotes and commas").rstrip(".")
        found.append(BibEntry(key, (block.start_line or 0) + 1, None, f"the cite key '{key}' is used twice" if key
                              else f"cannot parse this entry: {reason}"))
    for entry in library.entries:
        fields = {key.lower(): field.value for key, field in entry.fields_dict.items()}
        found.append(_entry(entry.key, (entry.start_line or 0) + 1, fields))
    return sorted(found, key=lambda e: e.line)


def _decoder() -> Any:
    """bibtexparser's LaTeX decoder (math kept as written, \\url{x} as x), knowing the TeX logos
    too: pylatexenc drops macros it does not know, so '{\\LaTeX}' in a title left nothing."""
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    context = get_default_latex_context_db()
    logos = [MacroTextSpec(name, simplify_repl=name) for name in ("TeX", "LaTeX", "BibTeX", "XeTeX", "LuaTeX")]
    logos.append(MacroTextSpec("LaTeXe", simplify_repl="LaTeX2e"))
    context.add_context_category("digestgen", prepend=True, macros=[MacroTextSpec("url", simplify_repl="%s"), *logos])
    return LatexNodes2Text(latex_context=context, keep_braced_groups=False, math_mode="verbatim")


def _entry(key: str, line: int, fields: dict[str, object]) -> BibEntry:
    def text(name: str) -> str:
        value = fields.get(name)
        return one_line(value if isinstance(value, str) else "").replace("{", "").replace("}", "")

    title = text("title")
    if not title:
        return BibEntry(key, line, None, "has no title")
    raw_authors = fields.get("author")
    authors = [one_line(a).replace("{", "").replace("}", "")[:300] for a in raw_authors
               if isinstance(a, str) and a.strip()] if isinstance(raw_authors, list) else []
    arxiv = None
    archive = (text("archiveprefix") or text("eprinttype")).lower()
    if text("eprint") and archive in ("arxiv", ""):  # an eprint alone is arXiv's (Google Scholar writes it so)
        arxiv = normalise_arxiv(text("eprint"))
    for candidate in (text("url"), *(_ARXIV_IN_TEXT.findall(text("journal")))):
        arxiv = arxiv or (normalise_arxiv(candidate) if candidate else None)
    doi = normalise_doi(text("doi")) if text("doi") else None
    venue = text("journal") or text("booktitle")
    journal = None if not venue or _ARXIV_JOURNAL.match(venue) else " ".join(
        [venue] + [text(k) for k in ("volume", "pages") if text(k)] + ([f"({text('year')})"] if text("year") else []))
    links = {}
    url = text("url")
    if url and not normalise_arxiv(url) and not normalise_doi(url):
        try:
            links["paper"] = check_url(url)
        except ValueError:
            pass
    published = None
    try:
        published = dt.date.fromisoformat(text("date")) if len(text("date")) == 10 else None
    except ValueError:
        pass
    meta = PaperMeta(arxiv=arxiv_base(arxiv) if arxiv else None, title=title[:500], authors=authors,
                     abstract=text("abstract") or None, published=published, doi=doi,
                     journal=journal[:500] if journal else None, links=links)
    if arxiv and arxiv != arxiv_base(arxiv):
        meta.arxiv = arxiv
    return BibEntry(key, line, meta)
