"""The core engine: loading, validation messages, site model, output tree, atomic writes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers_core import EPOCH, REPO, SITES, copy_site, tree_digest

from digestgen.cli import main

EXAMPLE_EPOCH = "1795953600"  # 2026-11-29 12:00 UTC, the example digest's "today"
INVALID = sorted(p.name for p in (SITES / "invalid").iterdir() if p.is_dir())


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", INVALID)
def test_invalid_site_reports_exact_locations(case: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    site = SITES / "invalid" / case
    expected = (site / "expected.txt").read_text("utf-8").splitlines()
    exit_code = int(expected[0].split(":")[1])
    code, _out, err = run(["check", "--site", str(site)], capsys)
    lines = [line for line in err.splitlines() if not line.startswith("digestgen: ")]
    assert code == exit_code
    assert lines == expected[1:]
    assert "Traceback" not in err
    # build reports the same and writes nothing
    code, _out, err = run(["build", "--site", str(site), "--output", str(tmp_path / "out")], capsys)
    assert code == exit_code
    assert [line for line in err.splitlines() if not line.startswith("digestgen: ")] == expected[1:]
    assert not (tmp_path / "out").exists()


def test_python_tag_never_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = copy_site("invalid/python-tag", tmp_path / "site")
    sentinel = tmp_path / "pwned"
    (site / "content/papers/p1.yaml").write_text(
        f'title: !!python/object/apply:os.system ["touch {sentinel}"]\ndate: 2025-11-20\n', "utf-8")
    code, _, _ = run(["check", "--site", str(site)], capsys)
    assert code == 1 and not sentinel.exists()


def test_failed_build_leaves_previous_site_byte_identical(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = copy_site("basic", tmp_path / "site")
    assert run(["build", "--site", str(site)], capsys)[0] == 0
    before = tree_digest(site / "public")
    (site / "content/papers/2025/broken.md").write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    code, _, err = run(["build", "--site", str(site)], capsys)
    assert code == 1 and "content/papers/2025/broken.md:3:1: (yaml): invalid YAML" in err
    assert tree_digest(site / "public") == before
    assert not list(site.glob(".public.tmp-*")) and not list(site.glob(".public.old"))


def test_output_tree(basic_build: Path) -> None:
    files = set(tree_digest(basic_build))
    for name in [
        "index.html",
        "404.html",
        "issues/index.html",
        "issues/2025-W47/index.html",
        "issues/2025-W46/index.html",
        "papers/1706.03762/index.html",
        "papers/low-rank/index.html",
        "tags/index.html",
        "tags/transformers/index.html",
        "tags/transformers/page/2/index.html",
        "about/index.html",
        "feed.xml",
        "rss.xml",
        "sitemap.xml",
        "robots.txt",
        "papers.json",
        "img/vit.svg",
    ]:
        assert name in files, name
    assert not any("draft-paper" in f or "future-paper" in f for f in files)
    papers = json.loads((basic_build / "papers.json").read_text("utf-8"))["papers"]
    assert [p["id"] for p in papers] == ["2010.11929", "1706.03762", "low-rank", "1707.06347"]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.canonical: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical.append(a["href"] or "")
        for key in ("href", "src", "action"):
            if a.get(key):
                self.links.append(a[key] or "")


def test_every_internal_link_works_under_a_subpath(basic_build: Path) -> None:
    checked = 0
    for page in basic_build.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text("utf-8"))
        assert len(parser.canonical) == 1 and parser.canonical[0].startswith("https://user.github.io/digest/")
        for link in parser.links:
            if link.startswith(("http://", "https://", "mailto:", "#", "data:")):
                continue
            assert link.startswith("/digest/"), f"{page}: {link}"
            target = basic_build / link[len("/digest/"):].split("#")[0].split("?")[0]
            assert target.is_file() or (target / "index.html").is_file(), f"{page}: broken link {link}"
            checked += 1
    assert checked > 50


def test_issue_order_and_navigation(basic_build: Path) -> None:
    w47 = (basic_build / "issues/2025-W47/index.html").read_text("utf-8")
    assert w47.index("Attention Is All You Need") < w47.index("An Image is Worth")  # featured first
    assert "/digest/issues/2025-W46/" in w47 and "Transformers everywhere" in w47
    w46 = (basic_build / "issues/2025-W46/index.html").read_text("utf-8")
    assert w46.index("A Paper Without arXiv") < w46.index("Proximal Policy")  # rank before upvotes
    assert "/digest/issues/2025-W47/" in w46
    home = (basic_build / "index.html").read_text("utf-8")
    assert "Transformers everywhere" in home and "Week 47" in home


def test_paper_page(basic_build: Path) -> None:
    page = (basic_build / "papers/1706.03762/index.html").read_text("utf-8")
    for text in [
        "Łukasz Kaiser",
        "Illia Polosukhin",
        "https://arxiv.org/abs/1706.03762",
        "https://arxiv.org/pdf/1706.03762",
        "https://github.com/tensorflow/tensor2tensor",
        "@misc{vaswani2017attention",
        "<math",
        "2017",
        "/digest/issues/2025-W47/",
        "/digest/papers/2010.11929/",
    ]:
        assert text in page, text
    assert "https://doi.org/10.1000/xyz123" in (basic_build / "papers/low-rank/index.html").read_text("utf-8")


def test_drafts_and_future_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run(["build", "--site", str(SITES / "basic"), "-o", str(out), "--drafts", "--future"], capsys)[0] == 0
    assert (out / "papers/draft-paper/index.html").is_file()
    assert (out / "papers/future-paper/index.html").is_file()
    assert (out / "issues/2026-W02/index.html").is_file()


def _build_in_subprocess(out: Path, cwd: Path, seed: str, tz: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz, "SOURCE_DATE_EPOCH": EPOCH}
    subprocess.run([sys.executable, "-m", "digestgen", "build", "--site", str(SITES / "basic"), "-o", str(out)],
                   cwd=cwd, env=env, check=True, capture_output=True)


def test_builds_are_byte_identical(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    _build_in_subprocess(tmp_path / "a", tmp_path, "1", "UTC")
    _build_in_subprocess(tmp_path / "b", tmp_path / "elsewhere", "4242", "Asia/Kolkata")
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")


@pytest.mark.parametrize("where", ["root", "content", "parent", "foreign"])
def test_refuses_dangerous_output_folders(where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = copy_site("basic", tmp_path / "site")
    target = {"root": site, "content": site / "content", "parent": tmp_path, "foreign": tmp_path / "mine"}[where]
    if where == "foreign":
        target.mkdir()
        (target / "notes.txt").write_text("keep me", "utf-8")
    before = tree_digest(tmp_path)
    code, _, err = run(["build", "--site", str(site), "-o", str(target)], capsys)
    assert code == 2 and "refusing" in err
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize("cadence,keys", [("daily", ["2025-11-19", "2025-11-18", "2025-11-13", "2025-11-12"]),
                                          ("monthly", ["2025-11"]),
                                          ("weekly", ["2025-W47", "2025-W46"])])
def test_cadence(cadence: str, keys: list[str], tmp_path: Path) -> None:
    from digestgen.config import BuildOptions
    from digestgen.load import check

    site = copy_site("basic", tmp_path / "site")
    text = (site / "site.yaml").read_text("utf-8").replace("cadence: weekly", f"cadence: {cadence}")
    (site / "site.yaml").write_text(text, "utf-8")
    (site / "content/issues/2025-W47.md").unlink()
    model, _ = check(site, BuildOptions())
    assert [i.key for i in model.issues] == keys


def test_issue_override_and_datetimes(tmp_path: Path) -> None:
    from digestgen.config import BuildOptions
    from digestgen.load import check

    site = copy_site("basic", tmp_path / "site")
    paper = site / "content/papers/2025/1707.06347.md"
    paper.write_text(
        paper.read_text("utf-8").replace("date: 2025-11-12", "date: 2025-11-12T23:30:00-05:00\nissue: 2025-W40"),
        "utf-8",
    )
    model, _ = check(site, BuildOptions())
    assert model.papers_by_id["1707.06347"].date.isoformat() == "2025-11-13"  # converted to the site's UTC
    assert model.issue_of["1707.06347"] == "2025-W40"


def test_markdown_is_safe_and_linkified() -> None:
    from digestgen.markdown import render

    html = render("See https://example.org/a. <script>x()</script> [x](javascript:alert(1)) "
                  "[y](JAVA&#x09;SCRIPT:z) | a |\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nNote[^1].\n\n[^1]: Foot.").html
    assert '<a href="https://example.org/a" rel="nofollow ugc noopener">https://example.org/a</a>.' in html
    assert "<script" not in html and 'href="javascript' not in html.lower() and "SCRIPT:z" not in html.split("href")[-1]
    assert "<table>" in html and 'class="footnotes"' in html


def test_the_quick_linkify_pretest_answers_as_linkify_its_own_test() -> None:
    """The pretest (markdown._scheme_follows_boundary) says whether linkify-it's scheme test
    matches, exactly: on 20,000 strings made of schemes, their pieces (a long s matches s when
    case is ignored) and boundary characters (ASCII, CJK, underscore)."""
    import random
    import re

    from digestgen.markdown import markdown

    linkify = markdown().linkify
    scheme = re.compile(linkify.re["schema_test"], re.IGNORECASE)
    pieces = [
        "http",
        "HTTPS",
        "s",
        "\u017f",
        ":",
        "/",
        "//",
        "ftp",
        "mailto",
        "_",
        "x",
        ".",
        " ",
        "\n",
        "(",
        "<",
        "\u3001",
        "\u3000",
        "é",
    ]
    pick = random.Random(3)
    for _ in range(20_000):
        text = "".join(pick.choice(pieces) for _ in range(pick.randint(0, 8)))
        assert linkify.pretest(text) == (scheme.search(text) is not None), repr(text)
    assert linkify.pretest("see https://example.org") and not linkify.pretest("write to a_mailto:x")


def test_cli_schema_and_github_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["schema"], capsys)
    schema = json.loads(out)
    assert code == 0 and schema["required"] == ["title", "date"] and schema["additionalProperties"] is False
    code, out, _ = run(["check", "--site", str(SITES / "invalid/arxiv-float"), "--format", "github"], capsys)
    assert code == 1
    assert out.splitlines()[0] == (
        "::error file=content/papers/2511.11002.md,line=4,col=8::arxiv: YAML read the number "
        '2511.11000; quote the id: arxiv: "2511.11000"'
    )


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["build", "--site", str(tmp_path)], capsys)
    assert code == 2 and "no site.yaml" in err
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2


def test_init_creates_a_site_that_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["init", str(tmp_path / "new")], capsys)
    assert code == 0 and "Next: set base_url in site.yaml" in out
    code, out, err = run(["build", "--site", str(tmp_path / "new")], capsys)
    assert code == 0, err
    assert re.match(r"built 1 paper in 1 issue, 1 page, 1 tag: \d+ files", out)
    # base_url is still init's placeholder: build says so, and --strict refuses it
    assert err.startswith(
        "site.yaml:4:11: warning: base_url: https://example.org/ is the placeholder that 'digestgen init'"
    )
    code, _, err = run(["build", "--site", str(tmp_path / "new"), "--strict"], capsys)
    assert code == 1 and err.endswith("digestgen: 1 warning (--strict); nothing was written\n")
    code, _, err = run(["build", "--site", str(tmp_path / "new"), "--base-url", "https://me.github.io/d/"], capsys)
    assert code == 0 and "placeholder" not in err
    assert run(["init", str(tmp_path / "new")], capsys)[0] == 2  # never overwrites
    assert run(["init", str(tmp_path / "own"), "--base-url", "https://papers.example.net/"], capsys)[0] == 0
    code, _, err = run(["build", "--site", str(tmp_path / "own")], capsys)
    assert code == 0 and "placeholder" not in err


def test_a_bad_base_url_option_is_reported_as_the_command_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, err = run(["build", "--site", str(SITES / "basic"), "--output", str(out), "--base-url", "/sub/"], capsys)
    assert code == 2 and not out.exists()
    assert err == (
        "command line: --base-url: must be an absolute http:// or https:// URL, got '/sub/'\n"
        "digestgen: 1 error; nothing was written\n"
    )
    code, out_text, err = run(
        ["check", "--site", str(SITES / "basic"), "--base-url", "https://x y/", "--format", "github"], capsys
    )
    assert code == 2 and out_text.startswith("::error::command line: --base-url: must not contain spaces")


def test_check_does_not_claim_to_have_written_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", "--site", str(SITES / "invalid" / "bad-tag")], capsys)
    assert code == 1 and err.endswith("digestgen: 1 error\n") and "written" not in err


def test_one_is_singular_on_pages_and_in_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = copy_site("basic", tmp_path / "site")
    paper = site / "content/papers/2025/1707.06347.md"
    text = paper.read_text("utf-8").replace("upvotes: 30", "upvotes: 1")
    paper.write_text(
        re.sub(r"^date: .*$", "date: 2025-11-04", text, count=1, flags=re.MULTILINE), "utf-8"
    )  # alone in W45
    code, out, err = run(["build", "--site", str(site), "--output", str(tmp_path / "out")], capsys)
    assert code == 0, err
    issue = (tmp_path / "out/issues/2025-W45/index.html").read_text("utf-8")
    assert 'title="1 upvote"' in issue and '<span class="visually-hidden"> upvote</span>' in issue
    assert '<meta name="description" content="1 paper in Week 45' in issue
    for page in (tmp_path / "out").rglob("*.html"):
        assert not re.search(r"\b1 (papers|issues|upvotes|pages|tags)\b", page.read_text("utf-8")), page
    code, out, _ = run(["check", "--site", str(site)], capsys)
    assert re.match(r"ok: 4 papers, 1 draft, 1 not yet published, 3 issues, 1 page\n", out)


def test_example_digest_checks_clean(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EXAMPLE_EPOCH)
    code, out, err = run(["check", "--site", str(REPO), "--strict"], capsys)
    assert code == 0, err
    papers = int(re.search(r"ok: (\d+) papers", out).group(1))  # type: ignore[union-attr]
    assert papers >= 30


def test_links_to_an_unreadable_entry_are_not_reported_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = copy_site("basic", tmp_path / "site")
    (site / "content/papers/2025/2010.11929.yaml").write_text("title: [broken\n", "utf-8")
    code, _, err = run(["check", "--site", str(site)], capsys)
    assert code == 1
    assert [line for line in err.splitlines() if not line.startswith("digestgen: ")] == [
        "content/papers/2025/2010.11929.yaml:2:1: (yaml): invalid YAML: did not find expected ',' or ']'"]


def test_a_reader_that_stops_reading_gets_no_error_message() -> None:
    """`digestgen schema site | head -1`: the pipe closes before the schema is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read: every write fails with EPIPE
    try:
        done = subprocess.run([sys.executable, "-m", "digestgen", "schema", "site"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, "")
