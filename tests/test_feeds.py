"""Feeds: every format parses cleanly, carries its spec's required elements, stable ids and
featured dates, absolute URLs and nothing executable."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import feedparser
import pytest
from helpers_feeds import (
    ATOM_NS,
    BASE,
    FEEDS_SITE,
    atom_tree,
    build_copy,
    built_feeds_site,
    content_fragments,
    unsafe_bits,
    urls_in,
)
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from digestgen import feeds
from digestgen.cli import main
from digestgen.config import load_config
from digestgen.content import xml_invalid
from digestgen.errors import ContentError
from digestgen.load import load_site
from digestgen.render import Renderer

ATOM_FEEDS = {
    "feed.xml": ["issue:2025-W48", "issue:2025-W47", "issue:2025-W46"],
    "papers/feed.xml": ["paper:p-alpha", "paper:p-beta", "paper:p-gamma"],
    "tags/agents/feed.xml": ["paper:p-alpha", "paper:p-beta"],
    "tags/vision/feed.xml": ["paper:p-alpha", "paper:p-gamma"],
    "tags/theory/feed.xml": ["paper:p-gamma", "paper:p-delta"],
}
TAG = "tag:example.org,2000:"


@pytest.fixture(scope="session")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_feeds_site(tmp_path_factory)


def entry_ids(path: Path) -> list[str]:
    return [e.findtext("a:id", namespaces=ATOM_NS) for e in atom_tree(path).findall("a:entry", ATOM_NS)]


@pytest.mark.parametrize("name", [*ATOM_FEEDS, "rss.xml"])  # feedparser 6 has no JSON Feed reader
def test_feedparser_reads_every_feed_cleanly(out: Path, name: str) -> None:
    parsed = feedparser.parse((out / name).read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    expected = ATOM_FEEDS.get(name, ATOM_FEEDS["feed.xml"])
    assert [e.id for e in parsed.entries] == [TAG + key for key in expected]
    for entry in parsed.entries:
        assert entry.link.startswith(BASE)
        assert entry.title


@pytest.mark.parametrize("name", list(ATOM_FEEDS))
def test_atom_has_rfc4287_required_elements(out: Path, name: str) -> None:
    root = atom_tree(out / name)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    for child in ("a:id", "a:title", "a:updated", "a:author/a:name"):
        assert root.findtext(child, namespaces=ATOM_NS), child
    links = {link.get("rel"): link.get("href") for link in root.findall("a:link", ATOM_NS)}
    assert links["self"] == BASE + name
    assert links["alternate"].startswith(BASE)
    entries = root.findall("a:entry", ATOM_NS)
    assert entries
    for entry in entries:
        for child in ("a:id", "a:title", "a:updated", "a:published"):
            assert entry.findtext(child, namespaces=ATOM_NS), child
        alternate = [link for link in entry.findall("a:link", ATOM_NS) if link.get("rel", "alternate") == "alternate"]
        assert len(alternate) == 1 and alternate[0].get("href").startswith(BASE)
        assert entry.find("a:content", ATOM_NS) is not None or entry.find("a:summary", ATOM_NS) is not None


def test_rss_channel_links_site_and_self(out: Path) -> None:
    root = etree.fromstring((out / "rss.xml").read_bytes())
    channel = root.find("channel")
    assert root.get("version") == "2.0"
    assert channel.findtext("link") == BASE
    self_links = channel.findall("{http://www.w3.org/2005/Atom}link")
    assert [(link.get("rel"), link.get("href")) for link in self_links] == [("self", BASE + "rss.xml")]
    assert channel.findtext("title") == "Feed Test Digest"
    assert channel.findtext("lastBuildDate") == "Mon, 24 Nov 2025 00:00:00 +0100"
    items = channel.findall("item")
    assert [i.findtext("guid") for i in items] == [TAG + k for k in ATOM_FEEDS["feed.xml"]]
    assert all(i.find("guid").get("isPermaLink") == "false" for i in items)
    assert items[0].findtext("pubDate") == "Mon, 24 Nov 2025 00:00:00 +0100"
    assert items[0].findtext("{http://purl.org/rss/1.0/modules/content/}encoded")


def test_json_feed_has_required_fields_and_same_items(out: Path) -> None:
    body = json.loads((out / "feed.json").read_text("utf-8"))
    assert body["version"] == "https://jsonfeed.org/version/1.1"
    assert body["title"] == "Feed Test Digest"
    assert body["home_page_url"] == BASE
    assert body["feed_url"] == BASE + "feed.json"
    assert [i["id"] for i in body["items"]] == entry_ids(out / "feed.xml")
    for item in body["items"]:
        assert item["url"].startswith(BASE + "issues/")
        assert item["content_html"] and item["title"] and item["summary"]
        assert item["date_published"] <= item["date_modified"]
    first = body["items"][0]
    assert first["date_modified"] == "2025-11-24T00:00:00+01:00"
    assert first["title"] == "Agents & pictures (Week 48 · 24–30 Nov 2025)"
    assert first["summary"] == "Two papers about agents, one with pictures."


def test_dates_are_featured_dates_and_feed_updated_is_newest(out: Path) -> None:
    root = atom_tree(out / "papers/feed.xml")
    assert root.findtext("a:updated", namespaces=ATOM_NS) == "2025-11-24T00:00:00+01:00"
    stamps = [(e.findtext("a:published", namespaces=ATOM_NS), e.findtext("a:updated", namespaces=ATOM_NS))
              for e in root.findall("a:entry", ATOM_NS)]
    assert stamps == [("2025-11-24T00:00:00+01:00",) * 2, ("2025-11-24T00:00:00+01:00",) * 2,
                      ("2025-11-18T00:00:00+01:00",) * 2]
    tag = atom_tree(out / "tags/theory/feed.xml")
    assert tag.findtext("a:updated", namespaces=ATOM_NS) == "2025-11-18T00:00:00+01:00"


def test_limit_drafts_and_future_papers(out: Path) -> None:
    everything = b"".join((out / name).read_bytes() for name in [*ATOM_FEEDS, "rss.xml", "feed.json"])
    for hidden in (b"p-draft", b"p-future", b"From the future"):
        assert hidden not in everything
    assert len(entry_ids(out / "papers/feed.xml")) == 3  # feeds.limit
    assert not (out / "tags/unused/feed.xml").exists()  # a tag without papers has no page and no feed


def test_paper_entries_carry_authors_categories_and_thumbnail(out: Path) -> None:
    parsed = feedparser.parse((out / "papers/feed.xml").read_bytes())
    alpha = parsed.entries[0]
    assert [a.name for a in alpha.authors] == ["Ada Lovelace", "Alan Turing"]
    assert [(t.term, t.label) for t in alpha.tags] == [("agents", "Agents"), ("vision", "Computer vision")]
    assert alpha.media_thumbnail[0]["url"] == BASE + "img/fig.svg"
    assert alpha.summary == "Agents scale when you let them."
    content = alpha.content[0].value
    assert 'src="https://example.org/digest/img/fig.svg"' in content and 'alt="A black square"' in content
    assert "Agents at scale: &lt;b&gt;bold&lt;/b&gt; &amp; friends" not in content  # the title is the entry title
    assert alpha.title == "Agents at scale: <b>bold</b> & friends"


def test_issue_content_is_full(out: Path) -> None:
    body = json.loads((out / "feed.json").read_text("utf-8"))
    html = body["items"][0]["content_html"]
    assert html.index("This week starts with") < html.index("Agents at scale")  # intro first
    for piece in (
        ('<a href="https://example.org/digest/papers/p-alpha/">Agents at scale: &lt;b&gt;bold&lt;/b&gt; &amp; '
        'friends</a>'),
        "<em>Ada Lovelace, Alan Turing</em>",
        'href="https://github.com/example/alpha">Code</a>',
        "Agents scale when you let them.",
        "Compare with",
        "Work, by agents.",
    ):
        assert piece in html
    week47 = body["items"][1]["content_html"]
    assert "An abstract without a tldr." in week47  # no tldr: the abstract stands in


def test_curator_note_comes_before_the_abstract_in_every_content(out: Path) -> None:
    """Curator first: in issue items and paper entries the note precedes the abstract."""
    issue_html = json.loads((out / "feed.json").read_text("utf-8"))["items"][0]["content_html"]
    paper = feedparser.parse((out / "papers/feed.xml").read_bytes())
    beta = next(e for e in paper.entries if e.link.endswith("/papers/p-beta/"))
    for html in (issue_html, beta.content[0].value):
        assert html.index("A short note with") < html.index("Work, by agents.")
    assert "Added 2025-11-24" in beta.content[0].value and "Featured" not in beta.content[0].value


FEED_FILES = [*ATOM_FEEDS, "rss.xml"]


@pytest.mark.parametrize("name", FEED_FILES)
def test_every_url_in_content_is_absolute(out: Path, name: str) -> None:
    urls = [u for fragment in content_fragments(out / name) for u in urls_in(fragment)]
    assert urls
    assert all(u.startswith(("https://", "http://", "mailto:")) for u in urls), [u for u in urls if "://" not in u]
    assert BASE + "issues/2025-W48/papers/p-beta/" in urls or name != "feed.xml"  # relative link of the intro


@pytest.mark.parametrize("name", FEED_FILES)
def test_nothing_executable_reaches_a_feed(out: Path, name: str) -> None:
    fragments = content_fragments(out / name)
    assert fragments
    for fragment in fragments:
        assert unsafe_bits(fragment) == []


def test_nothing_executable_in_json_feed(out: Path) -> None:
    for item in json.loads((out / "feed.json").read_text("utf-8"))["items"]:
        assert unsafe_bits(item["content_html"]) == []


def test_opml_lists_every_feed(out: Path) -> None:
    root = etree.fromstring((out / "feeds.opml").read_bytes())
    assert root.get("version") == "2.0"
    urls = [o.get("xmlUrl") for o in root.iter("outline") if o.get("xmlUrl")]
    assert urls == [BASE + "feed.xml", BASE + "papers/feed.xml", BASE + "tags/agents/feed.xml",
                    BASE + "tags/theory/feed.xml", BASE + "tags/vision/feed.xml", BASE + "rss.xml", BASE + "feed.json"]
    for url in urls:
        assert (out / url[len(BASE):]).is_file()


def test_pages_link_feeds(out: Path) -> None:
    home = (out / "index.html").read_text("utf-8")
    for kind, path in (
        ("application/atom+xml", "/digest/feed.xml"),
        ("application/rss+xml", "/digest/rss.xml"),
        ("application/feed+json", "/digest/feed.json"),
        ("application/atom+xml", "/digest/papers/feed.xml"),
    ):
        assert f'type="{kind}"' in home and f'href="{path}"' in home
    tag = (out / "tags/agents/index.html").read_text("utf-8")
    assert 'href="/digest/tags/agents/feed.xml"' in tag
    for page in [*out.rglob("index.html"), out / "404.html"]:
        head, _, body = page.read_text("utf-8").partition("</head>")
        assert 'rel="alternate" type="application/atom+xml"' in head and 'href="/digest/feed.xml"' in head, page
        assert 'href="/digest/feed.xml"' in body.split("<footer", 1)[1], page  # and a visible link in the footer


def test_ids_survive_title_scheme_path_and_domain_changes(tmp_path: Path, out: Path) -> None:
    site = tmp_path / "site"
    build = tmp_path / "public"
    shutil.copytree(FEEDS_SITE, site)
    paper = site / "content/papers/2025/p-gamma.md"
    paper.write_text(
        paper.read_text("utf-8").replace("title: Gamma rays for vision", "title: Gamma rays, retitled"), "utf-8"
    )
    yaml = site / "site.yaml"
    yaml.write_text(
        yaml.read_text("utf-8")
        .replace("title: Feed Test Digest", "title: Renamed Digest")
        .replace(
            "feeds: {limit: 3, full_content: true}", "feeds: {limit: 3, full_content: true, id_domain: example.org}"
        ),
        "utf-8",
    )
    assert (
        main(
            [
                "build",
                "--site",
                str(site),
                "--output",
                str(build),
                "--base-url",
                "http://new-home.example.net/papers-digest",
            ]
        )
        == 0
    )
    for name in ATOM_FEEDS:
        moved = atom_tree(build / name)
        assert moved.findtext("a:id", namespaces=ATOM_NS) == atom_tree(out / name).findtext("a:id", namespaces=ATOM_NS)
        assert entry_ids(build / name) == entry_ids(out / name)
    assert "http://new-home.example.net/papers-digest/papers/p-gamma/" in (build / "papers/feed.xml").read_text("utf-8")


def test_ids_ignore_scheme_and_path_without_id_domain(tmp_path: Path, out: Path) -> None:
    _site, build = build_copy(tmp_path, args=("--base-url", "http://example.org/"))
    assert entry_ids(build / "feed.xml") == entry_ids(out / "feed.xml")


def test_summary_only_when_full_content_is_off(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FEEDS_SITE, site)
    yaml = site / "site.yaml"
    yaml.write_text(yaml.read_text("utf-8").replace("full_content: true", "full_content: false"), "utf-8")
    assert main(["build", "--site", str(site), "--output", str(tmp_path / "public")]) == 0
    root = atom_tree(tmp_path / "public/feed.xml")
    entries = root.findall("a:entry", ATOM_NS)
    assert entries and all(e.find("a:content", ATOM_NS) is None for e in entries)
    summary = entries[0].findtext("a:summary", namespaces=ATOM_NS)
    assert "Two papers about agents" in summary and 'href="https://example.org/digest/papers/p-beta/"' in summary
    assert "Compare with" not in (tmp_path / "public/feed.xml").read_text("utf-8")
    assert feedparser.parse((tmp_path / "public/rss.xml").read_bytes()).bozo == 0
    items = json.loads((tmp_path / "public/feed.json").read_text("utf-8"))["items"]
    assert items[0]["content_html"].startswith("<p>Two papers about agents")


def test_empty_site_has_valid_empty_feeds(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.yaml").write_text("title: Empty\nbase_url: https://empty.example.org/\n", "utf-8")
    assert main(["build", "--site", str(site), "--output", str(tmp_path / "public")]) == 0
    public = tmp_path / "public"
    for name in ("feed.xml", "papers/feed.xml", "rss.xml"):
        parsed = feedparser.parse((public / name).read_bytes())
        assert parsed.bozo == 0 and parsed.entries == []
    assert atom_tree(public / "feed.xml").findtext("a:updated", namespaces=ATOM_NS) == "1970-01-01T00:00:00+00:00"
    assert json.loads((public / "feed.json").read_text("utf-8"))["items"] == []
    assert len(etree.fromstring((public / "feeds.opml").read_bytes()).findall("body/outline")) == 3


def test_same_sources_same_feed_bytes(tmp_path: Path, out: Path) -> None:
    _site, again = build_copy(tmp_path)
    for name in [*ATOM_FEEDS, "rss.xml", "feed.json", "feeds.opml"]:
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_text_xml_cannot_carry_is_found_in_each_field_of_a_paper() -> None:
    """Papers are checked as they are read (so by digestgen check too, and once per version of
    an entry); the file loader refuses such characters first, this is the second guard."""
    from digestgen.content import xml_unsafe_fields

    model, _warnings = load_site(load_config(FEEDS_SITE))
    paper = next(p for p in model.papers if p.id == "p-gamma")
    assert xml_unsafe_fields(paper) == []
    bad = dataclasses.replace(paper, title="Gamma\x0b rays", texts=paper.texts.replaced(note="fine\ufffe"),
                              links=(("code", "https://e.org/\x01"),))
    assert xml_unsafe_fields(bad) == [("title", "\x0b"), ("note", "\ufffe"), ("links", "\x01")]
    assert xml_unsafe_fields(dataclasses.replace(paper, texts=paper.texts.replaced(note_html="<p>\ufffe</p>"))) == [
        ("note", "\ufffe")]


def test_lxml_refusal_is_still_reported_with_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    model, _warnings = load_site(load_config(FEEDS_SITE))
    model.papers[0] = dataclasses.replace(model.papers[0], tldr="tl\x01dr")
    monkeypatch.setattr(feeds, "xml_problems", lambda model: [])  # as if the early check missed it
    with pytest.raises(ContentError) as caught:
        feeds.all_feeds(model, Renderer(model))
    [problem] = caught.value.problems
    assert (problem.path, problem.field) == (model.papers[0].source, "summary")
    assert "U+0001" in problem.message


@given(st.characters(codec="utf-8"))
def test_invalid_character_check_matches_lxml(char: str) -> None:
    element = etree.Element("a")
    try:
        element.text = f"x{char}y"
        lxml_refuses = False
    except ValueError:
        lxml_refuses = True
    assert bool(xml_invalid(char)) == lxml_refuses


HOSTILE = st.lists(st.sampled_from([
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[a](javascript:alert(1))", "[b](JaVaScRiPt:x)",
    "[c](data:text/html,x)", "<style>*{}</style>", "<a href=\"javascript:x\">d</a>", "![e](javascript:x)",
    "[f](/papers/x/)", "[g](rel/path)", "[h](#frag)", "$x^2$", "[^1]\n\n[^1]: note", "**bold**", "`code`",
    "https://example.org/auto", "\n\n", " ", "text",
]), max_size=12).map("".join)


@pytest.fixture(scope="module")
def feed_model() -> tuple[object, Renderer]:
    model, _warnings = load_site(load_config(FEEDS_SITE))
    return model, Renderer(model)


@given(note=HOSTILE, title=st.text(max_size=40).filter(lambda t: xml_invalid(t) is None))
def test_hostile_notes_never_reach_feeds_executable(feed_model: tuple[object, Renderer], note: str, title: str) -> None:
    from digestgen.markdown import render

    model, renderer = feed_model
    first = model.papers[0]  # type: ignore[attr-defined]
    paper = dataclasses.replace(first, title=title or "t", texts=first.texts.replaced(
        note=note, note_html=render(note, doc_id="h", base_path="/digest/").html))
    item = feeds._Builder(model, renderer).paper_item(paper)  # type: ignore[arg-type]
    for fragment in (item.content_html or "", item.summary_html):
        assert unsafe_bits(fragment) == []
        assert all(u.startswith(("https://", "http://", "mailto:")) for u in urls_in(fragment))
