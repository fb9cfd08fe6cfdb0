"""BibTeX as reference managers read it: every .bib file parses with bibtexparser (v2) and gives
back each paper's authors, title, year, DOI and arXiv id.

tests/sites/bibtex holds the hard cases: generational suffixes, a group name with "and",
non-ASCII and CJK names, braces, TeX specials and math in titles, old- and new-style arXiv
ids, DOIs with "_" and "{", and papers whose cite keys collide.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import bibtexparser
import pytest
from bibtexparser import middlewares
from helpers_core import SITES
from helpers_theme import EXAMPLE_EPOCH, Site, epoch
from pylatexenc.latex2text import LatexNodes2Text

from digestgen.bibtex import arxiv_month, author, bibtex, cite_key, escape, unique_keys
from digestgen.config import load_config
from digestgen.content import Paper
from digestgen.load import load_site
from digestgen.site import SiteModel

CORPUS = SITES / "bibtex"
REPO = Path(__file__).resolve().parents[1]
_TEXT = LatexNodes2Text(math_mode="verbatim")


def decode(value: str) -> str:
    """A field's LaTeX as the text it prints (pylatexenc; it lacks \\textbraceleft and
    \\textbraceright, and prints \\textasciicircum as the modifier letter U+02C6)."""
    value = value.replace(r"\textbraceleft{}", r"\{").replace(r"\textbraceright{}", r"\}")
    return " ".join(_TEXT.latex_to_text(value).replace("\u02c6", "^").split())


def name(parts: middlewares.NameParts) -> str:
    """A parsed name back in "Given Family Jr." order, braces and TeX decoded."""
    return decode(" ".join(parts.first + parts.von + parts.last + parts.jr))


def parse(path: Path) -> list[bibtexparser.model.Entry]:
    library = bibtexparser.parse_string(path.read_text("utf-8"), append_middleware=[
        middlewares.SeparateCoAuthors(), middlewares.SplitNameParts()])
    assert not library.failed_blocks, f"{path}: {[b.error for b in library.failed_blocks]}"
    keys = [e.key for e in library.entries]
    assert len(keys) == len(set(keys)), f"{path}: repeated keys {keys}"
    return library.entries


def expected_year(paper: Paper) -> int:
    if paper.published:
        return paper.published.year
    month = arxiv_month(paper.arxiv) if paper.arxiv else None
    return (month or paper.date).year


def assert_gives_back(entry: bibtexparser.model.Entry, paper: Paper) -> None:
    fields = {f.key: f.value for f in entry.fields}
    where = f"{paper.id} ({entry.key})"
    assert decode(fields["title"]) == " ".join(paper.title.split()), where
    # "Jean-Luc Picard, Jr." and "Jean-Luc Picard Jr." are one name written two ways
    written = [re.sub(r",\s*(\S+)$", r" \1", " ".join(a.split())) for a in paper.authors]
    assert [name(p) for p in fields.get("author", [])] == written, where
    assert int(fields["year"]) == expected_year(paper), where
    assert (unquote(fields["doi"]) if "doi" in fields else None) == paper.doi, where
    assert fields.get("eprint") == paper.arxiv_base, where
    assert entry.entry_type == ("article" if paper.journal else "misc"), where
    assert (decode(fields["journal"]) if "journal" in fields else None) == paper.journal, where
    if paper.arxiv:
        assert fields["archivePrefix"] == "arXiv", where
        assert fields["url"] == f"https://arxiv.org/abs/{paper.arxiv_base}", where


def check_site(out: Path, model: SiteModel) -> int:
    """Every .bib file under out against the model; the number of entries checked."""
    checked = 0
    for paper in model.papers:
        (entry,) = parse(out / "papers" / paper.id / f"{paper.id}.bib")
        assert entry.key == cite_key(paper)
        assert_gives_back(entry, paper)
        checked += 1
    for issue in model.issues:
        entries = parse(out / "issues" / issue.key / f"{issue.key}.bib")
        assert len(entries) == len(issue.papers)
        for entry, paper in zip(entries, issue.papers):
            assert_gives_back(entry, paper)
            checked += 1
    return checked


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SiteModel]:
    from digestgen.cli import main

    out = tmp_path_factory.mktemp("bibtex") / "public"
    assert main(["build", "--site", str(CORPUS), "--output", str(out)]) == 0
    return out, load_site(load_config(CORPUS))[0]


def test_every_bib_file_of_the_corpus_gives_back_its_papers(corpus: tuple[Path, SiteModel]) -> None:
    out, model = corpus
    assert check_site(out, model) == 2 * len(model.papers) == 16


def test_every_bib_file_of_the_example_digest_gives_back_its_papers(example_site: Site) -> None:
    with epoch(EXAMPLE_EPOCH):
        model = load_site(load_config(REPO))[0]
    assert check_site(example_site.out, model) == 2 * len(model.papers) > 60


def test_the_corpus_keys_and_forms(corpus: tuple[Path, SiteModel]) -> None:
    out, model = corpus
    issue = (out / "issues" / model.issues[0].key / f"{model.issues[0].key}.bib").read_text("utf-8")
    keys = re.findall(r"^@\w+\{([^,]+),", issue, flags=re.MULTILINE)
    assert all(re.fullmatch(r"[a-z0-9]+", k) for k in keys)
    assert {"vaswani2017attention", "king1999old", "odegaard2024costs"} <= set(keys)
    # two papers share odegaard2024same, and a third has odegaard2024sameb as its own key
    assert [k for k in keys if k.startswith("odegaard2024same")] == [
        "odegaard2024sameb",
        "odegaard2024same",
        "odegaard2024samec",
        "odegaard2024samed",
    ]
    assert (
        "primaryClass = {hep-th}" in issue and "author = {King, Jr., Martin Luther and Picard, Jr., Jean-Luc}" in issue
    )
    assert "doi = {10.1000/xyz_1}" in issue  # verbatim: no \_
    assert "{Research and Development Team}" in issue
    assert issue.count("@article{") == 1 and "journal = {Journal of Tests \\& Trials 12(3), 45-67}" in issue


@functools.lru_cache(maxsize=1)
def vaswani() -> Paper:
    return next(p for p in load_site(load_config(CORPUS))[0].papers if p.id == "1706.03762")


def paper(**fields: Any) -> Paper:
    """The corpus's 1706.03762 with some fields changed."""
    return dataclasses.replace(vaswani(), **fields)


