"""The date navigator of issue pages and the archive it jumps into, in a real browser, on a
digest that spans three calendar years (helpers_multiyear), with and without JavaScript."""

from __future__ import annotations

import pytest
from helpers_theme import Site
from playwright.sync_api import Browser, Page, expect
from test_browser import Console, browser, console, multi_year_site, open_context  # noqa: F401 (fixtures)


def issue_keys(site: Site) -> list[str]:
    """Every issue's key, oldest first (weekly keys sort by date)."""
    return sorted(p.name for p in (site.out / "issues").iterdir() if p.is_dir())


def path_of(page: Page, site: Site) -> str:
    return page.url.removeprefix(site.url)


def in_view_below_the_year_bar(page: Page, selector: str) -> None:
    """The element is on screen, not under the archive's sticky year bar."""
    box = page.locator(selector).bounding_box()
    bar = page.locator(".year-bar").bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 0
    assert box is not None and bar is not None
    assert bar["y"] + bar["height"] <= box["y"] + 1 and box["y"] + box["height"] <= height, (box, bar)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", [1280, 390])
def test_navigator_steps_through_issues_and_jumps_to_the_archive(
        browser: Browser, console: Console, multi_year_site: Site, javascript: bool, width: int) -> None:  # noqa: F811
    keys = issue_keys(multi_year_site)
    assert len(keys) == 130 and keys[0].startswith("2024-") and keys[-1].startswith("2026-")
    middle = keys.index("2025-W20")
    context = open_context(browser, console, java_script_enabled=javascript, viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(multi_year_site.url + "issues/2025-W20/")
    nav = page.get_by_role("navigation", name="Issues by date")

    nav.get_by_role("link", name="Older issue: Week 19 · 5–11 May 2025").click()
    assert path_of(page, multi_year_site) == f"issues/{keys[middle - 1]}/"
    nav.get_by_role("link", name="Newer issue:").click()
    nav.get_by_role("link", name="Newer issue:").click()
    assert path_of(page, multi_year_site) == f"issues/{keys[middle + 1]}/"

    page.goto(multi_year_site.url + f"issues/{keys[0]}/")  # the ends say so instead of linking
    expect(nav.locator(".datenav-prev")).to_have_text("Oldest issue")
    expect(nav.locator("a.datenav-prev")).to_have_count(0)
    page.goto(multi_year_site.url + f"issues/{keys[-1]}/")
    expect(nav.locator(".datenav-next")).to_have_text("Latest issue")

    jump = nav.locator("details.datenav-jump")
    expect(jump.locator("summary")).to_have_text("November 2026: jump to a year or month")
    month = jump.get_by_role("link", name="June 2024", exact=True)
    expect(month).to_be_hidden()  # folded until asked
    jump.locator("summary").click()
    expect(jump.get_by_role("link", name="November 2026", exact=True)).to_have_attribute("aria-current", "true")
    month.click()
    assert path_of(page, multi_year_site) == "issues/#month-2024-6"
    in_view_below_the_year_bar(page, "#month-2024-6")
    expect(page.locator("#month-2024-6 + ol .teaser-title a").last).to_have_text("Week 23 · 3–9 Jun 2024")

    page.go_back()
    summary = nav.locator("details.datenav-jump summary")
    if javascript:  # Escape and a click outside fold the list, as a menu's would
        summary.click()
        page.keyboard.press("Escape")
        expect(jump).not_to_have_attribute("open", "")
        expect(summary).to_be_focused()
        summary.click()
        page.locator(".site-footer .generator").click()
        expect(jump).not_to_have_attribute("open", "")
    summary.click()
    nav.get_by_role("link", name="2025", exact=True).click()
    assert path_of(page, multi_year_site) == "issues/#year-2025"
    in_view_below_the_year_bar(page, "#year-2025")

    page.get_by_role("navigation", name="Years").get_by_role("link", name="2024").click()  # the archive's own bar
    assert path_of(page, multi_year_site) == "issues/#year-2024"
    in_view_below_the_year_bar(page, "#year-2024")
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_in_the_navigator_archive_and_home(
        browser: Browser, console: Console, multi_year_site: Site, scheme: str) -> None:  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    for width in (1280, 390):
        context = open_context(browser, console, color_scheme=scheme, viewport={"width": width, "height": 800})
        page = context.new_page()
        for path in ("", "issues/", "issues/2025-W20/", "issues/2024-W23/"):
            page.goto(multi_year_site.url + path)
            if path.startswith("issues/20"):
                page.locator("details.datenav-jump summary").click()  # the list of years and months, too
            results = axe.run(page)
            if results.violations_count:
                problems.append(f"{path or 'home'} at {width}: {results.generate_report()}")
        context.close()
    assert not problems, "\n".join(problems)
