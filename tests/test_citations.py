"""Citations that import: RIS and CSL-JSON files beside each BibTeX file, bundles per issue and
tag, and the citation_* tags of paper pages read the way Google Scholar and Zotero read them."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import rispy
from helpers_feeds import BASE, FEEDS_SITE
from lxml import html

from digestgen.bibtex import bibtex
from digestgen.citations import split_name
from digestgen.cli import main
from digestgen.config import load_config
from digestgen.content import Paper
from digestgen.load import load_site

REPO = Path(__file__).resolve().parents[1]
HOSTILE = """Quotes "inside" & <script>alert('x')</script> $a<b$"""

# A corpus beside the feeds site's: the names, ids and journals reference managers trip on.
EXTRA = {
    "hostile.md": f"""---
title: '{HOSTILE.replace("'", "''")}'
date: 2025-11-24
authors: ["Martin Luther King Jr.", "José Ødegaard", "von Neumann, John", "Research and Development Team", "Plato"]
arxiv: "2511.00010v2"
tags: [agents]
abstract: |
  Two lines
  of abstract.
---
""",
    "journal.md": """---
title: A published paper
date: 2025-11-24
authors: ["Grace Hopper"]
arxiv: "hep-th/9901001"
doi: "10.1000/j.2"
journal: "Journal of Tests 12 (2024) 1-9"
published: 2024-03-05
tags: [agents]
---
""",
    "pdfonly.md": """---
title: Only a PDF
date: 2025-11-24
authors: ["Ada Lovelace"]
links:
  pdf: https://example.net/paper.pdf
tags: [agents]
---
""",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The feeds test site with the papers above: (site, output)."""
    tmp = tmp_path_factory.mktemp("citations")
    site = tmp / "site"
    shutil.copytree(FEEDS_SITE, site)
    for name, text in EXTRA.items():
        (site / "content" / "papers" / "2025" / name).write_text(text, "utf-8")
    out = tmp / "public"
    assert main(["build", "--site", str(site), "--output", str(out)]) == 0
    return site, out


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example") / "public"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1811808000")  # 2027-06-01: every entry is published
        assert main(["build", "--site", str(REPO), "--output", str(out)]) == 0
    return out


def _papers(site: Path) -> list[Paper]:
    model, _ = load_site(load_config(site))
    return model.papers


# --- a strict RIS reader ---------------------------------------------------------------------

_RIS_LINE = re.compile(r"^([A-Z][A-Z0-9])  - (.*)$")
_RIS_TYPES = {"PREP", "JOUR", "GEN"}


def read_ris(text: str) -> list[dict[str, list[str]]]:
    """Records of a RIS file, failing on anything the format does not allow: a line that is not
    `XX  - value`, a record not starting with TY or not ending with ER, a value over lines."""
    assert text.endswith("\n") and "\r" not in text
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for number, line in enumerate(text.split("\n")[:-1], 1):
        if not line:
            assert current is None, f"line {number}: blank line inside a record"
            continue
        if line == "ER  - ":
            assert current is not None, f"line {number}: ER outside a record"
            records.append(current)
            current = None
            continue
        match = _RIS_LINE.match(line)
        assert match, f"line {number}: not a RIS line: {line!r}"
        tag, value = match.groups()
        assert value == value.strip() and value, f"line {number}: empty or padded value"
        assert tag != "ER", f"line {number}: ER with a value"
        if tag == "TY":
            assert current is None, f"line {number}: TY inside a record"
            assert value in _RIS_TYPES, value
            current = {}
        assert current is not None, f"line {number}: {tag} before TY"
        current.setdefault(tag, []).append(value)
    assert current is None, "the last record has no ER"
    return records


# --- CSL-JSON, the shape of citeproc's csl-data.json -----------------------------------------

_CSL_TYPES = {"article", "article-journal", "document"}
_CSL_STRINGS = {"id", "type", "title", "container-title", "genre", "publisher", "number", "note", "DOI", "URL",
                "abstract", "keyword"}


def check_csl(items: object) -> list[dict[str, object]]:
    assert isinstance(items, list)
    for item in items:
        assert isinstance(item, dict)
        assert set(item) <= _CSL_STRINGS | {"author", "issued"}, set(item)
        assert item["type"] in _CSL_TYPES
        assert all(isinstance(item[k], str) and item[k] for k in _CSL_STRINGS & set(item))
        for name in item.get("author", []):
            assert set(name) in ({"family", "given"}, {"family", "given", "suffix"}, {"literal"}), name
            assert all(isinstance(v, str) and v for v in name.values())
        parts = item["issued"]["date-parts"]
        assert len(parts) == 1 and 1 <= len(parts[0]) <= 3 and all(isinstance(n, int) for n in parts[0])
    return items  # type: ignore[return-value]


def _names(paper: Paper) -> list[str]:
    """The paper's authors as the files give them back, in order."""
    return [" ".join(p for p in split_name(a)[:2] if p) for a in paper.authors]