@pytest.mark.parametrize(("authors", "key"), [
    (("Martin Luther King Jr.",), "king2017attention"),
    (("Martin Luther King, Jr.",), "king2017attention"),
    (("Kari Ødegaard",), "odegaard2017attention"),
    (("Jürgen Müller",), "muller2017attention"),
    (("Ludwig van Beethoven",), "beethoven2017attention"),
    (("Vaswani, Ashish",), "vaswani2017attention"),
    (("张伟",), "zhangwei2017attention"),
    ((), "anon2017attention"),
])
def test_cite_key_takes_the_family_name_in_ascii(authors: tuple[str, ...], key: str) -> None:
    assert cite_key(paper(authors=authors)) == key


@pytest.mark.parametrize(("arxiv", "published", "year", "month"), [
    ("1706.03762", None, 2017, "jun"),
    ("0704.0001", None, 2007, "apr"),
    ("hep-th/9901001", None, 1999, "jan"),
    ("math.AG/0601001", None, 2006, "jan"),
    ("1706.03762", dt.date(2018, 3, 2), 2018, "mar"),
    (None, None, 2025, "nov"),  # neither: the day it was featured
])
def test_year_and_month_come_from_published_then_the_arxiv_id(arxiv: str | None, published: dt.date | None,
                                                             year: int, month: str) -> None:
    entry = bibtex(paper(arxiv=arxiv, published=published, date=dt.date(2025, 11, 24)))
    assert f"year = {{{year}}}" in entry and re.search(f"month = {month}\\b", entry)


def test_escape_keeps_math_and_money_apart() -> None:
    assert escape("costs $5 to $10") == r"costs \$5 to \$10"
    assert escape(r"a $\alpha_{i}$ & b") == r"a $\alpha_{i}$ \& b"
    assert escape("50% {of} it") == r"50\% \{of\} it"
    assert escape("one } brace") == r"one \textbraceright{} brace"


def test_an_author_with_and_stays_one_author() -> None:
    assert author("Research and Development Team") == "{Research and Development Team}"
    assert author("Sandra Anderson") == "Sandra Anderson"


def test_unique_keys_never_take_another_papers_key() -> None:
    a = paper(authors=("Ann Lee",), title="Graphs")
    b = paper(authors=("Ann Lee",), title="Graphsb")
    assert unique_keys([a, a, b, a]) == ["lee2017graphs", "lee2017graphsc", "lee2017graphsb", "lee2017graphsd"]
