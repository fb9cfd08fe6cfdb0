"""The default theme's pages, read as HTML: what readers and crawlers get without a browser."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import lxml.html
import pytest
from helpers_theme import REPO, SITES, SUBPATH, Site, build, forty_paper_site, tree_digest


def doc(site: Site, path: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(site.page(path))


def texts(tree: lxml.html.HtmlElement, css: str) -> list[str]:
    return [" ".join(el.text_content().split()) for el in tree.cssselect(css)]


def card(tree: lxml.html.HtmlElement, paper_id: str) -> lxml.html.HtmlElement:
    found = tree.cssselect(f'[id="paper-{paper_id}"]')
    assert len(found) == 1, f"no card for {paper_id}"
    return found[0]


def test_card_shows_everything_a_reader_scans_for(example_site: Site) -> None:
    tree = doc(example_site, "issues/2026-W48/index.html")
    gpt3 = card(doc(example_site, "issues/2026-W45/index.html"), "2005.14165")
    assert texts(gpt3, ".authors") == ["Tom B. Brown, Benjamin Mann + 29 more"]
    dates = texts(gpt3, ".dates")[0]
    assert re.fullmatch(r"Added \d+ \w+ 2026 ?Published 28 May 2020", dates), dates
    assert gpt3.cssselect(".dates time")[1].get("datetime") == "2020-05-28"
    # upvotes sit beside the title
    assert texts(gpt3, ".card-head .upvotes")[0].endswith("upvotes") and gpt3.cssselect(".card-head .card-title")
    assert gpt3.cssselect(".card-title a")[0].get("href") == f"{SUBPATH}papers/2005.14165/"
    links = {a.text_content(): a.get("href") for a in gpt3.cssselect(".links a")}
    assert links["arXiv"] == "https://arxiv.org/abs/2005.14165"
    assert links["PDF"] == "https://arxiv.org/pdf/2005.14165"
    assert all(a.get("href").startswith(f"{SUBPATH}tags/") for a in gpt3.cssselect(".tags a"))
    # one or two lines of the curator's note; the abstract and the full note stay on the paper page
    blurb = texts(gpt3, ".blurb")[0]
    assert blurb.startswith("Curator’s note: The paper that turned prompting into a research area.")
    assert not gpt3.cssselect(".abstract, .note, math"), "lists do not repeat the paper page"
    # featured papers come first and are marked; "Featured" never names the date
    first = tree.cssselect(".card")[0]
    assert "card-featured" in first.get("class") and texts(first, ".badge-featured") == ["Featured"]
    assert not [t for t in texts(tree, ".dates") if "Featured" in t]
    # cards are numbered like the issue's list, and the list links to them
    numbers = texts(tree, ".card-num")
    assert numbers == [f"{n}." for n in range(1, 9)]
    toc = [a.get("href") for a in tree.cssselect(".layout-side .toc-list a")]
    assert toc == [f"#{c.get('id')}" for c in tree.cssselect(".cards .card")]
    assert [a.get("href") for a in tree.cssselect("details.toc-fold .toc-list a")] == toc
    assert tree.cssselect("details.toc-fold")[0].get("open") is None  # folded until asked


def test_card_blurb_is_the_note_else_the_tldr() -> None:
    import datetime as dt
    from dataclasses import replace

    from digestgen.content import Paper, Texts
    from digestgen.render import card_blurb

    paper = Paper(id="x", source="x.md", title="T", date=dt.date(2026, 1, 1), authors=(),
                  arxiv=None, doi=None, published=None, texts=Texts(None, "<p>The abstract.</p>", "n",
                  '<p>Read <a href="/x/">Section <em>2</em></a>.</p><ul><li>one</li></ul>' + "<p>more</p>" * 80),
                  tldr="Short.", tags=(), upvotes=None, links=(), image=None, image_alt=None, featured=False,
                  rank=None, issue=None, submitted_by=None, draft=False)
    blurb = card_blurb(paper)
    assert blurb.startswith("Read Section 2. one more") and blurb.endswith("…") and len(blurb) <= 240
    assert card_blurb(replace(paper, texts=paper.texts.replaced(note_html=""))) == "Short."
    assert card_blurb(replace(paper, tldr=None, texts=paper.texts.replaced(note_html=""))) == ""
    maths = ('<p>A rate of <math display="inline"><msup><mi>ε</mi><mn>-2</mn></msup></math> beats '
             '<math display="block"><mi>α</mi></math> &amp; <math display="inline"><mi>β</mi></math>'
             '<math display="inline"><mi>γ</mi></math>.</p>')
    shown = str(card_blurb(replace(paper, texts=paper.texts.replaced(note_html=maths))))
    # formulas stay MathML, inline (a block would break the card's two lines), never TeX source
    assert shown == ('A rate of <math display="inline"><msup><mi>ε</mi><mn>-2</mn></msup></math> beats '
                     '<math><mi>α</mi></math> &amp; <math display="inline"><mi>β</mi></math>'
                     '<math display="inline"><mi>γ</mi></math>.')


def test_issue_page_has_human_title_count_and_neighbours(example_site: Site) -> None:
    tree = doc(example_site, "issues/2026-W47/index.html")
    assert texts(tree, "h1") == ["Week 47 · 16–22 Nov 2026"]
    assert "7 papers" in texts(tree, ".issue-head .eyebrow")[0]
    assert len(tree.cssselect(".cards .card")) == 7
    prev = tree.cssselect('.pager a[rel="prev"]')[0]
    nxt = tree.cssselect('.pager a[rel="next"]')[0]
    assert prev.get("href") == f"{SUBPATH}issues/2026-W46/" and nxt.get("href") == f"{SUBPATH}issues/2026-W48/"
    titled = doc(example_site, "issues/2026-W46/index.html")
    assert texts(titled, "h1") == ["Efficient attention and long context"]
    assert "Week 46 · 9–15 Nov 2026" in texts(titled, ".eyebrow")[0]
    assert titled.cssselect(".intro a")  # the editor's intro, with its links


def test_home_shows_latest_issue_recent_issues_and_subscribe_box(example_site: Site) -> None:
    tree = doc(example_site, "index.html")
    assert texts(tree, ".issue-head h1") == ["Alignment, reasoning and agents"]
    assert len(tree.cssselect(".cards .card")) == 8
    teasers = tree.cssselect(".earlier .teaser")  # the issues before the latest, newest first
    assert [t.cssselect(".teaser-title a")[0].get("href") for t in teasers] == [
        f"{SUBPATH}issues/2026-W{n}/" for n in (47, 46, 45)] + [f"{SUBPATH}issues/2026-W44/"]
    titled = next(t for t in teasers if "2026-W46" in t.cssselect(".teaser-title a")[0].get("href"))
    assert texts(titled, ".teaser-title") == ["Efficient attention and long context"]
    assert "Week 46 · 9–15 Nov 2026" in texts(titled, ".meta")[0]
    assert all(t.cssselect(".teaser-papers li a[href*='/papers/']") for t in teasers)
    feeds = [a.get("href") for a in tree.cssselect(".subscribe .feed-list a")]
    assert feeds == [f"{SUBPATH}feed.xml", f"{SUBPATH}rss.xml", f"{SUBPATH}feed.json", f"{SUBPATH}papers/feed.xml"]
    assert not tree.cssselect(".subscribe form"), "no email form without subscribe in site.yaml"


def test_email_form_posts_to_subscribe_url(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(SITES / "basic", site)
    yaml = (site / "site.yaml").read_text("utf-8")
    (site / "site.yaml").write_text(
        yaml + "subscribe:\n  url: https://lists.example.org/join\n  label: Join the list\n", "utf-8"
    )
    build(site, tmp_path / "out", when="1764417600")
    tree = lxml.html.fromstring((tmp_path / "out" / "index.html").read_text("utf-8"))
    form = tree.cssselect(".subscribe form")[0]
    assert form.get("action") == "https://lists.example.org/join" and form.get("method") == "post"
    email = form.cssselect("input[type=email]")[0]
    assert email.get("name") == "email" and email.get("required") is not None
    assert tree.cssselect(f"label[for={email.get('id')}]")
    assert texts(form, "button") == ["Join the list"]


def test_archive_is_grouped_by_year_and_month(example_site: Site) -> None:
    tree = doc(example_site, "issues/index.html")
    assert texts(tree, ".archive-year > h2") == ["2026"]
    # the year is there for screen readers, so that each month's region has its own name
    assert texts(tree, ".archive-month h3") == ["November 2026", "October 2026"]
    assert texts(tree, ".archive-month h3 .visually-hidden") == ["2026", "2026"]
    november = tree.cssselect(".archive-month")[0]
    assert [a.get("href") for a in november.cssselect(".teaser-title a")] == [
        f"{SUBPATH}issues/2026-W{n}/" for n in (48, 47, 46, 45)]
    latest = november.cssselect(".teaser")[0]  # its first three papers, in the issue's order
    home = doc(example_site, "index.html")
    assert texts(latest, ".teaser-papers li:not(.teaser-more) a") == texts(home, ".cards .card-title a")[:3]
    assert texts(latest, ".teaser-more") == ["+ 5 more in Alignment, reasoning and agents"]
    assert not tree.cssselect(".year-bar"), "one year: no year bar"


def test_tag_index_counts_and_paginated_tag_pages(example_site: Site) -> None:
    tree = doc(example_site, "tags/index.html")
    entry = next(li for li in tree.cssselect(".tag-index li") if "Language Models" in li.text_content())
    assert entry.cssselect(".count")[0].text_content().startswith("20")
    first = doc(example_site, "tags/language-models/index.html")
    assert len(first.cssselect(".rows > .row")) == 20  # per_page: 20
    assert not first.cssselect('.pager'), "20 papers fit one page"
    feed = first.cssselect('link[rel=alternate][href$="/tags/language-models/feed.xml"]')
    assert feed and feed[0].get("type") == "application/atom+xml"


def test_tag_pages_list_a_paper_a_line(example_site: Site) -> None:
    """A tag page is a list: what tells papers apart, and a link to each paper's page; the
    cards (with the note) are on issue pages, everything else on paper pages."""
    gpt3 = card(doc(example_site, "tags/language-models/index.html"), "2005.14165")
    assert gpt3.tag == "li" and gpt3.getparent().tag == "ol"
    assert gpt3.cssselect("h2 a")[0].get("href") == f"{SUBPATH}papers/2005.14165/"
    assert re.fullmatch(r"Tom B. Brown, Benjamin Mann \+ 29 more \d+ \w+ 2026 \d+ upvotes", texts(gpt3, ".meta")[0])
    assert gpt3.cssselect(".meta time")[0].get("datetime").startswith("2026-")
    assert texts(gpt3, ".upvotes")[0].endswith("upvotes")
    assert texts(gpt3, ".blurb") == texts(doc(example_site, "papers/2005.14165/index.html"), ".tldr-lead")
    assert not gpt3.cssselect("math, .links, .tags, .abstract, .note"), "a list repeats neither card nor page"


def test_tag_pagination_links(tmp_path: Path) -> None:
    build(SITES / "basic", tmp_path / "out", when="1764417600")
    pages = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out" / "tags").rglob("index.html"))
    paged = [p for p in pages if "/page/" in p]
    assert paged, "the basic site (per_page: 2) has a paginated tag"
    tree = lxml.html.fromstring((tmp_path / "out" / paged[0]).read_text("utf-8"))
    assert tree.cssselect('.pager a[rel="prev"]') and "page 2 of" in tree.cssselect(".eyebrow")[0].text_content()


def test_paper_page(example_site: Site) -> None:
    tree = doc(example_site, "papers/2005.14165/index.html")
    assert texts(tree, "h1") == ["Language Models are Few-Shot Learners"]
    authors = texts(tree, ".authors-full")[0]
    assert (
        authors.startswith("Tom B. Brown, Benjamin Mann") and authors.endswith("Dario Amodei") and "more" not in authors
    )
    facts = dict(zip(texts(tree, ".facts dt"), texts(tree, ".facts dd")))
    assert facts["Published"] == "28 May 2020" and "Added" in facts and "Featured" not in facts
    assert texts(tree, "#abstract-heading") == ["Abstract"] and texts(tree, "#note-heading") == ["Curator’s note"]
    headings = texts(tree, ".paper h2")
    assert headings.index("Curator’s note") < headings.index("Abstract"), "curator first"
    bib = texts(tree, "pre.bibtex")[0]
    assert bib.startswith("@misc{") and "eprint = {2005.14165}" in bib
    assert tree.cssselect("button[data-copy]")[0].get("hidden") is not None, "copy button appears only with JS"
    featured_in = tree.cssselect(".paper-side a")[0].get("href")
    assert re.fullmatch(re.escape(SUBPATH) + r"issues/2026-W\d\d/", featured_in)
    assert tree.cssselect(".related-list li a")


def test_paper_head_meta_without_json_ld(example_site: Site) -> None:
    tree = doc(example_site, "papers/1312.6114/index.html")
    head = {m.get("property") or m.get("name"): m.get("content") for m in tree.cssselect("head meta[content]")}
    canonical = tree.cssselect('link[rel="canonical"]')[0].get("href")
    assert canonical == example_site.url + "papers/1312.6114/"
    assert head["og:url"] == canonical and head["og:type"] == "article"
    assert head["og:title"] == "Auto-Encoding Variational Bayes"
    assert head["description"] == head["og:description"] and head["description"].startswith(
        "Reparameterise the latent sample"
    )
    assert head["twitter:card"] == "summary"
    # what JSON-LD said (type, title, authors, date, arXiv address, description) the citation_*
    # and Open Graph tags say already, so paper pages carry none
    assert not tree.cssselect('script[type="application/ld+json"]')
    assert head["citation_title"] == head["og:title"] and head["citation_arxiv_id"] == "1312.6114"
    assert [m.get("content") for m in tree.cssselect('meta[name="citation_author"]')] == ["Kingma, Diederik P.",
                                                                                          "Welling, Max"]
    assert head["citation_publication_date"] == "2013/12/20" and head["DC.type"] == "preprint"


def test_description_falls_back_to_the_abstract(example_site: Site) -> None:
    from digestgen.render import paper_summary, plain_text, shorten

    assert shorten("one two three", 9) == "one two…"
    assert plain_text('<p>a <math><semantics><mi>x</mi><annotation encoding="application/x-tex">x^2</annotation>'
                      "</semantics></math> &amp; b</p>") == "a $x^2$ & b"
    tree = doc(example_site, "index.html")
    assert tree.cssselect('meta[name="description"]')[0].get("content").startswith("A weekly, hand-curated digest")
    from dataclasses import replace

    from digestgen.content import Paper, Texts

    paper = Paper(
        id="x",
        source="x.md",
        title="T",
        date=__import__("datetime").date(2026, 1, 1),
        authors=(),
        arxiv=None,
        doi=None,
        published=None,
        texts=Texts("a", "<p>" + "word " * 80 + "</p>", None, ""),
        tldr=None,
        tags=(),
        upvotes=None,
        links=(),
        image=None,
        image_alt=None,
        featured=False,
        rank=None,
        issue=None,
        submitted_by=None,
        draft=False,
    )
    assert len(paper_summary(paper)) <= 200 and paper_summary(paper).endswith("…")
    assert paper_summary(replace(paper, texts=paper.texts.replaced(abstract_html=""))) == "T"


@pytest.mark.parametrize("path", ["index.html", "issues/2026-W47/index.html", "papers/1706.03762/index.html",
                                  "tags/transformers/index.html", "search/index.html", "about/index.html", "404.html"])
def test_head_of_every_kind_of_page(example_site: Site, path: str) -> None:
    tree = doc(example_site, path)
    assert tree.get("lang") == "en"
    assert tree.cssselect("head title")[0].text_content().strip()
    assert tree.cssselect('meta[name="viewport"]') and tree.cssselect('meta[name="description"]')[0].get("content")
    assert tree.cssselect('link[rel="canonical"]')[0].get("href").startswith(example_site.url)
    for prop in ("og:title", "og:description", "og:url", "og:site_name", "og:type"):
        assert tree.cssselect(f'meta[property="{prop}"]')[0].get("content"), prop
    assert tree.cssselect('meta[name="twitter:card"]')
    icon = tree.cssselect('link[rel="icon"]')[0].get("href")
    assert icon == f"{SUBPATH}assets/favicon.svg" and (example_site.out / "assets" / "favicon.svg").is_file()
    feeds = {link.get("href"): link.get("type") for link in tree.cssselect('link[rel="alternate"]')}
    assert feeds[f"{SUBPATH}feed.xml"] == "application/atom+xml"
    assert feeds[f"{SUBPATH}rss.xml"] == "application/rss+xml"
    assert feeds[f"{SUBPATH}feed.json"] == "application/feed+json"
    assert feeds[f"{SUBPATH}papers/feed.xml"] == "application/atom+xml"
    assert tree.cssselect("a.skip-link")[0].get("href") == "#main" and tree.cssselect("main#main")


def test_no_request_leaves_the_site(example_site: Site) -> None:
    """Stylesheets, scripts, icons and images all come from the site itself."""
    for path in example_site.html_files():
        tree = lxml.html.fromstring(path.read_text("utf-8"))
        for el in tree.cssselect(
            "link[rel=stylesheet], link[rel=icon], script[src], img, iframe, source, video, audio"
        ):
            ref = el.get("href") or el.get("src") or ""
            assert ref.startswith(SUBPATH), f"{path.name}: {ref} is not on the site"
        assert "@import" not in path.read_text("utf-8")
    css = (example_site.out / "assets" / "style.css").read_text("utf-8")
    assert not re.search(r"url\((?!\"?data:)", css) and "@import" not in css


def test_pages_work_without_javascript(example_site: Site) -> None:
    """Nothing a reader needs is created by a script: the only inline script sets the theme."""
    for path in example_site.html_files():
        tree = lxml.html.fromstring(path.read_text("utf-8"))
        inline = [s.text or "" for s in tree.cssselect("script:not([src])") if s.get("type") != "application/ld+json"]
        assert len(inline) == 1 and "localStorage" in inline[0], path
        assert all(b.get("hidden") is not None for b in tree.cssselect("button[data-theme-toggle], button[data-copy]"))
    search = doc(example_site, "search/index.html")
    assert search.cssselect("noscript a")


def test_math_is_mathml(example_site: Site) -> None:
    tree = doc(example_site, "papers/1312.6114/index.html")
    maths = tree.cssselect(".prose math")
    assert maths and all(m.get("display") in (None, "inline", "block") for m in maths)
    assert tree.cssselect('.prose math annotation[encoding="application/x-tex"]')


def test_search_index_covers_paper_pages_only(example_site: Site) -> None:
    bundle = example_site.out / "pagefind"
    entry = json.loads((bundle / "pagefind-entry.json").read_text("utf-8"))
    papers = sorted((example_site.out / "papers").glob("*/index.html"))
    assert entry["languages"]["en"]["page_count"] == len(papers) == 38
    assert (bundle / "pagefind.js").is_file() and list((bundle / "fragment").iterdir())
    assert not list(bundle.glob("pagefind-ui*")), "the theme brings its own search page"
    paper = doc(example_site, "papers/1706.03762/index.html")
    body = paper.cssselect("[data-pagefind-body]")
    assert len(body) == 1 and body[0].cssselect("h1[data-pagefind-meta=title]")
    assert body[0].cssselect("[data-pagefind-filter^='tag:']")
    assert {el.get("data-pagefind-sort").split(":")[0] for el in body[0].cssselect("[data-pagefind-sort]")} == {
        "date",
        "upvotes",
    }
    assert body[0].cssselect(".cite[data-pagefind-ignore]"), "BibTeX is not indexed"
    for path in ("index.html", "issues/2026-W47/index.html", "tags/transformers/index.html"):
        assert "data-pagefind-body" not in example_site.page(path)
    search = doc(example_site, "search/index.html").cssselect("#search-form")[0]
    assert search.get("data-bundle") == f"{SUBPATH}pagefind/pagefind.js" and search.get("data-base") == SUBPATH


def test_without_search_no_page_carries_pagefinds_attributes(basic_build: Path) -> None:
    pages = sorted(basic_build.rglob("*.html"))
    assert len(pages) > 10 and (basic_build / "papers/1706.03762/index.html") in pages
    assert [p for p in pages if "data-pagefind" in p.read_text("utf-8")] == []
    assert not (basic_build / "pagefind").exists()


def test_search_index_is_deterministic_except_filter_order(tmp_path: Path) -> None:
    """Everything but pagefind/ is byte-identical; in pagefind/ only the filter file and the
    two files naming it by hash differ (Pagefind 1.x writes filter values in hash-map order)."""
    build(REPO, tmp_path / "a")
    build(REPO, tmp_path / "b")
    a, b = tree_digest(tmp_path / "a"), tree_digest(tmp_path / "b")
    outside = lambda tree: {k: v for k, v in tree.items() if not k.startswith("pagefind/")}
    assert outside(a) == outside(b)
    stable = lambda tree: {
        k: v
        for k, v in tree.items()
        if k.startswith(("pagefind/fragment/", "pagefind/index/")) or k.endswith((".js", "wasm.en.pagefind"))
    }
    assert stable(a) == stable(b) and stable(a)


def test_search_false_builds_no_index(tmp_path: Path) -> None:
    build(SITES / "basic", tmp_path / "out", when="1764417600")  # basic has search: false
    assert not (tmp_path / "out" / "pagefind").exists() and not (tmp_path / "out" / "search").exists()
    home = (tmp_path / "out" / "index.html").read_text("utf-8")
    assert "header-search" not in home and "/search/" not in home


def test_forty_paper_issue_fits_the_page_budget(tmp_path: Path) -> None:
    from digestgen.page_weight import PAGE_BUDGET, page_weights

    site = forty_paper_site(tmp_path / "site")
    build(site, tmp_path / "out")
    issues = sorted((tmp_path / "out" / "issues").glob("*/index.html"))
    assert len(issues) == 1
    page = issues[0].read_bytes()
    assert page.count(b'<article class="card') == 40
    weight = page_weights(tmp_path / "out", "/")[issues[0].relative_to(tmp_path / "out").as_posix()]
    by_hand = sum(len(gzip.compress((tmp_path / "out" / f).read_bytes(), 1))
                  for f in ("assets/style.css", "assets/site.js")) + len(gzip.compress(page, 1))
    assert abs(weight - by_hand) < 100
    assert weight <= PAGE_BUDGET, f"{weight} bytes"


def test_build_warns_about_pages_over_budget(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from digestgen import page_weight

    monkeypatch.setattr(page_weight, "PAGE_BUDGET", 4 * 1024)
    build(SITES / "basic", tmp_path / "out", "--base-url", "https://example.org/x/", when="1764417600")
    err = capsys.readouterr().err
    assert re.search(
        r"out/index\.html:1:1: warning: size: \d+ KB over the wire .* exceeds the 4 KB page budget", err
    ), err
    assert "out/papers/" not in err


def test_override_one_block_of_the_card(tmp_path: Path) -> None:
    """A site's templates/partials/card.html replaces only the links block; the theme stays."""
    build(SITES / "override", tmp_path / "out", when="1764417600")
    home = lxml.html.fromstring((tmp_path / "out" / "index.html").read_text("utf-8"))
    cards = home.cssselect(".card")
    assert cards
    for c in cards:
        assert c.cssselect(".custom-links") and not c.cssselect("ul.links")
        assert c.cssselect(".card-title a") and c.cssselect(".dates") and c.cssselect(".tags a")
    assert texts(cards[0], ".custom-links a")[0] == "Read on arXiv"
    assert home.cssselect("header.site-header") and home.cssselect('link[href="/assets/style.css"]')
    paper = (tmp_path / "out" / "papers" / "1706.03762" / "index.html").read_text("utf-8")
    assert "custom-links" not in paper and 'class="links links-large"' in paper