def _ris_name(value: str) -> str:
    family, _, rest = value.partition(", ")
    given = rest.rpartition(", ")[0] if rest.count(", ") else rest
    return f"{given} {family}".strip()


def _csl_name(name: dict[str, str]) -> str:
    return name.get("literal") or f"{name['given']} {name['family']}"


def _bib_field(entry: str, name: str) -> str | None:
    match = re.search(rf"^  {name} = \{{?(.*?)\}}?,?$", entry, flags=re.MULTILINE)
    return match.group(1) if match else None


def test_every_ris_and_csl_file_reads_back_as_its_bibtex(built: tuple[Path, Path]) -> None:
    site, out = built
    papers = _papers(site)
    assert len(papers) == 8
    for paper in papers:
        folder = out / "papers" / paper.id
        [record] = read_ris((folder / f"{paper.id}.ris").read_text("utf-8"))
        [item] = check_csl(json.loads((folder / f"{paper.id}.csl.json").read_text("utf-8")))
        entry = bibtex(paper)
        title = " ".join(paper.title.split())
        assert record["TI"] == [title] and item["title"] == title
        assert [_ris_name(a) for a in record.get("AU", [])] == _names(paper)
        assert [_csl_name(a) for a in item.get("author", [])] == _names(paper)  # type: ignore[attr-defined]
        year = _bib_field(entry, "year")
        assert record["PY"] == [year] and item["issued"]["date-parts"][0][0] == int(year or 0)  # type: ignore[index]
        assert record.get("DO") == ([paper.doi] if paper.doi else None) and item.get("DOI") == paper.doi
        eprint = _bib_field(entry, "eprint")
        if paper.arxiv:
            assert eprint == paper.arxiv_base
            assert record["UR"] == [f"https://arxiv.org/abs/{eprint}"] and item["URL"] == record["UR"][0]
            assert f"arXiv:{eprint}" in record["M1"]
        kind = record["TY"][0]
        if paper.arxiv and not paper.journal:
            assert kind == "PREP" and item["type"] == "article" and item["number"] == f"arXiv:{eprint}"
            assert item["genre"] == "Preprint" and item["publisher"] == "arXiv" and record["PB"] == ["arXiv"]
        elif paper.journal:
            assert kind == "JOUR" and record["JO"] == [paper.journal]
            assert item["type"] == "article-journal" and item["container-title"] == paper.journal


def test_names_split_the_way_bibtex_reads_them(built: tuple[Path, Path]) -> None:
    _site, out = built
    [record] = read_ris((out / "papers/hostile/hostile.ris").read_text("utf-8"))
    assert record["AU"] == ["King, Martin Luther, Jr.", "Ødegaard, José", "von Neumann, John",
                            "Research and Development Team", "Plato"]
    [item] = json.loads((out / "papers/hostile/hostile.csl.json").read_text("utf-8"))
    assert item["author"] == [{"family": "King", "given": "Martin Luther", "suffix": "Jr."},
                              {"family": "Ødegaard", "given": "José"}, {"family": "von Neumann", "given": "John"},
                              {"literal": "Research and Development Team"}, {"literal": "Plato"}]
    # like BibTeX and the exports of arXiv and Google Scholar, no abstract: it is on the page
    assert "AB" not in record and "abstract" not in item
    assert record["DA"] == ["2025/11//"] and item["issued"] == {"date-parts": [[2025, 11]]}  # the arXiv id's month
    assert split_name("Ada Lovelace") == ("Ada", "Lovelace", "")
    assert split_name("Lovelace, Ada") == ("Ada", "Lovelace", "")
    assert split_name("King, Jr., Martin Luther") == ("Martin Luther", "King", "Jr.")


def test_a_journal_paper_and_an_old_style_id(built: tuple[Path, Path]) -> None:
    _site, out = built
    [record] = read_ris((out / "papers/journal/journal.ris").read_text("utf-8"))
    assert record["DA"] == ["2024/03/05/"] and record["M1"] == ["arXiv:hep-th/9901001"]
    assert record["UR"] == ["https://arxiv.org/abs/hep-th/9901001"]
    [item] = json.loads((out / "papers/pdfonly/pdfonly.csl.json").read_text("utf-8"))
    assert item["type"] == "document" and item["URL"] == "https://example.net/paper.pdf"
    assert item["issued"] == {"date-parts": [[2025, 11, 24]]}  # neither published nor arXiv: the featured day


