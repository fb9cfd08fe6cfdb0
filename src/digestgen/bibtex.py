"""BibTeX entries for papers: derived from arXiv id, DOI, authors and dates."""

from __future__ import annotations

import re
import unicodedata

from digestgen.content import Paper

_SPECIAL = re.compile(r"([&%$#_{}~^\\])")
_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def _escape(text: str) -> str:
    return _SPECIAL.sub(lambda m: _ESCAPES[m.group(1)], " ".join(text.split()))


def cite_key(paper: Paper) -> str:
    """A stable key: first author's family name, year, first title word (ASCII)."""
    family = paper.authors[0].split()[-1] if paper.authors and paper.authors[0].split() else "anon"
    year = (paper.published or paper.date).year
    words = [w for w in re.findall(r"[A-Za-z0-9]+", _ascii(paper.title)) if w.lower() not in {"a", "an", "the", "on", "of"}]
    key = f"{_ascii(family).lower()}{year}{(words[0].lower() if words else '')}"
    return re.sub(r"[^a-z0-9]", "", key) or paper.id.replace(".", "")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def bibtex(paper: Paper) -> str:
    """The BibTeX entry of one paper (@article for arXiv/DOI papers, @misc otherwise)."""
    fields: list[tuple[str, str]] = [("title", "{" + _escape(paper.title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(_escape(a) for a in paper.authors)))
    year_date = paper.published or paper.date
    fields.append(("year", str(year_date.year)))
    fields.append(("month", year_date.strftime("%b").lower()))
    if paper.arxiv:
        fields += [("eprint", paper.arxiv_base or paper.arxiv), ("archivePrefix", "arXiv"),
                   ("journal", f"arXiv preprint arXiv:{paper.arxiv_base}"), ("url", f"https://arxiv.org/abs/{paper.arxiv_base}")]
    if paper.doi:
        fields.append(("doi", _escape(paper.doi)))
    kind = "article" if paper.arxiv or paper.doi else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" if name not in ("title", "month") else
                      (f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}") for name, value in fields)
    return f"@{kind}{{{cite_key(paper)},\n{body}\n}}\n"
