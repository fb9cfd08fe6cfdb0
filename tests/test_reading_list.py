"""The reading list in the real browser: stars on cards and paper pages, /reading-list/ with
read / unread, removal, BibTeX and RIS exports, a link that opens the list in another browser,
the page offline, and nothing of it with JavaScript off.

The example digest is served under /digest/ (helpers_theme), so every test here also checks
that the list works under a base_url subpath.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers_theme import ARTIFACTS, Site, build, serve
from playwright.sync_api import Browser, BrowserContext, Page, expect
from test_browser import Console, browser, console, open_context  # noqa: F401 (fixtures)

ISSUE = "issues/2026-W48/"


def star_cards(page: Page, count: int) -> list[tuple[str, str]]:
    """Star the first count cards of the page (the second with the keyboard); their (id, title)."""
    starred = []
    for n in range(count):
        card = page.locator(".cards .card").nth(n)
        star = card.locator("button[data-star]")
        expect(star).to_be_visible()
        expect(star).to_have_attribute("aria-pressed", "false")
        title = card.locator(".card-title a").inner_text()
        expect(card.get_by_role("button", name=f"{SAVE} {title}", exact=True)).to_have_count(1)
        if n == 1:
            star.focus()
            page.keyboard.press("Space")
        else:
            star.click()
        expect(star).to_have_attribute("aria-pressed", "true")
        starred.append((star.get_attribute("data-star") or "", title))
    return starred


SAVE = "Save to reading list:"  # what a star's accessible name starts with, then its paper's title


def ax_buttons(page: Page) -> list[tuple[str, str | None]]:
    """The buttons in Chromium's accessibility tree of page: (name, pressed state or None), in order."""
    session = page.context.new_cdp_session(page)
    nodes = session.send("Accessibility.getFullAXTree")["nodes"]
    session.detach()
    return [(node["name"]["value"], next((p["value"]["value"] for p in node.get("properties", [])
                                          if p["name"] == "pressed"), None))
            for node in nodes if not node.get("ignored") and node.get("role", {}).get("value") == "button"]


def stars(page: Page) -> list[tuple[str, str | None]]:
    """The stars of page as Chromium names them, with their pressed state."""
    return [(name, pressed) for name, pressed in ax_buttons(page) if name.startswith(SAVE)]


