"""RIS and CSL-JSON records of papers, and the citation_* tags of paper pages.

What reference managers import besides BibTeX: RIS (line-based, read by Zotero, Mendeley,
EndNote) and CSL-JSON (the records of citeproc, Pandoc and Zotero). Both say the same as the
paper's BibTeX entry: an arXiv preprint is a preprint of the arXiv repository, a paper with a
`journal` a journal article; the cited date is the `published` date, else the month of the
arXiv id, else the day the paper was featured. Like BibTeX entries (and the exports of arXiv
and Google Scholar) they leave out the abstract: it is on the paper page, and in every citation
file it would be most of the file's bytes. Written with the standard library alone, in a fixed
order of fields, so the same paper always gives the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from digestgen.bibtex import arxiv_month
from digestgen.content import Paper

# the citation files of each paper and issue: (extension, name), BibTeX first
CITATION_LINKS = (("bib", "BibTeX"), ("ris", "RIS"), ("csl.json", "CSL-JSON"))
# a tag's papers (hundreds, each in several tags) in BibTeX alone, which every manager imports
TAG_CITATION_LINKS = CITATION_LINKS[:1]
# generational suffixes written after the family name: "Martin Luther King Jr."
_AND = re.compile(r"\sand\s", re.IGNORECASE)
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "2nd", "3rd", "4th"})


def cited_date(paper: Paper) -> tuple[int, ...]:
    """(year, month, day) of the published date; (year, month) of the arXiv id without one;
    else the day the paper was featured."""
    if paper.published:
        return paper.published.year, paper.published.month, paper.published.day
    month = arxiv_month(paper.arxiv_base or paper.arxiv) if paper.arxiv else None
    if month:
        return month.year, month.month
    return paper.date.year, paper.date.month, paper.date.day


def split_name(name: str) -> tuple[str, str, str]:
    """(given, family, suffix) of a name as BibTeX reads it: "Family, Given" as written, else
    the last word is the family name; a generational suffix is kept apart
    ("Martin Luther King Jr." -> ("Martin Luther", "King", "Jr.")); a name with the word
    "and" is a group, all family name."""
    if _AND.search(f" {name} "):  # a group ("Research and Development Team"): one family name
        return "", " ".join(name.split()), ""
    parts = [p.strip() for p in " ".join(name.split()).split(",")]
    if len(parts) == 2 and parts[1].lower() in _SUFFIXES and " " in parts[0]:  # "Given Family, Jr."
        words, suffix = parts[0].split(), parts[1]
        return " ".join(words[:-1]), words[-1], suffix
    if len(parts) == 3:  # "Family, Jr., Given"
        return parts[2], parts[0], parts[1]
    if len(parts) == 2:  # "Family, Given"
        return parts[1], parts[0], ""
    words = parts[0].split()
    suffix = ""
    if len(words) >= 3 and words[-1].lower() in _SUFFIXES:
        words, suffix = words[:-1], words[-1]
    if len(words) < 2:
        return "", " ".join(words), suffix
    return " ".join(words[:-1]), words[-1], suffix


def inverted(name: str) -> str:
    """"Family, Given" (", Suffix"): a name Scholar and Zotero split where BibTeX does (Zotero
    takes the last word of "Given Family" as the family name, so "King Jr." would be "Jr.")."""
    given, family, suffix = split_name(name)
    return ", ".join(part for part in (family, given, suffix) if part)


def is_preprint(paper: Paper) -> bool:
    """An arXiv paper not (yet) in a journal."""
    return bool(paper.arxiv) and not paper.journal


def paper_url(paper: Paper) -> str | None:
    """Where the paper itself is: its arXiv page, else its first link (a DOI has its own field)."""
    if paper.arxiv:
        return f"https://arxiv.org/abs/{paper.arxiv_base or paper.arxiv}"
    return paper.links[0][1] if paper.links else None


def _line(text: str) -> str:
    return " ".join(text.split())


# --- RIS -------------------------------------------------------------------------------------


def ris(paper: Paper) -> str:
    """The RIS record of one paper (tags in the order the RIS specification lists them)."""
    lines = [("TY", "PREP" if is_preprint(paper) else "JOUR" if paper.journal or paper.doi else "GEN")]
    lines.append(("TI", paper.title))
    for name in paper.authors:
        lines.append(("AU", inverted(name)))
    date = cited_date(paper)
    lines.append(("PY", str(date[0])))
    lines.append(("DA", "/".join([f"{date[0]:04d}", *(f"{n:02d}" for n in date[1:])] + [""] * (3 - len(date))) + "/"))
    if paper.journal:
        lines.append(("JO", paper.journal))
    if paper.arxiv:
        arxiv = paper.arxiv_base or paper.arxiv
        lines += [("PB", "arXiv"), ("M1", f"arXiv:{arxiv}")] if is_preprint(paper) else [("M1", f"arXiv:{arxiv}")]
    if paper.doi:
        lines.append(("DO", paper.doi))
    url = paper_url(paper)
    if url:
        lines.append(("UR", url))
    lines += [("KW", tag) for tag in paper.tags]
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {_line(value)}\n" for tag, value in lines)  # "ER  - " keeps its space, as RIS has it


def ris_bundle(records: Iterable[str]) -> str:
    """Several records in one file, a blank line between them."""
    return "\n".join(records)


# --- CSL-JSON --------------------------------------------------------------------------------


def csl(paper: Paper) -> dict[str, Any]:
    """The CSL-JSON item of one paper (citeproc's schema: csl-data.json)."""
    item: dict[str, Any] = {"id": paper.id}
    if is_preprint(paper):
        item["type"] = "article"
    else:
        item["type"] = "article-journal" if paper.journal or paper.doi else "document"
    item["title"] = _line(paper.title)
    if paper.authors:
        item["author"] = [_csl_name(name) for name in paper.authors]
    item["issued"] = {"date-parts": [list(cited_date(paper))]}
    if paper.journal:
        item["container-title"] = _line(paper.journal)
    if paper.arxiv:
        arxiv = paper.arxiv_base or paper.arxiv
        if is_preprint(paper):
            item["genre"] = "Preprint"
            item["publisher"] = "arXiv"
            item["number"] = f"arXiv:{arxiv}"
        else:
            item["note"] = f"arXiv:{arxiv}"
    if paper.doi:
        item["DOI"] = paper.doi
    url = paper_url(paper)
    if url:
        item["URL"] = url
    if paper.tags:
        item["keyword"] = ", ".join(paper.tags)
    return item


def _csl_name(name: str) -> dict[str, str]:
    given, family, suffix = split_name(name)
    if not given:
        return {"literal": family}  # one word or a group: a name CSL must not split
    out = {"family": family, "given": given}
    if suffix:
        out["suffix"] = suffix
    return out


def csl_line(paper: Paper) -> str:
    """The paper's CSL-JSON item on one line, its fields in order (see csl_json)."""
    return json.dumps(csl(paper), ensure_ascii=False, separators=(",", ":"))


def csl_json(lines: Iterable[str]) -> str:
    """A CSL-JSON file of items (csl_line): an array of them, one item a line."""
    lines = list(lines)
    return "[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n"


# --- citation_* tags (Google Scholar, Zotero's Embedded Metadata translator) -----------------


def meta_tags(paper: Paper, abs_url: Any) -> list[tuple[str, str]]:
    """(name, content) of the <meta> tags of a paper's page, in Google Scholar's order.

    Scholar reads citation_title, one citation_author per author (in order, "Family, Given"),
    and a date as YYYY/MM/DD (or YYYY/MM, YYYY); Zotero's Embedded Metadata translator reads
    the same tags and saves citation_pdf_url as the item's PDF. Zotero takes its item type from
    citation_journal_title (journal article) or citation_technical_report_institution
    (report), else from DC.type: so a preprint carries DC.type "preprint" and no
    technical-report institution, and its arXiv id as the report number (Zotero's "Archive
    ID") and arXiv as publisher (its "Repository").
    """
    tags = [("citation_title", _line(paper.title))]
    tags += [("citation_author", inverted(name)) for name in paper.authors]
    date = cited_date(paper)
    when = "/".join([f"{date[0]:04d}", *(f"{n:02d}" for n in date[1:])])
    dated = paper.published or (paper.arxiv and len(date) == 2)  # else the day it was featured
    tags.append(("citation_publication_date" if dated else "citation_date", when))
    if paper.journal:
        tags.append(("citation_journal_title", _line(paper.journal)))
    if paper.arxiv:
        arxiv = paper.arxiv_base or paper.arxiv
        tags.append(("citation_arxiv_id", arxiv))
        if is_preprint(paper):
            tags += [("citation_technical_report_number", f"arXiv:{arxiv}"), ("citation_publisher", "arXiv"),
                     ("DC.type", "preprint")]
    if paper.doi:
        tags.append(("citation_doi", paper.doi))
    pdf = dict(paper.links).get("pdf") or paper.arxiv_pdf
    if pdf:
        tags.append(("citation_pdf_url", abs_url(pdf)))
    tags.append(("citation_abstract_html_url", abs_url(f"/papers/{paper.id}/")))
    for tag in paper.tags:
        tags.append(("citation_keywords", tag))
    return tags

