"""digestgen new / import against recorded API answers served on 127.0.0.1 (never the network)."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
from pathlib import Path

import pytest
from helpers_sources import FakeApis
from hypothesis import given, settings
from hypothesis import strategies as st

from digestgen import sources
from digestgen.cli import main
from digestgen.content import parse_paper
from digestgen.entries import entry_text
from digestgen.sources import FetchError, PaperMeta, normalise_arxiv

TODAY = "2025-11-29"  # SOURCE_DATE_EPOCH of conftest, in the basic site's UTC


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return shutil.copytree(Path(__file__).parent / "sites/basic", tmp_path / "site")


def load(site: Path, rel: str):  # type: ignore[no-untyped-def]
    paper, problems = parse_paper(site, rel, dt.timezone.utc, "/")
    assert [p for p in problems if p.severity == "error"] == []
    assert paper is not None
    return paper


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_new_fills_the_entry_from_arxiv(site: Path, apis: FakeApis, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "2307.09288", "--site", str(site), "--tag", "transformers"]) == 0
    rel = "content/papers/2025/2307.09288.md"
    assert f"wrote {rel}" in capsys.readouterr().out
    paper = load(site, rel)
    assert paper.title == "Llama 2: Open Foundation and Fine-Tuned Chat Models"
    assert paper.date == dt.date(2025, 11, 29)
    assert paper.authors == ("Hugo Touvron", "Louis Martin", "Kevin Stone", "Peter Albert")
    assert paper.arxiv == "2307.09288"
    assert paper.published == dt.date(2023, 7, 18)
    assert paper.abstract is not None and paper.abstract.startswith("A family of pretrained")
    assert '"quoted: colon" case of # signs' in paper.abstract and "$O(n^2)$" in paper.abstract
    assert "\n" not in paper.abstract.strip()  # arXiv's hard line breaks are joined
    assert paper.note is None and paper.tags == ("transformers",)
    text = (site / rel).read_text()
    assert "# arXiv primary category: cs.CL" in text
    path, headers = apis.requests[0]
    assert path == "/arxiv/query?id_list=2307.09288&max_results=1"
    assert headers["User-Agent"].startswith("digestgen/")
    assert main(["check", "--site", str(site)]) == 0


def test_new_never_overwrites_and_warns_about_known_ids(site: Path, apis: FakeApis,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "arXiv:2307.09288v2", "--site", str(site)]) == 0
    rel = site / "content/papers/2025/2307.09288.md"
    before = rel.read_bytes()
    assert load(site, "content/papers/2025/2307.09288.md").arxiv == "2307.09288v2"
    capsys.readouterr()
    assert main(["new", "https://arxiv.org/abs/2307.09288", "--site", str(site)]) == 1
    err = capsys.readouterr().err
    assert "warning: arXiv 2307.09288 is already in the digest as content/papers/2025/2307.09288.md" in err
    assert rel.read_bytes() == before
    # an entry that was already in the site before (its arxiv key, not its file name, counts)
    assert main(["new", "1706.03762", "--site", str(site)]) == 1
    assert "already in the digest as content/papers/2025/1706.03762.md" in capsys.readouterr().err
    assert len(apis.requests) == 1


def test_new_offline_writes_a_template(site: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DIGESTGEN_ARXIV_API", f"http://127.0.0.1:{closed_port()}/api/query")
    assert main(["new", "2204.02311", "--site", str(site)]) == 0
    out = capsys.readouterr()
    assert "could not reach the arXiv API" in out.err and "writing a template" in out.err
    assert ("wrote content/papers/2025/2204.02311.md, a draft from a template: fill in the title, authors and "
            "abstract, then delete the line 'draft: true' to publish it") in out.out
    rel = "content/papers/2025/2204.02311.md"
    paper = load(site, rel)
    assert paper.arxiv == "2204.02311" and paper.title == "Title of arXiv 2204.02311" and paper.draft
    assert (
        "# A draft: fill in the fields, then delete the line 'draft: true' to publish it." in (site / rel).read_text()
    )
    # a draft never reaches readers, and --strict passes with it: check counts it
    assert main(["check", "--site", str(site), "--strict"]) == 0
    assert ", 2 drafts, " in capsys.readouterr().out  # the basic site has one already
    # published with the placeholder left in: the title and the missing authors are warnings
    (site / rel).write_text((site / rel).read_text().replace("draft: true\n", ""))
    assert main(["check", "--site", str(site)]) == 0
    err = capsys.readouterr().err
    assert f"{rel}:2:8: warning: title: is still the template's placeholder; write the paper's title" in err
    assert f"{rel}:4:10: warning: authors: an arXiv paper without authors; list them" in err
    assert main(["check", "--site", str(site), "--strict"]) == 1
    # without an authors line, the warning points at the arxiv id
    (site / rel).write_text((site / rel).read_text().replace("authors: []\n", ""))
    assert main(["check", "--site", str(site)]) == 0
    assert f"{rel}:4:8: warning: arxiv: an arXiv paper without authors" in capsys.readouterr().err


def test_new_unknown_and_malformed_ids(site: Path, apis: FakeApis, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "2501.99999", "--site", str(site)]) == 0
    assert "does not know 2501.99999" in capsys.readouterr().err
    assert load(site, "content/papers/2025/2501.99999.md").title == "Title of arXiv 2501.99999"
    with pytest.raises(FetchError, match="incorrect id format for 2511.1"):
        sources.parse_arxiv_feed((Path(__file__).parent / "fixtures/arxiv/bad-id.xml").read_bytes())


def test_new_slug_template(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "my-notes", "--site", str(site), "--title", 'Notes: "on" #attention']) == 0
    out = capsys.readouterr().out
    assert "fill in the authors and abstract, then delete the line 'draft: true'" in out
    assert "title" not in out.split("wrote", 1)[1].replace("a draft from a template", "")  # the title is filled
    paper = load(site, "content/papers/2025/my-notes.md")
    assert (paper.title, paper.draft, paper.arxiv) == ('Notes: "on" #attention', True, None)
    assert main(["new", "my-notes", "--site", str(site), "--title", "Again"]) == 1
    assert "already used by content/papers/2025/my-notes.md" in capsys.readouterr().err
    assert main(["new", "other-notes", "--site", str(site)]) == 2
    assert "--title" in capsys.readouterr().err
    assert main(["new", "../escape", "--site", str(site), "--title", "x"]) == 2
    assert main(["new", "tagged", "--site", str(site), "--title", "x", "--tag", "robots"]) == 2
    assert "robots not in content/tags.yaml (known: rl, transformers, vision)" in capsys.readouterr().err
    assert not (site / "content/papers/escape.md").exists()


def test_import_arxiv_ids_and_file(site: Path, apis: FakeApis, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("# this week's picks\n2307.09288   # Llama 2\n\n2501.99999\n")
    code = main(["import", "arxiv", "2204.02311", "hep-th/9711200", "1706.03762", "not-an-id",
                 "--file", str(ids), "--site", str(site)])
    out = capsys.readouterr()
    assert code == 1  # one bad id and one unknown id, reported after writing the rest
    assert "skip 1706.03762: already in the digest" in out.err
    assert "'not-an-id' is not an arXiv id" in out.err and "does not know 2501.99999" in out.err
    assert "imported 3 papers, 2 failed" in out.out
    assert [p for p, _ in apis.requests] == [
        "/arxiv/query?id_list=2204.02311%2Chep-th%2F9711200%2C2307.09288%2C2501.99999&max_results=4"]
    old = load(site, "content/papers/2025/hep-th-9711200.md")
    assert old.arxiv == "hep-th/9711200" and old.doi == "10.1023/A:1026654312961"
    assert load(site, "content/papers/2025/2204.02311.md").authors[0] == "Aakanksha Chowdhery"
    assert main(["check", "--site", str(site)]) == 0
    capsys.readouterr()
    assert main(["import", "arxiv", "--site", str(site), "2204.02311v5"]) == 0  # all known: no request
    assert "skip 2204.02311" in capsys.readouterr().err and len(apis.requests) == 1


def test_import_hf_daily(site: Path, apis: FakeApis, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "hf-daily", "2025-11-14", "--site", str(site), "--min-upvotes", "50", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would write content/papers/2025/2305.18290.md: Direct Preference" in out and "would import 2 papers" in out
    assert not (site / "content/papers/2025/2305.18290.md").exists()
    assert main(["import", "hf-daily", "2025-11-14", "--site", str(site), "--tag", "rl"]) == 0
    out = capsys.readouterr()
    assert "skip 1706.03762" in out.err and "imported 3 papers" in out.out
    assert apis.requests[1][0] == "/hf/daily_papers?date=2025-11-14"
    dpo = load(site, "content/papers/2025/2305.18290.md")
    assert dpo.upvotes == 87 and dpo.tags == ("rl",) and dpo.published == dt.date(2023, 5, 29)
    assert dict(dpo.links) == {"hf": "https://huggingface.co/papers/2305.18290",
                               "code": "https://github.com/eric-mitchell/direct-preference-optimization"}
    assert dpo.abstract is not None and "without a separate reward model" in dpo.abstract
    sam = load(site, "content/papers/2025/2304.02643.md")
    assert dict(sam.links)["project"] == "https://segment-anything.com"
    mamba = load(site, "content/papers/2025/2312.00752.md")
    assert "project" not in dict(mamba.links)  # a javascript: URL from the API never reaches an entry
    assert main(["import", "hf-daily", "2025-11-14", "--site", str(site)]) == 0
    assert "imported 0 papers" in capsys.readouterr().out  # everything is in the digest now


def test_polite_retry_honours_retry_after(apis: FakeApis, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(sources, "sleep", waits.append)
    apis.busy = [(429, {"Retry-After": "2"}), (503, {})]
    assert sources.fetch_arxiv(["2307.09288"])["2307.09288"].title.startswith("Llama 2")
    assert waits == [2.0, 2.0] and len(apis.requests) == 3  # Retry-After, then backoff 2**1
    apis.busy = [(429, {"Retry-After": "3600"})]
    with pytest.raises(FetchError, match="asked us to wait 3600 s"):
        sources.fetch_arxiv(["2307.09288"])
    assert waits == [2.0, 2.0]  # never sleeps past the cap
    apis.busy = [(500, {})]
    with pytest.raises(FetchError, match="HTTP 500"):
        sources.fetch_arxiv(["2307.09288"])


@settings(max_examples=100, deadline=None)
@given(raw=st.text(min_size=1, max_size=60))
def test_api_text_becomes_a_loadable_title(raw: str) -> None:
    """Control characters, odd whitespace and surrogates from an API never reach an entry file."""
    from digestgen.yamlio import load_mapping, split_front_matter

    title = sources.one_line(raw)
    if not title:
        return
    problems: list[object] = []
    parts = split_front_matter(entry_text(dt.date(2025, 11, 29), PaperMeta(arxiv=None, title=title)), "x.md", problems)  # type: ignore[arg-type]
    assert parts is not None
    doc = load_mapping(parts[0], "x.md", 1, problems)  # type: ignore[arg-type]
    assert problems == [] and doc is not None and doc.data["title"] == title


def test_arxiv_id_forms() -> None:
    assert normalise_arxiv("arXiv:2511.11002v2") == "2511.11002v2"
    assert normalise_arxiv("https://arxiv.org/pdf/2511.11002.pdf") == "2511.11002"
    assert normalise_arxiv("http://arxiv.org/abs/hep-th/9901001v1") == "hep-th/9901001v1"
    assert normalise_arxiv("2511.11") is None and normalise_arxiv("my-slug") is None


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80)


@settings(max_examples=150, deadline=None)
@given(title=_text.filter(lambda s: s.strip() and "\n" not in s), abstract=_text, author=_text)
def test_written_yaml_round_trips(
    tmp_path_factory: pytest.TempPathFactory, title: str, abstract: str, author: str
) -> None:
    """Whatever an API sends, the entry loads back with the same values (or is refused by the schema, never mangled)."""
    from digestgen.yamlio import load_mapping, split_front_matter

    meta = PaperMeta(arxiv="2307.09288", title=title, authors=[author], abstract=abstract)
    text = entry_text(dt.date(2025, 11, 29), meta)
    problems: list[object] = []
    parts = split_front_matter(text, "x.md", problems)  # type: ignore[arg-type]
    assert parts is not None
    doc = load_mapping(parts[0], "x.md", 1, problems)  # type: ignore[arg-type]
    assert problems == [] and doc is not None
    assert doc.data["title"] == title and doc.data["authors"] == [author] and doc.data["arxiv"] == "2307.09288"
    assert doc.data["abstract"] == abstract


def test_import_doi_from_crossref(
    site: Path, apis: FakeApis, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dois = tmp_path / "dois.txt"
    dois.write_text("# from the reading group\nhttps://doi.org/10.5555/NO-DATE\n")
    code = main(["import", "doi", "doi:10.1038/nature14539", "10.9999/unknown", "not-a-doi", "--file", str(dois),
                 "--site", str(site), "--tag", "vision"])
    out = capsys.readouterr()
    assert code == 1 and "imported 2 papers, 2 failed" in out.out
    assert "'not-a-doi' is not a DOI" in out.err and "Crossref does not know 10.9999/unknown" in out.err
    assert [p for p, _ in apis.requests] == ["/crossref/works/10.1038/nature14539", "/crossref/works/10.9999/unknown",
                                             "/crossref/works/10.5555/NO-DATE"]
    deep = load(site, "content/papers/2025/10.1038-nature14539.md")
    assert (deep.title, deep.authors, deep.doi) == ("Deep learning", ("Yann LeCun", "Yoshua Bengio", "Geoffrey Hinton"),
                                                    "10.1038/nature14539")
    assert deep.published == dt.date(2015, 5, 28) and deep.journal == "Nature 521 436-444" and deep.tags == ("vision",)
    assert deep.abstract == "A review of how layered representation learning changed speech and image recognition, " \
                            "and of the open questions & limits."
    workshop = load(site, "content/papers/2025/10.5555-no-date.md")
    assert workshop.title == "A Workshop Paper Without a Full Date" and workshop.published is None
    assert workshop.authors == ("The Example Consortium",) and workshop.journal is None
    assert main(["check", "--site", str(site)]) == 0
    capsys.readouterr()
    assert main(["import", "doi", "10.1038/NATURE14539", "--site", str(site), "--dry-run"]) == 0  # DOIs ignore case
    assert (
        "skip 10.1038/NATURE14539: already in the digest as content/papers/2025/10.1038-nature14539.md"
        in capsys.readouterr().err
    )
    assert len(apis.requests) == 3


def test_import_bibtex(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bib = Path(__file__).parent / "fixtures/bibtex/refs.bib"
    assert main(["import", "bibtex", str(bib), "--site", str(site), "--dry-run"]) == 1
    out = capsys.readouterr()
    assert (
        "would import 2 papers, 4 failed" in out.out
        and not (site / "content/papers/2025/10.1038-nature14539.md").exists()
    )
    assert main(["import", "bibtex", str(bib), "--site", str(site), "--draft"]) == 1
    out = capsys.readouterr()
    assert "skip 1706.03762: already in the digest as content/papers/2025/1706.03762.md" in out.err
    assert "skip 2010.11929: already in the digest as content/papers/2025/2010.11929.yaml" in out.err
    assert f"error: {bib}:38 (notitle2021): has no title" in out.err
    assert f"error: {bib}:43 (lecun2015deep): the cite key 'lecun2015deep' is used twice" in out.err
    assert f"error: {bib}:47: cannot parse this entry: Expected comma after entry key, but found {{" in out.err
    assert f"error: {bib}:51: cannot parse this entry: Unexpectedly reached end of file" in out.err
    assert "Parsing of" not in out.err  # bibtexparser's own log lines are not shown
    deep = load(site, "content/papers/2025/10.1038-nature14539.md")
    assert (deep.title, deep.journal, deep.doi, deep.draft) == ("Deep Learning", "Nature 521 436–444 (2015)",
                                                               "10.1038/nature14539", True)
    assert deep.authors == ("Yann LeCun", "Yoshua Bengio", "Geoffrey Hinton") and deep.published is None
    nets = load(site, "content/papers/2025/muller2020.md")
    assert nets.title == "Schöne Netze: A Study of CNN Pruning" and nets.authors == ("Jürgen Müller", "Zoé Dupont")
    assert nets.published == dt.date(2020, 10, 22) and dict(nets.links) == {
        "paper": "https://example.org/papers/schoene-netze"
    }
    assert nets.journal == "Proceedings of the Example Workshop" and nets.abstract is not None
    assert main(["check", "--site", str(site), "--drafts"]) == 0


def test_a_bibtex_eprint_without_archive_prefix_is_an_arxiv_id(tmp_path: Path) -> None:
    # Google Scholar and many hand-kept .bib files write eprint = {1706.03762} alone: without
    # reading it, the entry was imported again as a paper with no arXiv id, beside the one
    # the digest already had
    from digestgen.bibimport import read_bibtex

    bib = tmp_path / "refs.bib"
    bib.write_text("@article{a, title = {Attention is all you need}, eprint = {1706.03762}}\n"
                   "@article{b, title = {Old style}, eprint = {hep-th/9901001v2}}\n"
                   "@article{c, title = {Elsewhere}, eprint = {1706.03762}, archiveprefix = {PubMed}}\n"
                   "@article{d, title = {Not an id}, eprint = {12345}}\n")
    found = {entry.key: entry.meta.arxiv for entry in read_bibtex(bib) if entry.meta is not None}
    assert found == {"a": "1706.03762", "b": "hep-th/9901001v2", "c": None, "d": None}


def test_bibtex_logos_keep_their_words(tmp_path: Path) -> None:
    # the LaTeX decoder drops macros it does not know: a title about {\LaTeX} lost the word
    from digestgen.bibimport import read_bibtex

    bib = tmp_path / "refs.bib"
    bib.write_text("@article{a, title = {Typesetting with {\\LaTeX}, \\TeX{} and \\BibTeX: $O(n^2)$ \\& {\\'e}t{\\'e}},"
                   " url = {https://example.org/a\\_b}}\n")
    (entry,) = read_bibtex(bib)
    assert entry.meta is not None and entry.meta.title == "Typesetting with LaTeX, TeX and BibTeX: $O(n^2)$ & été"
    assert entry.meta.links == {"paper": "https://example.org/a_b"}
