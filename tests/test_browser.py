"""What only a browser can show: search, the theme toggle, copying BibTeX, accessibility.

Drives the system Chromium through Playwright against the example digest served from
127.0.0.1 under /digest/. Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from helpers_multiyear import EPOCH as MULTI_YEAR_EPOCH
from helpers_multiyear import write_multi_year_site
from helpers_theme import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    SUBPATH,
    Site,
    build,
    chromium_or_skip,
    serve,
)
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

PAGES = {
    "home": "",
    "issue": "issues/2026-W47/",
    "paper": "papers/2305.18290/",  # has display math
    "tag": "tags/transformers/",
    "search": "search/?q=attention",
    "authors": "authors/",
    "author": "authors/tri-dao/",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium_or_skip()
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Console:
    """Errors reported by the pages of one browser context."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("console", lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"{page.url}: {r.failure} {r.url}")
                # a request cut short by navigating to the next page is not a fault of the page
                if r.failure != "net::ERR_ABORTED" else None)


def open_context(browser: Browser, console: Console, **options: Any) -> BrowserContext:
    options.setdefault("viewport", {"width": 1280, "height": 900})
    context = browser.new_context(**options)
    context.on("page", console.watch)
    return context


@pytest.fixture
def console() -> Iterator[Console]:
    seen = Console()
    yield seen
    assert seen.errors == [], "console errors"


@pytest.fixture
def page(browser: Browser, console: Console) -> Iterator[Page]:
    context = open_context(browser, console, color_scheme="light")
    yield context.new_page()
    context.close()


def test_search_finds_a_paper_by_an_abstract_word_and_a_tag_narrows(page: Page, example_site: Site) -> None:
    page.goto(example_site.url + "search/")
    page.wait_for_selector("#search-form[data-ready]")
    page.fill("#search-q", "amortises")  # only in the VAE paper's abstract
    first = page.locator(".result h2 a").first
    expect(first).to_have_text("Auto-Encoding Variational Bayes")
    assert (
        first.get_attribute("href")
        == example_site.url.removeprefix(re.match(r"https?://[^/]+", example_site.url)[0]) + "papers/1312.6114/"
    )
    expect(page.locator(".result .excerpt mark").first).to_have_text(re.compile("amortises", re.IGNORECASE))

    page.fill("#search-q", "model")
    expect(page.locator("#search-status")).to_contain_text("for “model”")
    before = page.locator(".result").count()
    assert before > 5
    page.locator(".tag-check", has_text="Diffusion").locator("input").check()
    expect(page.locator("#search-status")).to_contain_text("tagged Diffusion")
    after = page.locator(".result").count()
    assert 0 < after < before
    for tags in page.locator(".result .tags").all_inner_texts():
        assert "Diffusion" in tags
    assert "tag=diffusion" in page.url and "q=model" in page.url

    page.select_option("#search-sort", "upvotes")
    page.wait_for_selector('#search-results[data-shown*="sort=upvotes"]')
    votes = [int(re.search(r"(\d+) upvotes?", t)[1]) for t in page.locator(".result .meta").all_inner_texts()]
    assert votes == sorted(votes, reverse=True) and len(votes) == after


def test_header_search_box_opens_results(page: Page, example_site: Site) -> None:
    page.goto(example_site.url)
    page.fill("#header-q", "flashattention")
    page.press("#header-q", "Enter")
    page.wait_for_url(re.compile(r"/digest/search/\?q=flashattention"))
    expect(page.locator(".result h2 a").first).to_contain_text("FlashAttention")


def test_theme_toggle_survives_a_reload(page: Page, example_site: Site) -> None:
    page.goto(example_site.url + "issues/")
    toggle = page.locator("button[data-theme-toggle]")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    dark_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark_bg != light_bg
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == dark_bg
    page.goto(example_site.url + "tags/")  # remembered across pages too
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")


def test_system_dark_preference_applies_without_a_choice(
    browser: Browser, console: Console, example_site: Site
) -> None:
    context = open_context(browser, console, color_scheme="dark")
    page = context.new_page()
    page.goto(example_site.url)
    assert page.evaluate("document.documentElement.dataset.theme") is None
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 22, 26)"
    expect(page.locator("button[data-theme-toggle]")).to_have_attribute("aria-pressed", "true")
    context.close()