def test_site_without_papers_has_a_quiet_search_page(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "content" / "papers").mkdir(parents=True)
    (site / "site.yaml").write_text("title: Empty\nbase_url: https://example.org/sub/\n", "utf-8")
    build(site, tmp_path / "out")
    search = (tmp_path / "out" / "search" / "index.html").read_text("utf-8")
    assert "nothing to search yet" in search and "search.js" not in search
    assert not (tmp_path / "out" / "pagefind").exists()
    assert "No papers yet" in (tmp_path / "out" / "index.html").read_text("utf-8")


def test_failing_indexer_stops_the_build_and_keeps_the_old_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from digestgen import search
    from digestgen.cli import main

    site = tmp_path / "site"
    shutil.copytree(SITES / "override", site)
    (site / "site.yaml").write_text(
        (site / "site.yaml").read_text("utf-8").replace("search: false", "search: true"), "utf-8"
    )
    build(site, tmp_path / "out")
    before = (tmp_path / "out" / "pagefind" / "pagefind-entry.json").read_bytes()
    paper = site / "content" / "papers" / "1706.03762.md"
    paper.write_text(paper.read_text("utf-8").replace("Attention Is All", "Attention Is Everything"), "utf-8")
    monkeypatch.setattr(
        search, "command", lambda folder, language, bundle=None: [sys.executable, "-c", "import sys; sys.exit(3)"]
    )
    from helpers_theme import EXAMPLE_EPOCH, epoch

    with epoch(EXAMPLE_EPOCH):
        assert main(["build", "--site", str(site), "--output", str(tmp_path / "out")]) == 1
    assert "search index: Pagefind failed" in capsys.readouterr().err
    assert (tmp_path / "out" / "pagefind" / "pagefind-entry.json").read_bytes() == before
    assert "Attention Is All" in (tmp_path / "out" / "papers" / "1706.03762" / "index.html").read_text("utf-8")


