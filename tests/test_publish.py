"""When an issue is published: the site's rule (on-date, when-complete), an issue's draft and
publish_at, and that nothing of an unpublished issue reaches a public file."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import feedparser
import pytest

from digestgen.cli import main

# Monday 1 Dec 2025 09:00 UTC: week 2025-W49 started this morning with one paper
MONDAY = str(int(dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.timezone.utc).timestamp()))
PAPERS = {  # id: (date, tags)
    "p-old-a": ("2025-11-18", "[ml]"),
    "p-old-b": ("2025-11-20", "[ml]"),
    "p-last-a": ("2025-11-25", "[ml, vision]"),
    "p-last-b": ("2025-11-27", "[ml]"),
    "p-monday": ("2025-12-01", "[ml, fresh]"),
}
ISSUE_FEED_ITEMS = ("feed.xml", "rss.xml")


def make_site(root: Path, *, publish: str | None = None, timezone: str = "UTC",
              intros: dict[str, str] | None = None) -> Path:
    """A weekly digest: two papers in each of weeks 47 and 48, one on Monday of week 49."""
    root.mkdir(parents=True)
    lines = ["title: Publishing Test", "base_url: https://example.org/", f"timezone: {timezone}",
             "cadence: weekly", "search: false"]
    if publish:
        lines.append(f"publish: {publish}")
    (root / "site.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    papers = root / "content" / "papers"
    papers.mkdir(parents=True)
    for pid, (date, tags) in PAPERS.items():
        (papers / f"{pid}.md").write_text(
            f"---\ntitle: Paper {pid}\ndate: {date}\nauthors: [Ada Lovelace]\ndoi: 10.1000/{pid}\ntags: {tags}\n---\n"
            f"Why {pid} matters.\n", "utf-8")
    if intros:
        (root / "content" / "issues").mkdir()
        for key, front in intros.items():
            (root / "content" / "issues" / f"{key}.md").write_text(
                f"---\ntitle: Issue {key}\n{front}---\nIntro.\n", "utf-8"
            )
    return root


def run(args: list[str], capsys: pytest.CaptureFixture[str], when: str = MONDAY) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", when)
        code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def build_site(site: Path, capsys: pytest.CaptureFixture[str], *extra: str, when: str = MONDAY) -> tuple[Path, str]:
    out = site.parent / "public"
    code, stdout, err = run(["build", "--site", str(site), "--output", str(out), *extra], capsys, when)
    assert code == 0, err
    return out, stdout


def issue_keys_in_feeds(out: Path) -> list[list[str]]:
    """The issue keys of each issue feed (Atom, RSS, JSON Feed), as a feed reader sees them."""
    keys = []
    for name in ISSUE_FEED_ITEMS:
        parsed = feedparser.parse((out / name).read_bytes())
        assert not parsed.bozo, (name, parsed.get("bozo_exception"))
        keys.append([entry.id.rsplit(":", 1)[1] for entry in parsed.entries])
    items = json.loads((out / "feed.json").read_text("utf-8"))["items"]
    keys.append([item["id"].rsplit(":", 1)[1] for item in items])
    return keys


def paper_ids_everywhere(out: Path) -> dict[str, set[str]]:
    """Which paper ids each public file names (pages, feeds, exports, sitemap)."""
    ids = set(PAPERS)
    found: dict[str, set[str]] = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".txt", ".bib", ".opml"):
            text = path.read_text("utf-8")
            found[path.relative_to(out).as_posix()] = {pid for pid in ids if pid in text}
    return found


def test_when_complete_hides_the_week_that_started_this_morning(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site(tmp_path / "site")  # weekly: when-complete by default
    out, stdout = build_site(site, capsys)
    assert "next issue: 2025-W49 publishes Mon 8 Dec 2025 00:00 UTC (when its week ends)" in stdout.splitlines()
    assert issue_keys_in_feeds(out) == [["2025-W48", "2025-W47"]] * 3
    entry = feedparser.parse((out / "feed.xml").read_bytes()).entries[0]  # dated when it appeared
    assert (entry.published, entry.updated) == ("2025-12-01T00:00:00+00:00", "2025-12-01T00:00:00+00:00")
    assert not (out / "issues" / "2025-W49").exists() and not (out / "papers" / "p-monday").exists()
    assert not (out / "tags" / "fresh").exists()  # its only paper is not public yet
    leaks = {name for name, ids in paper_ids_everywhere(out).items() if "p-monday" in ids}
    assert leaks == set()
    home = (out / "index.html").read_text("utf-8")
    assert "2025-W49" not in home and "p-monday" not in home
    assert 'href="/issues/2025-W48/"' in home and "Paper p-last-b" in home
    papers_json = json.loads((out / "papers.json").read_text("utf-8"))
    assert [p["id"] for p in papers_json["papers"]] == ["p-last-b", "p-last-a", "p-old-b", "p-old-a"]
    sitemap = "".join(p.read_text("utf-8") for p in out.glob("sitemap*.xml"))
    assert "/issues/2025-W48/" in sitemap and "/issues/2025-W49/" not in sitemap

    code, stdout, err = run(["email", "latest", "--site", str(site)], capsys)
    assert code == 0, err
    assert "issue 2025-W48: 2 papers" in stdout
    code, _, err = run(["email", "2025-W49", "--site", str(site)], capsys)
    assert (
        code == 2
        and "issue 2025-W49 is not published yet (publishes Mon 8 Dec 2025 00:00); preview it with --future" in err
    )


def test_when_complete_publishes_the_week_once_it_has_ended(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site(tmp_path / "site")
    next_monday = str(int(MONDAY) + 7 * 86400)
    out, stdout = build_site(site, capsys, when=next_monday)
    assert issue_keys_in_feeds(out) == [["2025-W49", "2025-W48", "2025-W47"]] * 3
    assert "next issue: none scheduled yet" in stdout.splitlines()
    # one second before midnight, the week has not ended
    out, _ = build_site(site, capsys, when=str(int(MONDAY) + 7 * 86400 - 9 * 3600 - 1))
    assert issue_keys_in_feeds(out)[0] == ["2025-W48", "2025-W47"]


def test_on_date_shows_the_week_from_its_first_paper(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site(tmp_path / "site", publish="on-date")
    out, stdout = build_site(site, capsys)
    assert issue_keys_in_feeds(out) == [["2025-W49", "2025-W48", "2025-W47"]] * 3
    assert "p-monday" in paper_ids_everywhere(out)["papers.json"]
    code, stdout, _ = run(["email", "latest", "--site", str(site)], capsys)
    assert code == 0 and "issue 2025-W49: 1 paper" in stdout


def test_daily_cadence_defaults_to_on_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site(tmp_path / "site")
    (site / "site.yaml").write_text((site / "site.yaml").read_text("utf-8").replace("weekly", "daily"), "utf-8")
    out, _ = build_site(site, capsys)
    assert issue_keys_in_feeds(out)[0] == ["2025-12-01", "2025-11-27", "2025-11-25", "2025-11-20", "2025-11-18"]


def test_a_draft_issue_is_held_back_and_previewed_with_a_badge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path / "site", intros={"2025-W48": "draft: true\n"})
    out, stdout = build_site(site, capsys)
    assert issue_keys_in_feeds(out) == [["2025-W47"]] * 3
    assert not any({"p-last-a", "p-last-b"} & ids for ids in paper_ids_everywhere(out).values())
    assert stdout.splitlines()[-1] == ("next issue: 2025-W49 publishes Mon 8 Dec 2025 00:00 UTC (when its week ends); "
                                       "held back as draft: 2025-W48")
    code, stdout, _ = run(["email", "latest", "--site", str(site)], capsys)
    assert code == 0 and "issue 2025-W47" in stdout

    preview, _ = build_site(site, capsys, "--drafts")
    page = (preview / "issues" / "2025-W48" / "index.html").read_text("utf-8")
    assert '<span class="badge badge-unpublished">Not yet published</span>' in page
    assert "Held back as a draft" in page and '<meta name="robots" content="noindex">' in page
    assert "Not yet published" not in (preview / "issues" / "2025-W47" / "index.html").read_text("utf-8")


@pytest.mark.parametrize(("publish_at", "shown"), [
    ("2025-12-02T08:00", False),       # tomorrow morning
    ("2025-11-28T18:00", True),        # last Friday evening, before its week ended
    ('"2025-12-01 09:00"', True),      # this very second (quoted, with a space)
    ("2025-12-01T09:00:01", False),    # one second from now
    ("2025-12-01T10:00+02:00", True),  # 08:00 UTC
    ('"2025-12-01 04:30:00 -5"', False),  # YAML's own form, quoted: 09:30 UTC
])
def test_publish_at_shows_an_issue_from_that_moment(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    publish_at: str, shown: bool) -> None:
    site = make_site(tmp_path / "site", intros={"2025-W49": f"publish_at: {publish_at}\n"})
    out, stdout = build_site(site, capsys)
    keys = issue_keys_in_feeds(out)[0]
    assert ("2025-W49" in keys) == shown
    if not shown:
        assert re.search(r"^next issue: 2025-W49 publishes \w{3} \d+ Dec 2025 \d\d:\d\d(:\d\d)? UTC "
                         r"\(as scheduled in content/issues/2025-W49.md\)$", stdout, re.MULTILINE)


def test_publish_at_is_read_in_the_sites_timezone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """09:00 UTC is 10:00 in Berlin: an issue due at 10:00 local time is out, one due at 10:01 is not."""
    site = make_site(tmp_path / "site", timezone="Europe/Berlin", intros={"2025-W49": "publish_at: 2025-12-01T10:00\n"})
    out, _ = build_site(site, capsys)
    assert issue_keys_in_feeds(out)[0][0] == "2025-W49"
    intro = site / "content" / "issues" / "2025-W49.md"
    intro.write_text(intro.read_text("utf-8").replace("T10:00", "T10:01"), "utf-8")
    out, stdout = build_site(site, capsys)
    assert issue_keys_in_feeds(out)[0][0] == "2025-W48"
    assert "next issue: 2025-W49 publishes Mon 1 Dec 2025 10:01 Europe/Berlin" in stdout


def test_check_names_the_next_issue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = make_site(tmp_path / "site", intros={"2025-W47": "draft: true\n"})
    code, stdout, _ = run(["check", "--site", str(site)], capsys)
    assert code == 0
    assert stdout.splitlines()[-1] == ("next issue: 2025-W49 publishes Mon 8 Dec 2025 00:00 UTC (when its week ends); "
                                       "held back as draft: 2025-W47")


@pytest.mark.parametrize(
    ("where", "text", "message"),
    [
        ("site.yaml", "publish: weekly\n", "site.yaml:6:10: publish: must be one of 'on-date' or 'when-complete'"),
        (
            "issue",
            "publish_at: next monday\n",
            (
                "content/issues/2025-W49.md:3:13: publish_at: 'next monday' is not a date "
                "and time; write it like 2026-11-30T09:00"
            ),
        ),
        (
            "issue",
            "publish_at: 2025-02-30T09:00\n",
            "content/issues/2025-W49.md:3:13: publish_at: '2025-02-30T09:00' is not",
        ),
        ("issue", "publish_at: [2025-12-01]\n", "content/issues/2025-W49.md:3:13: publish_at: "),
        ("issue", "draft: later\n", "content/issues/2025-W49.md:3:8: draft: must be true or false"),
    ],
)
def test_bad_publishing_keys_are_reported_where_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, text: str, message: str
) -> None:
    site = make_site(tmp_path / "site", intros={"2025-W49": text} if where == "issue" else None)
    if where == "site.yaml":
        with (site / "site.yaml").open("a", encoding="utf-8") as handle:
            handle.write(text)
    code, _, err = run(["check", "--site", str(site)], capsys)
    assert code == (2 if where == "site.yaml" else 1)
    assert message in err


def test_serve_shows_unpublished_issues_with_a_badge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import http.client

    from digestgen.serve import Preview

    monkeypatch.setenv("SOURCE_DATE_EPOCH", MONDAY)
    site = make_site(tmp_path / "site", intros={"2025-W48": "draft: true\n"})
    preview = Preview(site, port=0, settle=0.1, log=lambda _: None)
    preview.start()
    try:
        def get(path: str) -> str:
            conn = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=10)
            conn.request("GET", path)
            body = conn.getresponse().read().decode("utf-8")
            conn.close()
            return body

        home = get("/")
        assert "Paper p-monday" in home and home.count("badge-unpublished") >= 2  # its head and the recent list
        week = get("/issues/2025-W49/")
        assert re.search(
            r'<span class="badge badge-unpublished">Not yet published</span>\nPublishes '
            r'<time datetime="2025-12-08T00:00:00\+00:00">Mon 8 Dec 2025 00:00</time> \(when its week ends\)',
            week,
        )
        assert "Held back as a draft" in get("/issues/2025-W48/")
        assert "badge-unpublished" in get("/papers/p-monday/")
        assert "badge-unpublished" in get("/tags/fresh/")
        assert "badge-unpublished" not in get("/issues/2025-W47/")
    finally:
        preview.stop()


def test_schema_documents_the_publishing_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["schema", "issue"], capsys)
    issue = json.loads(out)
    assert code == 0 and {"draft", "publish_at"} <= set(issue["properties"]) and not issue["additionalProperties"]
    moment = re.compile(issue["properties"]["publish_at"]["anyOf"][0]["pattern"])
    assert all(moment.match(v) for v in ("2026-11-30", "2026-11-30T09:00", "2026-11-30 09:00:00+01:00"))
    assert not moment.match("next monday")
    code, out, _ = run(["schema", "site"], capsys)
    assert code == 0 and json.loads(out)["properties"]["publish"]["anyOf"][0]["enum"] == ["on-date", "when-complete"]
    code, out, _ = run(["schema"], capsys)
    assert code == 0 and json.loads(out)["title"] == "digestgen paper entry"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_badge_is_visible_and_accessible_in_light_and_dark(tmp_path: Path, scheme: str) -> None:
    """The example digest previewed with --future: week 2027-W09 is badged; axe finds nothing."""
    pytest.importorskip("playwright")
    from axe_playwright_python.sync_playwright import Axe
    from helpers_theme import CHROMIUM, CHROMIUM_ARGS, REPO, build, chromium_or_skip, serve
    from playwright.sync_api import sync_playwright

    chromium_or_skip()
    out = tmp_path / "digest"
    with serve(tmp_path) as origin:
        build(REPO, out, "--future", "--base-url", origin + "/digest/")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(color_scheme=scheme)
            problems = []
            for path in ("issues/2027-W09/", "issues/", ""):
                page.goto(f"{origin}/digest/{path}")
                badge = page.locator(".badge-unpublished").first
                assert badge.is_visible() and badge.inner_text().casefold() == "not yet published"
                colors = badge.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
                assert colors[0] != colors[1]
                results = Axe().run(page)
                if results.violations_count:
                    problems.append(f"{path or 'home'}: {results.generate_report()}")
            browser.close()
    assert not problems, "\n".join(problems)


def test_the_pull_request_summary_says_when_readers_see_a_paper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = make_site(tmp_path / "site", intros={"2025-W47": "draft: true\n"})
    papers = site / "content" / "papers"
    summary = tmp_path / "summary.md"
    code, _, err = run(["check", "--site", str(site), "--summary", str(summary),
                        str(papers / "p-monday.md"), str(papers / "p-last-a.md"), str(papers / "p-old-a.md")], capsys)
    assert code == 0, err
    text = summary.read_text("utf-8")
    assert ("dated 2025-12-01; published Mon 8 Dec 2025 00:00 UTC (when its week ends), by the first build after that"
            in text)
    assert "dated 2025-11-25; published when this pull request is merged" in text
    assert "dated 2025-11-18; held back with its issue, a draft (`draft: true` in `content/issues/2025-W47.md`)" in text