def open_list(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#rl[data-ready]")


def titles(page: Page, part: str) -> list[str]:
    return page.locator(f"#rl-{part} .card-title").all_inner_texts()


@pytest.fixture
def context(browser: Browser, console: Console) -> Iterator[BrowserContext]:  # noqa: F811
    opened = open_context(browser, console)
    yield opened
    opened.close()


def test_star_then_read_and_remove_on_the_reading_list(context: BrowserContext, example_site: Site) -> None:
    page = context.new_page()
    page.goto(example_site.url + ISSUE)
    link = page.locator("[data-reading-list-link] a")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", "/digest/reading-list/")
    starred = star_cards(page, 3)
    expect(link).to_have_text(re.compile(r"Reading list\s*3"))
    page.locator(".cards .card").nth(2).locator("button[data-star]").click()  # unstar, star again
    expect(link).to_have_text(re.compile(r"Reading list\s*2"))
    page.locator(".cards .card").nth(2).locator("button[data-star]").click()

    link.click()
    page.wait_for_selector("#rl[data-ready]")
    assert page.url == example_site.url + "reading-list/"
    newest_first = [title for _id, title in reversed(starred)]
    assert titles(page, "unread") == newest_first
    first = page.locator("#rl-unread .card").first
    assert first.locator(".card-title a").get_attribute("href") == f"/digest/papers/{starred[2][0]}/"
    expect(first.locator(".tags a").first).to_have_attribute("href", re.compile(r"^/digest/tags/[a-z-]+/$"))
    expect(first.locator(".authors")).not_to_be_empty()

    # read: the card moves to "Read", focus stays on its button, and it is remembered
    first.get_by_role("button", name=f"Mark as read: {starred[2][1]}").click()
    expect(page.locator("#rl-status")).to_have_text(f"Marked “{starred[2][1]}” as read.")
    assert titles(page, "read") == [starred[2][1]]
    assert titles(page, "unread") == newest_first[1:]
    focused = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert focused == f"Mark as unread: {starred[2][1]}"
    page.reload()
    page.wait_for_selector("#rl[data-ready]")
    assert titles(page, "read") == [starred[2][1]]

    # remove, undo, remove again: the star of its paper page is off
    removed = starred[0]
    page.get_by_role("button", name=f"Remove from the reading list: {removed[1]}").click()
    expect(page.locator("#rl-status")).to_have_text(f"Removed “{removed[1]}”.")
    assert removed[1] not in titles(page, "unread")
    page.locator("#rl-undo").click()
    assert titles(page, "unread") == newest_first[1:]
    page.get_by_role("button", name=f"Remove from the reading list: {removed[1]}").click()
    assert titles(page, "unread") == [starred[1][1]]
    page.goto(example_site.url + f"papers/{removed[0]}/")
    expect(page.locator(".paper-title button[data-star]")).to_have_attribute("aria-pressed", "false")
    page.goto(example_site.url + f"papers/{starred[1][0]}/")
    star = page.locator(".paper-title button[data-star]")
    expect(star).to_have_attribute("aria-pressed", "true")
    star.click()  # unstarred on its own page: gone from the list
    open_list(page, example_site.url + "reading-list/")
    assert titles(page, "unread") == [] and titles(page, "read") == [starred[2][1]]
    page.get_by_role("button", name=re.compile("^Remove")).click()
    expect(page.locator("#rl-empty")).to_be_visible()
    expect(page.locator("#rl-tools")).to_be_hidden()


# The title each star of the page sits beside, read from the card, row or paper page it is on.
STAR_TITLES = """() => [...document.querySelectorAll('button[data-star]')].map(star =>
  star.closest('.card, .row, .paper').querySelector('.card-title a, .row-title a, h1').textContent)"""


@pytest.mark.parametrize("path", ["", ISSUE, "tags/transformers/", "papers/1706.03762/"])
def test_a_star_is_named_after_its_paper(context: BrowserContext, example_site: Site, path: str) -> None:
    """Chromium names each star "Save to reading list: <title>" (the page's one label and the
    paper's title, not a copy of it in the button) and says whether it is pressed."""
    page = context.new_page()
    page.goto(example_site.url + path)
    first = page.locator("button[data-star]").first
    expect(first).to_be_visible()
    titles_here = page.evaluate(STAR_TITLES)
    assert titles_here and all(titles_here)
    assert stars(page) == [(f"{SAVE} {title}", "false") for title in titles_here]
    first.click()
    expect(first).to_have_attribute("aria-pressed", "true")
    assert stars(page)[0] == (f"{SAVE} {titles_here[0]}", "true")
    assert all(pressed == "false" for _name, pressed in stars(page)[1:])


def test_the_reading_lists_cards_name_their_buttons_after_the_paper(context: BrowserContext,
                                                                    example_site: Site) -> None:
    page = context.new_page()
    remember(page, example_site, THREE)
    open_list(page, example_site.url + "reading-list/")
    listed = titles(page, "unread")
    assert len(listed) == 3 and not stars(page)
    names = [name for name, _pressed in ax_buttons(page)]
    for title in listed:
        assert f"Mark as read: {title}" in names and f"Remove from the reading list: {title}" in names


# Each card's or row's star: (its middle, its meta line's top and bottom, its left, the right
# edge of the meta's text).
STAR_PLACES = """items => items.map(item => {
  const meta = item.querySelector('.card-meta, .meta');
  const star = meta.querySelector(':scope > button[data-star]').getBoundingClientRect();
  const text = [...meta.querySelectorAll('.badge, .authors, .dates > span, time, .upvotes')]
    .map(e => e.getBoundingClientRect().right);
  return [star.top + star.height / 2, meta.getBoundingClientRect().top, meta.getBoundingClientRect().bottom,
          star.left, Math.max(...text)];
})"""


@pytest.mark.parametrize("width", [390, 1280])
def test_a_star_takes_no_line_of_its_own(browser: Browser, console: Console, example_site: Site,  # noqa: F811
                                               width: int) -> None:
    context = open_context(browser, console, viewport={"width": width, "height": 900})
    page = context.new_page()
    for path in (ISSUE, "", "authors/tri-dao/", "tags/transformers/"):  # cards, then rows
        page.goto(example_site.url + path)
        expect(page.locator("button[data-star]").first).to_be_visible()
        items = page.locator(".cards .card, .rows .row")
        assert items.count() > 1
        for middle, top, bottom, left, text_right in items.evaluate_all(STAR_PLACES):
            assert top <= middle <= bottom and text_right <= left, (path, middle, top, bottom, left, text_right)
    context.close()


def download(page: Page, kind: str) -> str:
    with page.expect_download() as info:
        page.locator(f'button[data-export="{kind}"]').click()
    assert info.value.suggested_filename == f"reading-list.{kind}"
    return Path(info.value.path()).read_text("utf-8")


def test_exports_are_bibtex_and_ris_of_the_listed_papers(context: BrowserContext, example_site: Site) -> None:
    import bibtexparser
    import rispy

    page = context.new_page()
    page.goto(example_site.url + ISSUE)
    starred = star_cards(page, 3)
    open_list(page, example_site.url + "reading-list/")

    bib = bibtexparser.parse_string(download(page, "bib"))
    assert not bib.failed_blocks
    own = [bibtexparser.parse_string(example_site.page(f"papers/{pid}/{pid}.bib")).entries[0] for pid, _t in starred]
    assert [e.key for e in bib.entries] == [e.key for e in reversed(own)]
    assert [e["title"].strip("{}") for e in bib.entries] == [t for _id, t in reversed(starred)]
    expect(page.locator("#rl-status")).to_have_text("Exported 3 papers as BibTeX (reading-list.bib).")

    records = rispy.loads(download(page, "ris"))
    assert [r["title"] for r in records] == [t for _id, t in reversed(starred)]
    assert all(r["authors"] for r in records)


def test_a_shared_link_opens_the_list_in_another_browser(browser: Browser, console: Console,  # noqa: F811
                                                         example_site: Site) -> None:
    mine = open_context(browser, console)
    page = mine.new_page()
    page.goto(example_site.url + ISSUE)
    starred = star_cards(page, 2)
    open_list(page, example_site.url + "reading-list/")
    link = page.locator("#rl-share-url").input_value()
    assert link == example_site.url + "reading-list/#ids=" + ",".join(pid for pid, _t in reversed(starred))
    mine.close()

    theirs = open_context(browser, console)  # a fresh browser: its own storage
    page = theirs.new_page()
    page.goto(example_site.url + "issues/2026-W47/")
    own = star_cards(page, 1)
    open_list(page, link + ",no-such-paper,Bad%20id")
    panel = page.locator("#rl-import")
    expect(panel).to_be_visible()
    expect(panel).to_be_focused()
    expect(page.locator("#rl-import-summary")).to_have_text(
        "This link holds 2 papers that are not on your list yet. 1 paper of the link is not on this site and left out.")
    assert page.locator("#rl-import-list a").all_inner_texts() == [t for _id, t in reversed(starred)]
    assert titles(page, "unread") == [own[0][1]]  # nothing changes before the reader says so
    page.locator("#rl-import-add").click()
    expect(panel).to_be_hidden()
    assert titles(page, "unread") == [t for _id, t in reversed(starred)] + [own[0][1]]
    assert page.url == example_site.url + "reading-list/"  # the link is used up
    expect(page.locator("#rl-status")).to_have_text("Added 2 papers to your reading list.")

    open_list(page, link)  # the same link again: nothing new to add
    expect(page.locator("#rl-import-summary")).to_have_text("The papers of this link are on your list already.")
    expect(page.locator("#rl-import-add")).to_be_hidden()
    page.locator("#rl-import-dismiss").click()
    expect(panel).to_be_hidden()
    assert len(titles(page, "unread")) == 3
    theirs.close()


def assert_absent(page: Page) -> None:
    """No star and no "Reading list" link, and no blank room kept for them: the header's links
    sit one gap apart, and the cards' and rows' meta lines end with their last text."""
    expect(page.locator("[data-reading-list-link]")).to_be_hidden()
    taking_room = "els => els.filter(e => e.getClientRects().length).length"
    assert page.locator("[data-reading-list-link], button[data-star]").evaluate_all(taking_room) == 0
    edges = page.locator(".site-nav li").evaluate_all(
        "items => items.filter(i => getComputedStyle(i).visibility === 'visible' && i.getClientRects().length)"
        ".map(i => i.getBoundingClientRect()).map(r => [r.left, r.right])")
    gaps = {round(b[0] - a[1]) for a, b in itertools.pairwise(edges)}
    assert len(gaps) == 1, edges  # (the nav is one row at this width)


def test_with_javascript_off_no_star_and_no_reading_list_link(browser: Browser, console: Console,  # noqa: F811
                                                              example_site: Site) -> None:
    context = open_context(browser, console, java_script_enabled=False)
    page = context.new_page()
    for path in ("", ISSUE, "tags/transformers/", "papers/2305.18290/"):
        page.goto(example_site.url + path)
        assert page.locator('[id^="t-"]').count() > 0  # the titles site.js would give a star
        expect(page.locator("button[data-star]")).to_have_count(0)
        assert_absent(page)
    page.goto(example_site.url + "reading-list/")
    expect(page.locator("#rl")).to_be_hidden()
    # (Chromium's script switch does not render <noscript>; its text is checked in the file)
    assert (
        "needs JavaScript"
        in example_site.page("reading-list/index.html").split("<noscript>")[1].split("</noscript>")[0]
    )
    context.close()


def test_no_star_when_the_browser_refuses_storage(browser: Browser, console: Console, example_site: Site) -> None:  # noqa: F811
    context = open_context(browser, console)
    context.add_init_script(
        "Object.defineProperty(window, 'localStorage', {get() { throw new DOMException('no', 'SecurityError'); }})"
    )
    page = context.new_page()
    page.goto(example_site.url + ISSUE)
    expect(page.locator("button[data-star]:visible")).to_have_count(0)
    assert_absent(page)
    page.goto(example_site.url + "reading-list/")
    expect(page.locator(".notice")).to_contain_text("cannot keep a reading list")
    context.close()


def remember(page: Page, site: Site, ids: list[str]) -> None:
    """Put papers on the reading list of page's browser, as the stars do."""
    page.goto(site.url)
    key = page.evaluate("window.readingList.key")
    page.evaluate(
        "([key, ids]) => localStorage.setItem(key, JSON.stringify({version: 1, papers: ids.map(id => ({id}))}))",
        [key, ids],
    )


THREE = ["2305.18290", "2201.11903", "1706.03762"]


def axe_on_lists(page: Page, site: Site) -> list[str]:
    """axe's reports on the filled reading list, its import panel, and pages with stars pressed."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    for path in ("reading-list/", "papers/2305.18290/", "reading-list/#ids=2305.18290,1512.03385", ISSUE):
        page.goto(site.url + path)
        if path.startswith("reading-list/"):
            page.wait_for_selector("#rl[data-ready]")
        if "#ids=" in path:
            expect(page.locator("#rl-import")).to_be_visible()
        else:
            assert page.locator('button[aria-pressed="true"]:visible').count() > 0 or path == "reading-list/"
        results = axe.run(page)
        if results.violations_count:
            problems.append(f"{path}: {results.generate_report()}")
    return problems


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_and_screenshots_of_a_three_paper_list(browser: Browser, console: Console, example_site: Site,  # noqa: F811
                                                   scheme: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (390, 1280):
        context = open_context(browser, console, color_scheme=scheme, viewport={"width": width, "height": 900})
        page = context.new_page()
        remember(page, example_site, THREE)
        open_list(page, example_site.url + "reading-list/")
        page.get_by_role("button", name=re.compile("^Mark as read: Attention")).click()
        assert len(titles(page, "unread")) == 2 and len(titles(page, "read")) == 1
        shot = ARTIFACTS / f"reading-list-{width}-{scheme}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        if width == 1280:
            assert not axe_on_lists(page, example_site), f"{scheme}: axe violations"
        context.close()


HOSTILE_TITLE = "Scaling <script>window.owned = 1</script> laws <img src=x onerror=window.owned=2> &amp; more"


def hostile_site(root: Path) -> Path:
    """A digest under two folders of path, with a title made of markup and two papers whose
    BibTeX keys are the same (same first author, year and first title word)."""
    (root / "content" / "papers").mkdir(parents=True)
    (root / "site.yaml").write_text("title: Hostile\nbase_url: https://example.org/deep/sub/\ntimezone: UTC\n"
                                    "cadence: weekly\nsearch: false\n", "utf-8")
    papers = {"scaling-a": HOSTILE_TITLE, "scaling-b": "Scaling laws, once more", "other": "Unrelated work"}
    for pid, title in papers.items():
        (root / "content" / "papers" / f"{pid}.md").write_text(textwrap.dedent(f"""\
            ---
            title: {json.dumps(title)}
            date: 2025-11-18
            authors: [Ada Lovelace, Charles Babbage]
            published: 2024-03-01
            tags: [laws]
            ---
            A note.
            """), "utf-8")
    return root


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Site]]:
    root = tmp_path_factory.mktemp("hostile")
    source = hostile_site(root / "source")
    with serve(root / "served") as origin:
        build(source, root / "served" / "deep" / "sub", "--base-url", origin + "/deep/sub/", when="1764417600")
        yield root, Site(root / "served" / "deep" / "sub", origin + "/deep/sub/")


def test_titles_stay_text_and_repeated_keys_get_a_suffix(context: BrowserContext, hostile: tuple[Path, Site]) -> None:
    import bibtexparser

    _root, site = hostile
    page = context.new_page()
    remember(page, site, ["scaling-a", "scaling-b", "other"])
    open_list(page, site.url + "reading-list/")
    assert titles(page, "unread")[0] == HOSTILE_TITLE
    assert page.evaluate("window.owned") is None
    assert page.locator("#rl script, #rl img").count() == 0
    entries = bibtexparser.parse_string(download(page, "bib")).entries
    assert [e.key for e in entries] == ["lovelace2024scaling", "lovelace2024scalingb", "lovelace2024unrelated"]
    page.goto(site.url + "tags/laws/")
    assert (f"{SAVE} {HOSTILE_TITLE}", "true") in stars(page)  # on the list: remembered above


# Whether the cache holds every one of urls: asked again every 50 ms (the page stores them in the
# background, after it is shown), for at most 10 s.
KEPT = """async ([name, urls]) => {
  for (let tries = 0; tries < 200; tries++) {
    const cache = await caches.open(name);
    if ((await Promise.all(urls.map(u => cache.match(u)))).every(Boolean)) return true;
    await new Promise(done => setTimeout(done, 50));
  }
  return false;
}"""


def test_the_list_works_offline_after_one_visit(browser: Browser, console: Console, tmp_path: Path) -> None:  # noqa: F811
    """Once opened online, the page, its cards and the exports come from the service worker's
    copy when the server is gone (the server is stopped: no emulation of offline)."""
    import bibtexparser

    source = hostile_site(tmp_path / "source")
    context = open_context(browser, console)
    with serve(tmp_path / "served") as origin:
        site = Site(tmp_path / "served" / "deep" / "sub", origin + "/deep/sub/")
        build(source, site.out, "--base-url", site.url, when="1764417600")
        page = context.new_page()
        remember(page, site, ["other", "scaling-b"])
        open_list(page, site.url + "reading-list/")
        page.evaluate("navigator.serviceWorker.ready")
        cache = "digestgen-reading-list:" + site.url + "reading-list/"
        wanted = [
            site.url + "reading-list/",
            site.url + "reading-list/index.json",
            site.url + "assets/style.css",
            site.url + "assets/reading-list.js",
            site.url + "papers/other/other.bib",
            site.url + "papers/scaling-b/scaling-b.ris",
        ]
        assert page.evaluate(KEPT, [cache, wanted]), "not all kept for offline use in 10 s"
    page.reload()  # the server is gone
    page.wait_for_selector("#rl[data-ready]")
    assert titles(page, "unread") == ["Unrelated work", "Scaling laws, once more"]
    expect(page.locator("#rl-unread .card").first.locator(".authors")).to_have_text("Ada Lovelace, Charles Babbage")
    keys = [e.key for e in bibtexparser.parse_string(download(page, "bib")).entries]
    assert keys == ["lovelace2024unrelated", "lovelace2024scaling"]
    context.close()
    failed = re.compile(r"net::ERR_(FAILED|CONNECTION_REFUSED)|Failed to load resource")
    unexpected = [e for e in console.errors if not failed.search(e)]
    console.errors.clear()  # the requests that failed while the server was gone are expected
    assert unexpected == []


def test_index_is_lean(example_site: Site) -> None:
    data = example_site.page("reading-list/index.json")
    index = json.loads(data)
    papers = json.loads(example_site.page("papers.json"))["papers"]
    assert [p["id"] for p in index["papers"]] == [p["id"] for p in papers]
    assert set(index["tags"]) == {t for p in papers for t in p["tags"]}
    assert all(set(p) <= {"id", "title", "date", "authors", "more", "tags", "arxiv", "doi"} for p in index["papers"])
    packed = len(gzip.compress(data.encode("utf-8")))
    assert packed / len(papers) < 120, packed  # bytes per paper over the wire (papers.json: ~600)


def test_a_page_may_not_take_the_reading_lists_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from helpers_core import EPOCH, copy_site
    from helpers_theme import epoch

    from digestgen.cli import main

    site = copy_site("basic", tmp_path / "site")
    (site / "content" / "pages" / "reading-list.md").write_text("---\ntitle: Mine\n---\nText.\n", "utf-8")
    with epoch(EPOCH):
        assert main(["check", "--site", str(site)]) != 0
    assert (
        "content/pages/reading-list.md:1:1: slug: 'reading-list' would replace /reading-list/ of the site"
        in capsys.readouterr().err
    )