def test_a_render_leaves_no_garbage_and_renders_as_jinja_does() -> None:
    """Pages are rendered with the cyclic collector off (a build holds the whole site): a
    template's macros, call blocks, imports and blocks must leave no cycle behind, and the
    page must be what Jinja's own render makes; an error still names the template's line.
    (Macros imported `with context` keep a cycle of their own module's context: rendered
    right, but left for the collector.)"""
    import gc
    import traceback
    from collections.abc import Callable

    import jinja2

    from digestgen.render import _render, theme_error

    templates = {
        "base.html": "<main>{% block body %}base{% endblock %}</main>{% block tail %}t{% endblock %}",
        "macros.html": "{% macro shout(x) %}{{ x | upper }}{{ caller() if caller else '' }}{% endmacro %}",
        "page.html": (
            "{% extends 'base.html' %}{% import 'macros.html' as m %}"
            "{% macro pf(kind) %} data-{{ kind }}{% endmacro %}"
            "{% block body %}<p{{ pf('x') }}>{% call m.shout(title) %}!{% endcall %}</p>"
            "{% set ns = namespace(n=0) %}{% for p in papers %}{% set ns.n = ns.n + 1 %}"
            "{{ loop.index }}{{ p }}{% endfor %}{{ ns.n }}{% endblock %}"
            "{% block tail %}{{ super() }}{{ self.body() | length }}{% endblock %}"
        ),
        "broken.html": "{% macro bad() %}\n{{ 1 / 0 }}{% endmacro %}\n{{ bad() }}",
        "with.html": "{% import 'macros.html' as m with context %}{{ m.shout(title) }}",
    }
    env = jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True)
    values = {"title": "a <b>", "papers": ["x", "y"]}
    expected = env.get_template("page.html").render(values)
    was = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        for _ in range(3):
            assert _render(env.get_template("page.html"), values) == expected
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()
    with_context = env.get_template("with.html")
    assert _render(with_context, values) == with_context.render(values) == "A &lt;B&gt;"
    assert expected.startswith("<main><p data-x>A &lt;B&gt;!</p>1x2y2</main>t")

    def frames(render: Callable[[], object]) -> list[tuple[str, int | None]]:
        with pytest.raises(ZeroDivisionError) as raised:
            render()
        return [(f.filename, f.lineno) for f in traceback.extract_tb(raised.value.__traceback__)
                if not f.filename.endswith(".py")]

    broken = env.get_template("broken.html")
    assert frames(lambda: _render(broken, {})) == frames(lambda: broken.render({})) == [("<template>", 3),
                                                                                     ("<template>", 2)]
    with pytest.raises(jinja2.TemplateError) as undefined:
        _render(env.from_string("{{ missing.attr }}"), {})
    assert "missing" in str(theme_error(undefined.value, "x.html"))
