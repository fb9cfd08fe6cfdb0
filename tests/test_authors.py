"""Authors: stable ASCII slugs, content/authors.yaml (aliases, two people with one name,
ORCID, homepage), who gets a page, the pages, the index, the feeds and the links to them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import feedparser
import pytest
from helpers_core import SITES
from lxml import etree

from digestgen import render
from digestgen.authors import AUTHORS_FILE, family_key, slugify
from digestgen.cli import main
from digestgen.config import load_config
from digestgen.errors import ContentError
from digestgen.load import load_site
from digestgen.render import Renderer
from digestgen.schema import _orcid, split_author

BASE = "https://authors.example.net/digest/"
TAG = "tag:authors.example.net,2000:"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("authors") / "site"
    shutil.copytree(SITES / "authors", root)
    return root


@pytest.fixture(scope="module")
def out(site: Path) -> Path:
    assert main(["build", "--site", str(site), "--output", str(site / "public")]) == 0
    return site / "public"


def page(out: Path, path: str) -> str:
    return (out / path).read_text("utf-8")


def main_text(html: str) -> str:
    return html[html.index('<main id="main"'):html.index("</main>")]


# --- slugs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name, slug", [
    ("Kari Ødegaard", "kari-odegaard"), ("Kari Odegaard", "kari-odegaard"), ("José García", "jose-garcia"),
    ("Yann LeCun", "yann-lecun"), ("Jean-Pierre  O'Neil", "jean-pierre-o-neil"), ("王伟", "wangwei"),
    ("Łukasz Kaiser", "lukasz-kaiser"), ("X", "author-x"), ("<b>Eve</b>", "b-eve-b"),
])
def test_slugs_are_ascii_folded_and_stable(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert slugify(name) == slugify(name)


def test_a_name_without_letters_gets_a_hashed_slug() -> None:
    assert re.fullmatch(r"author-[0-9a-f]{8}", slugify("???"))
    assert slugify("???") != slugify("!!!")
    assert len(slugify("Name " * 40)) <= 80


def test_the_index_orders_by_family_name() -> None:
    names = ["Yann LeCun", "Ada Lovelace", "Martin Luther King Jr.", "Kari Ødegaard"]
    assert sorted(names, key=family_key) == ["Martin Luther King Jr.", "Yann LeCun", "Ada Lovelace", "Kari Ødegaard"]


def test_a_paper_names_an_entry_with_brackets() -> None:
    assert split_author("Wei Wang [wei-wang-ucla]") == ("Wei Wang", "wei-wang-ucla")
    assert split_author("Wei Wang") == ("Wei Wang", None)
    assert split_author("Wei [2] Wang") == ("Wei [2] Wang", None)


@pytest.mark.parametrize("given, bare", [
    ("0000-0002-1825-0097", "0000-0002-1825-0097"), ("https://orcid.org/0000-0001-5109-3700", "0000-0001-5109-3700"),
    ("0000-0002-1694-233x", "0000-0002-1694-233X"),
])
def test_orcid_ids_are_checked_by_their_check_digit(given: str, bare: str) -> None:
    assert _orcid(given) == bare


@pytest.mark.parametrize("bad, message", [
    ("0000-0002-1825-0098", "wrong check digit (the last one should be 7)"),
    ("0000-0002-1825", "is not an ORCID iD"), ("https://example.org/0000-0002-1825-0097", "is not an ORCID iD"),
])
def test_bad_orcid_ids_are_refused(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        _orcid(bad)


# --- the model -------------------------------------------------------------------------------


def test_who_gets_a_page(site: Path) -> None:
    model, warnings = load_site(load_config(site))
    people = model.authors.pages
    assert list(people) == ["b-eve-b", "grace-hopper", "yann-lecun", "kari-odegaard", "wei-wang-tsinghua",
                            "wei-wang-ucla", "wangwei"]  # by family name, then slug
    assert model.authors.everyone == 9  # + Solo Author One and Ada Lovelace, with one paper each
    kari = people["kari-odegaard"]
    assert (kari.name, kari.count, kari.spellings, kari.letter) == ("Kari Ødegaard", 5, ("Kari Odegaard",), "O")
    assert people["grace-hopper"].count == 1 and people["grace-hopper"].declared  # an entry: a page from one paper
    ucla = people["wei-wang-ucla"]
    assert (ucla.name, ucla.affiliation, ucla.orcid, ucla.count) == ("Wei Wang", "UCLA", "0000-0002-1825-0097", 2)
    assert [p.id for p in model.authors.papers["wei-wang-ucla"]] == ["a3", "a1"]
    assert model.authors.links["a1"] == ("kari-odegaard", "wei-wang-ucla", None)
    assert "a5" in model.authors.links and model.authors.links["a5"][1] is None  # Ada Lovelace: one paper
    assert model.papers_by_id["a1"].authors == ("Kari Ødegaard", "Wei Wang", "Solo Author One")
    merged = [w.message for w in warnings if w.field.startswith("authors.")]
    assert len(merged) == 2 and all("are shown as one author" in m for m in merged)
    assert warnings[0].format().startswith("content/papers/2025/a2.md:6:5: warning: authors.0: 'Kari Odegaard' and "
                                       "'Kari Ødegaard' (content/papers/2025/a6.md) are both /authors/kari-odegaard/")


def test_an_alias_in_authors_yaml_silences_the_warning(site: Path, tmp_path: Path) -> None:
    root = shutil.copytree(site, tmp_path / "site", ignore=shutil.ignore_patterns("public", ".digestgen-cache"))
    with open(root / AUTHORS_FILE, "a", encoding="utf-8") as handle:
        handle.write("kari-odegaard: {name: Kari Ødegaard, aliases: [Kari Odegaard]}\n"
                     "yann-lecun: {name: Yann LeCun}\n")
    model, warnings = load_site(load_config(root))
    assert [w for w in warnings if w.field.startswith("authors.")] == []
    assert model.authors.pages["kari-odegaard"].declared


def test_author_pages_sets_how_many_papers_make_a_page(site: Path, tmp_path: Path) -> None:
    root = shutil.copytree(site, tmp_path / "site", ignore=shutil.ignore_patterns("public", ".digestgen-cache"))
    text = (root / "site.yaml").read_text("utf-8")
    (root / "site.yaml").write_text(text.replace("author_pages: 2", "author_pages: 1"), "utf-8")
    assert len(load_site(load_config(root))[0].authors.pages) == 9
    (root / "site.yaml").write_text(text.replace("author_pages: 2", "author_pages: 3"), "utf-8")
    assert list(load_site(load_config(root))[0].authors.pages) == ["grace-hopper", "kari-odegaard",
                                                                    "wei-wang-tsinghua", "wei-wang-ucla"]


def test_mistakes_in_names_are_errors_at_their_place(site: Path, tmp_path: Path) -> None:
    root = shutil.copytree(site, tmp_path / "site", ignore=shutil.ignore_patterns("public", ".digestgen-cache"))
    paper = root / "content/papers/2025/a2.md"
    paper.write_text(paper.read_text("utf-8").replace("Wei Wang [wei-wang-tsinghua]", "Wei Wang"), "utf-8")
    (root / AUTHORS_FILE).write_text((root / AUTHORS_FILE).read_text("utf-8")
                                     + "a: {name: Ada}\nhopper-fan:\n  name: Fan\n  aliases: [Grace Hopper]\n", "utf-8")
    with pytest.raises(ContentError) as raised:
        load_site(load_config(root))
    shown = [p.format() for p in raised.value.problems]
    assert ("content/papers/2025/a2.md:7:5: authors.1: 'Wei Wang' is the name of 2 people in content/authors.yaml "
            "(wei-wang-tsinghua, wei-wang-ucla); say which one: 'Wei Wang [wei-wang-tsinghua]' or "
            "'Wei Wang [wei-wang-ucla]'") in shown
    assert any(s.startswith("content/authors.yaml:14:1: a: is not a valid author id") for s in shown)
    assert ("content/authors.yaml:17:13: hopper-fan.aliases.0: 'Grace Hopper' is the name of the entry 'grace-hopper' "
            "(its id), so papers that write it are grace-hopper's; remove the alias, or write "
            "'Grace Hopper [hopper-fan]' in those papers") in shown


# --- pages -----------------------------------------------------------------------------------


def test_every_author_with_a_page_has_one_and_the_others_none(out: Path) -> None:
    made = sorted(p.parent.relative_to(out / "authors").as_posix() for p in (out / "authors").rglob("index.html"))
    assert made == [".", "b-eve-b", "grace-hopper", "kari-odegaard", "kari-odegaard/page/2", "kari-odegaard/page/3",
                    "wangwei", "wei-wang-tsinghua", "wei-wang-ucla", "yann-lecun"]


def test_an_author_page_lists_their_papers_newest_first_in_pages(out: Path) -> None:
    first = main_text(page(out, "authors/kari-odegaard/index.html"))
    assert "<h1>Kari Ødegaard</h1>" in first and "5 papers · page 1 of 3" in first
    assert re.findall(r'id="paper-(\w+)"', first) == ["a6", "a4"]
    assert '<a class="pager-next" rel="next" href="/digest/authors/kari-odegaard/page/2/">' in first
    assert "Also written Kari Odegaard" in first
    last = main_text(page(out, "authors/kari-odegaard/page/3/index.html"))
    assert re.findall(r'id="paper-(\w+)"', last) == ["a1"]
    assert '<a class="pager-prev" rel="prev" href="/digest/authors/kari-odegaard/page/2/">' in last
    head = page(out, "authors/kari-odegaard/index.html")
    assert ('<link rel="alternate" type="application/atom+xml" title="Author Test Digest: Kari Ødegaard (Atom)" '
            'href="/digest/authors/kari-odegaard/feed.xml">') in head


def test_an_entry_shows_its_affiliation_orcid_and_homepage(out: Path) -> None:
    html = page(out, "authors/wei-wang-ucla/index.html")
    assert '<p class="lead">UCLA</p>' in html
    assert '<a class="btn-link" href="https://orcid.org/0000-0002-1825-0097" rel="noopener">' in html
    assert '<a class="btn-link" href="https://example.org/~wei" rel="noopener">Homepage</a>' in html
    data = re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1)  # type: ignore[union-attr]
    assert '"sameAs":["https://orcid.org/0000-0002-1825-0097","https://example.org/~wei"]' in data


def test_names_link_to_pages_where_there_are_pages(out: Path) -> None:
    paper = page(out, "papers/a1/index.html")
    assert ('<p class="authors-full">'
            '<a href="/digest/authors/kari-odegaard/">Kari Ødegaard</a>, '
            '<a href="/digest/authors/wei-wang-ucla/">Wei Wang</a>, Solo Author One</p>') in paper
    card = page(out, "tags/vision/index.html")
    assert ('<span class="authors"><a href="/digest/authors/b-eve-b/">&lt;b&gt;Eve&lt;/b&gt;</a>, '
            '<a href="/digest/authors/kari-odegaard/">Kari Ødegaard</a></span>') in card
    assert '<span class="authors"><a href="/digest/authors/wangwei/">王伟</a>, Ada Lovelace, ' in card
    for html in (paper, card, page(out, "issues/2025-W47/index.html")):
        assert "[wei-wang" not in html and "<b>Eve" not in html


def test_the_index_has_a_section_per_letter_with_counts(out: Path) -> None:
    html = main_text(page(out, "authors/index.html"))
    assert re.findall(r'<h2 id="letter-(\w)">', html) == ["b", "h", "l", "o", "w"]
    assert re.findall(r'<li><a href="#letter-(\w)">', html) == ["b", "h", "l", "o", "w"]
    assert ('<li><a href="/digest/authors/wei-wang-ucla/">Wei Wang</a> <span class="affiliation">UCLA</span> '
            '<span class="count">2<span class="visually-hidden"> papers</span></span></li>') in html
    assert ("7 authors to follow, each with a page and a feed of their papers (the authors of 2 or more papers "
            "here, of 9 in all).") in html
    assert 'href="/digest/authors/"' in page(out, "index.html")  # in the site's navigation


def test_a_big_index_has_a_page_per_letter(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "AUTHOR_INDEX_MAX", 3)
    model, _ = load_site(load_config(site))
    renderer = Renderer(model)
    routes = {r.path: r for r in renderer.routes() if r.template == "authors.html"}
    assert list(routes) == ["authors/index.html", "authors/b/index.html", "authors/h/index.html",
                            "authors/l/index.html", "authors/o/index.html", "authors/w/index.html"]
    index = renderer.render(routes["authors/index.html"]).decode()
    assert '<li><a href="/digest/authors/w/">W<span class="visually-hidden"> (3 authors)</span></a></li>' in index
    assert "<h2" not in main_text(index)
    letter = renderer.render(routes["authors/w/index.html"]).decode()
    assert '<h1>Authors: W</h1>' in letter and '<a href="/digest/authors/w/" aria-current="page">' in letter
    listed = letter[letter.index('<ul class="author-index">'):]
    assert re.findall(r'<a href="/digest/authors/([\w-]+)/">', listed) == [
        "wei-wang-tsinghua", "wei-wang-ucla", "wangwei"]


# --- feeds -----------------------------------------------------------------------------------


def test_each_author_has_an_atom_feed(out: Path) -> None:
    parsed = feedparser.parse((out / "authors/kari-odegaard/feed.xml").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.title == "Author Test Digest: Kari Ødegaard"
    assert parsed.feed.id == TAG + "feed:author:kari-odegaard"
    assert [link.href for link in parsed.feed.links] == [BASE + "authors/kari-odegaard/feed.xml",
                                                          BASE + "authors/kari-odegaard/"]
    assert [e.id for e in parsed.entries] == [TAG + "paper:a6", TAG + "paper:a4", TAG + "paper:a3"]  # feeds.limit: 3
    assert [a.name for a in parsed.entries[2].authors] == ["Kari Ødegaard", "Yann Lecun", "Wei Wang"]
    # the summary, not the whole entry (which the tag feeds of this site carry: full_content)
    assert all("content" not in e and e.summary for e in parsed.entries)
    assert "content" in feedparser.parse((out / "tags/theory/feed.xml").read_bytes()).entries[0]
    escaped = feedparser.parse((out / "authors/b-eve-b/feed.xml").read_bytes())
    assert escaped.bozo == 0 and escaped.feed.title == "Author Test Digest: <b>Eve</b>"  # text, not markup


def test_the_opml_bundle_lists_every_author_feed(out: Path) -> None:
    root = etree.fromstring((out / "feeds.opml").read_bytes())
    folders = {o.get("text"): [c.get("xmlUrl") for c in o] for o in root.iter("outline") if len(o)}
    assert folders["Author Test Digest: authors"] == [
        BASE + f"authors/{slug}/feed.xml" for slug in
        ("b-eve-b", "grace-hopper", "yann-lecun", "kari-odegaard", "wei-wang-tsinghua", "wei-wang-ucla", "wangwei")]
    for urls in folders.values():
        assert all((out / url[len(BASE):]).is_file() for url in urls)


def test_citations_carry_the_names_without_ids(out: Path) -> None:
    bib = (out / "papers/a1/a1.bib").read_text("utf-8")
    assert "author = {Kari Ødegaard and Wei Wang and Solo Author One}" in bib and "[" not in bib
    assert "wei-wang-ucla" not in (out / "papers.json").read_text("utf-8")


@pytest.mark.parametrize("name, writer", [
    ("authors/kari-odegaard/index.html", "content/papers/2025/a6.md"),  # the newest paper with the name
    ("authors/grace-hopper/feed.xml", "content/authors.yaml"),
])
def test_a_static_file_cannot_take_an_author_output(site: Path, tmp_path: Path, name: str, writer: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    root = shutil.copytree(site, tmp_path / "site", ignore=shutil.ignore_patterns("public", ".digestgen-cache"))
    (root / "static" / name).parent.mkdir(parents=True)
    (root / "static" / name).write_text("mine\n", "utf-8")
    assert main(["check", "--site", str(root)]) == 1
    assert (f"static/{name}:1:1: (file): static file would be published at /{name}, where {writer} writes /{name}"
            in capsys.readouterr().err)