def test_bibtex_copy_button_fills_the_clipboard(browser: Browser, console: Console, example_site: Site) -> None:
    origin = re.match(r"https?://[^/]+", example_site.url)[0]
    context = open_context(browser, console)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    page = context.new_page()
    page.goto(example_site.url + "papers/1706.03762/")
    button = page.locator("button[data-copy]")
    expect(button).to_be_visible()
    button.click()
    expect(button).to_have_text("Copied")
    expect(page.locator(".copy-status")).to_have_text("BibTeX entry copied to the clipboard.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("pre.bibtex").inner_text()
    assert copied.startswith("@misc{") and "Attention Is All You Need" in copied
    context.close()


def test_long_introduction_folds_under_its_summary(page: Page, example_site: Site) -> None:
    page.goto(example_site.url + "issues/2026-W48/")
    details = page.locator("details.intro-fold")
    body = details.locator(".intro")
    expect(body).to_be_hidden()
    details.locator("summary").click()
    expect(body).to_be_visible()


def test_pages_work_with_javascript_off(browser: Browser, console: Console, example_site: Site) -> None:
    context = open_context(browser, console, java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(example_site.url + "issues/2026-W48/")
    expect(page.locator("button[data-theme-toggle]")).to_be_hidden()
    details = page.locator("details.toc-fold")
    details.locator("summary").click()
    expect(details.locator(".toc-list")).to_be_visible()
    # (the search page's <noscript> note is checked in test_theme: Chromium's script switch
    # does not render <noscript>)
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_navigation_is_one_row_on_a_phone(browser: Browser, console: Console, example_site: Site,
                                          javascript: bool) -> None:
    """One row that scrolls (site.js brings a focused link clear of the edges); without
    JavaScript, which browsers do not do for a link partly in view, the links wrap instead."""
    context = open_context(browser, console, java_script_enabled=javascript, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(example_site.url + "submit/")  # the last link of the navigation
    links = page.locator(".site-nav li:visible")
    assert links.count() == (6 if javascript else 5)
    tops = {round(b["y"]) for b in (link.bounding_box() for link in links.all()) if b}
    assert len(tops) == 1 if javascript else 1 < len(tops) <= 2, tops
    assert page.evaluate("document.documentElement.scrollWidth") == 390  # the row scrolls, not the page
    row = box(page, ".site-nav ul")
    current = page.locator('.site-nav [aria-current="page"]')
    expect(current).to_have_text("Suggest a paper")
    shown = current.bounding_box()
    assert shown and row["x"] <= shown["x"] and shown["x"] + shown["width"] <= row["x"] + row["width"], shown
    for link in page.locator(".site-nav a:visible").all():  # every link is reachable, wholly in view
        link.focus()
        shown = link.bounding_box()
        right = row["x"] + row["width"] - (40 if javascript else 0)  # clear of the fade at the right edge
        assert shown and row["x"] <= shown["x"] and shown["x"] + shown["width"] <= right, shown
    current.click()
    assert page.url == example_site.url + "submit/"
    context.close()


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found, f"{selector} is not rendered"
    return found


def test_eight_paper_issue_shows_four_titles_and_the_whole_list(browser: Browser, console: Console,
                                                                 example_site: Site) -> None:
    context = open_context(browser, console, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(example_site.url + "issues/2026-W48/")
    assert page.locator(".cards .card").count() == 8
    titles = [b for b in (t.bounding_box() for t in page.locator(".card-title").all()) if b]
    assert sum(b["y"] >= 0 and b["y"] + b["height"] <= 800 for b in titles) >= 4
    toc = box(page, ".layout-side .toc")
    assert toc["y"] >= 0 and toc["y"] + toc["height"] <= 800, toc
    expect(page.locator("details.toc-fold")).to_be_hidden()
    # the list stays in view while the reader scrolls to the last papers
    page.locator(".cards .card").last.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 500
    toc = box(page, ".layout-side .toc")
    assert toc["y"] >= 0 and toc["y"] + toc["height"] <= 800, toc
    context.close()


@pytest.mark.parametrize("path", ["issues/2026-W48/", ""], ids=["issue", "home"])  # home: the latest issue
def test_issue_list_is_at_the_top_on_a_phone(browser: Browser, console: Console, example_site: Site,
                                             path: str) -> None:
    context = open_context(browser, console, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(example_site.url + path)
    expect(page.locator(".layout-side .toc")).to_have_count(1 if path else 0)
    expect(page.locator(".layout-side .toc")).to_be_hidden()
    fold = box(page, "details.toc-fold summary")
    assert fold["y"] + fold["height"] <= 844 and fold["y"] < box(page, ".cards .card")["y"]
    page.locator("details.toc-fold summary").click()
    link = page.locator("details.toc-fold .toc-list a").nth(4)
    target = link.get_attribute("href")
    link.click()
    assert page.url.endswith(target or "-")
    card = box(page, f'[id="{(target or "#").removeprefix("#")}"]')
    assert 0 <= card["y"] < 844
    context.close()


@pytest.mark.parametrize(("scheme", "width"), [("light", 1280), ("dark", 1280), ("light", 390)])
def test_axe_finds_no_violations(
    browser: Browser, console: Console, example_site: Site, scheme: str, width: int
) -> None:
    context = open_context(browser, console, color_scheme=scheme, viewport={"width": width, "height": 900})
    problems = axe_problems(context.new_page(), example_site.url, PAGES)
    context.close()
    assert not problems, "\n".join(problems)


def axe_problems(page: Page, base_url: str, pages: dict[str, str]) -> list[str]:
    """axe's report for each of pages (name -> path under base_url) that has violations."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    for name, path in pages.items():
        response = page.goto(base_url + path)
        assert response is not None and response.ok, f"{name}: {path} not found"
        if name == "search":
            page.wait_for_selector(".result")
        results = axe.run(page)
        if results.violations_count:
            problems.append(f"{name}: {results.generate_report()}")
    return problems


@pytest.fixture(scope="module")
def multi_year_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The three-year digest of helpers_multiyear, built with search and served under /digest/."""
    root = tmp_path_factory.mktemp("multiyear")
    source = write_multi_year_site(root / "source")
    with serve(root / "served") as origin:
        build(source, root / "served" / SUBPATH.strip("/"), "--base-url", origin + SUBPATH, when=MULTI_YEAR_EPOCH)
        yield Site(root / "served" / SUBPATH.strip("/"), origin + SUBPATH)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_on_any_page_type_of_a_multi_year_digest(
        browser: Browser, console: Console, multi_year_site: Site, scheme: str) -> None:
    issues = sorted(p.name for p in (multi_year_site.out / "issues").iterdir() if p.is_dir())
    archive = multi_year_site.page("issues/index.html")
    assert issues[0].startswith("2024-") and issues[-1].startswith("2026-") and len(issues) == 130
    assert archive.count(">November<") == archive.count(">June<") == 3  # the same month in several years
    pages = {"home": "", "issue": f"issues/{issues[-1]}/", "old issue": f"issues/{issues[0]}/", "archive": "issues/",
             "tags": "tags/", "tag": "tags/math/", "paper": "papers/2406.10000/", "search": "search/?q=bound",
             "page": "about/", "404": "404.html", "tag page 2": "tags/math/page/2/", "authors": "authors/",
             "author": "authors/kari-odegaard/", "author page 2": "authors/kari-odegaard/page/2/"}
    context = open_context(browser, console, color_scheme=scheme)
    problems = axe_problems(context.new_page(), multi_year_site.url, pages)
    context.close()
    assert not problems, "\n".join(problems)


def test_screenshots(browser: Browser, console: Console, example_site: Site) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    written = []
    for scheme in ("light", "dark"):
        for width in (390, 1280):
            context = open_context(browser, console, viewport={"width": width, "height": 900}, color_scheme=scheme)
            page = context.new_page()
            for name, path in PAGES.items():
                page.goto(example_site.url + path)
                if name == "search":
                    page.wait_for_selector(".result")
                target = ARTIFACTS / f"{name}-{width}-{scheme}.png"
                page.screenshot(path=str(target), full_page=name != "issue")
                written.append(target)
            context.close()
    assert all(p.stat().st_size > 10_000 for p in written)


def first_result(page: Page, query: str) -> str | None:
    """The link of the first result for query, once the results for it are shown."""
    page.fill("#search-q", query)
    page.press("#search-q", "Enter")
    expect(page.locator("#search-status")).to_contain_text(f"for “{query}”")
    return page.locator(".result h2 a").first.get_attribute("href")


@pytest.mark.parametrize("query", ["2305.18290", "arXiv:2305.18290v2", "https://arxiv.org/abs/2305.18290",
                                   "https://arxiv.org/pdf/2305.18290v1", " ARXIV:2305.18290 "])
def test_an_arxiv_id_finds_its_paper_first(page: Page, example_site: Site, query: str) -> None:
    page.goto(example_site.url + "search/")
    page.wait_for_selector("#search-form[data-ready]")
    assert first_result(page, query.strip()) == SUBPATH + "papers/2305.18290/"
    expect(page.locator(".result h2 a").first).to_have_text(
        "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
    )


def test_a_doi_or_a_full_name_finds_its_papers(page: Page, example_site: Site) -> None:
    page.goto(example_site.url + "search/?q=" + "https://doi.org/10.1109/cvpr.2016.90")
    page.wait_for_selector("#search-form[data-ready]")
    expect(page.locator(".result h2 a").first).to_have_attribute("href", SUBPATH + "papers/1512.03385/")
    # every paper of an author, first, for the author's full name
    papers = json.loads(example_site.page("papers.json"))["papers"]
    by_dao = {SUBPATH + f"papers/{p['id']}/" for p in papers if "Tri Dao" in p["authors"]}
    assert len(by_dao) == 3
    first_result(page, "Tri Dao")
    hrefs = [a.get_attribute("href") for a in page.locator(".result h2 a").all()]
    assert set(hrefs[: len(by_dao)]) == by_dao
    # arXiv's DOI of a paper given by its arXiv id; an id the digest does not have finds nothing
    assert first_result(page, "10.48550/arXiv.2305.18290") == SUBPATH + "papers/2305.18290/"
    page.fill("#search-q", "2501.99999")
    expect(page.locator("#search-status")).to_have_text("No papers found for “2501.99999”.")