def test_bundles_per_issue_and_tag_hold_their_papers_in_order(built: tuple[Path, Path]) -> None:
    site, out = built
    model, _ = load_site(load_config(site))
    bundles = [(f"issues/{i.key}/{i.key}", i.papers) for i in model.issues]
    tags = [(f"tags/{t.slug}/{t.slug}", t.papers) for t in model.tags.values() if t.papers]
    assert any(path.startswith("tags/agents/") for path, _ in tags)
    for path, papers in bundles + tags:
        if (path, papers) in bundles:
            records = read_ris((out / f"{path}.ris").read_text("utf-8"))
            items = check_csl(json.loads((out / f"{path}.csl.json").read_text("utf-8")))
            assert [r["TI"][0] for r in records] == [" ".join(p.title.split()) for p in papers]
            assert [i["id"] for i in items] == [p.id for p in papers]
            assert not any("AB" in r for r in records) and not any("abstract" in i for i in items)
        else:  # a tag's papers, each in several tags: BibTeX alone
            assert not (out / f"{path}.ris").exists() and not (out / f"{path}.csl.json").exists()
        keys = re.findall(r"^@\w+\{([^,]+),", (out / f"{path}.bib").read_text("utf-8"), flags=re.MULTILINE)
        assert len(keys) == len(set(keys)) == len(papers)
    assert not (out / "tags/unused").exists()


def test_the_example_digests_files_all_read(example: Path) -> None:
    ris = sorted(example.rglob("*.ris"))
    csl = sorted(example.rglob("*.csl.json"))
    assert len(ris) == len(csl) > 40
    for path in ris:
        text = path.read_text("utf-8")
        records = read_ris(text)
        # and as rispy, a widely used RIS reader, reads them: the same records and fields
        assert [(r["type_of_reference"], r["title"], r.get("authors", []), r.get("doi"), r.get("urls"))
                for r in rispy.loads(text)] == [
            (r["TY"][0], r["TI"][0], r.get("AU", []), r.get("DO", [None])[0], r.get("UR")) for r in records], path
    for path in csl:
        assert check_csl(json.loads(path.read_text("utf-8"))), path


def _meta(page: Path) -> list[tuple[str, str]]:
    """(name, content) of every <meta name> of the head, in order: what Zotero's Embedded
    Metadata translator and Google Scholar's parser see (entities decoded by the parser)."""
    tree = html.fromstring(page.read_bytes())
    return [(m.get("name"), m.get("content")) for m in tree.xpath("/html/head/meta[@name]")]


def test_paper_pages_carry_citation_tags(built: tuple[Path, Path]) -> None:
    _site, out = built
    tags = _meta(out / "papers/hostile/index.html")
    cite = [(n, c) for n, c in tags if n.startswith(("citation_", "DC."))]
    assert cite[0] == ("citation_title", " ".join(HOSTILE.split()))  # escaped in the page, whole when parsed
    assert [c for n, c in cite if n == "citation_author"] == ["King, Martin Luther, Jr.", "Ødegaard, José",
                                                              "von Neumann, John", "Research and Development Team",
                                                              "Plato"]
    found = dict(cite)
    assert found["citation_publication_date"] == "2025/11"
    assert found["citation_arxiv_id"] == "2511.00010"
    assert found["citation_pdf_url"] == "https://arxiv.org/pdf/2511.00010v2"
    assert found["citation_abstract_html_url"] == f"{BASE}papers/hostile/"
    # Zotero: no journal title and no report institution, so DC.type makes it a preprint
    assert found["DC.type"] == "preprint" and found["citation_publisher"] == "arXiv"
    assert found["citation_technical_report_number"] == "arXiv:2511.00010"
    assert "citation_journal_title" not in found and "citation_technical_report_institution" not in found
    raw = (out / "papers/hostile/index.html").read_text("utf-8")
    assert "<script>alert" not in raw

    journal = dict(_meta(out / "papers/journal/index.html"))
    assert journal["citation_journal_title"] == "Journal of Tests 12 (2024) 1-9"
    assert journal["citation_publication_date"] == "2024/03/05" and journal["citation_doi"] == "10.1000/j.2"
    assert "DC.type" not in journal

    pdf = dict(_meta(out / "papers/pdfonly/index.html"))
    assert pdf["citation_pdf_url"] == "https://example.net/paper.pdf"
    assert pdf["citation_date"] == "2025/11/24" and "citation_publication_date" not in pdf
    for page in (out / "papers").glob("*/index.html"):
        for name, content in _meta(page):
            if name.endswith("_url"):
                assert content.startswith(("https://", "http://")), (page, name, content)
            if name.endswith("_date"):
                assert re.fullmatch(r"\d{4}(/\d{2}){0,2}", content), (page, name, content)


def test_pages_link_their_citation_files(built: tuple[Path, Path]) -> None:
    _site, out = built
    for page, stem in (("papers/hostile/index.html", "/digest/papers/hostile/hostile"),
                       ("issues/2025-W48/index.html", "/digest/issues/2025-W48/2025-W48"),
                       ("tags/agents/index.html", "/digest/tags/agents/agents")):
        tree = html.fromstring((out / page).read_bytes())
        links = [(a.text, a.get("href")) for a in tree.xpath("//p[@class='cite-files']/a")]
        formats = [("BibTeX", f"{stem}.bib")] + [("RIS", f"{stem}.ris"), ("CSL-JSON", f"{stem}.csl.json")] * (
            "/tags/" not in stem
        )
        assert links == formats, page
        for _label, href in links:
            assert (out / href.removeprefix("/digest/")).is_file()
