"""TeX in Markdown: the rules as fixture cases, and a site of abstract-like texts in which every
page passes the Nu Html Checker, every feed parses and the email edition stays sane."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml
from helpers_theme import build, epoch
from lxml import html as lxml_html
from test_html_valid import vnu_errors

from digestgen.cli import main
from digestgen.markdown import MAX_MATH, render

FIXTURES = Path(__file__).parent / "fixtures" / "markdown"
CORPUS: list[str] = yaml.safe_load((FIXTURES / "abstracts.yaml").read_text("utf-8"))
_MATH = re.compile(r'<math(?: display="(block)")?><semantics>.*?'
                   r'<annotation encoding="application/x-tex">(.*?)</annotation></semantics></math>', re.DOTALL)


def readable(html: str) -> str:
    """MathML written as [$tex$] (inline) or [$$tex$$] (display), so that cases stay short."""
    html = html.replace("\u00a0", "&nbsp;")
    return _MATH.sub(lambda m: f"[$${m.group(2)}$$]" if m.group(1) == "block" else f"[${m.group(2)}$]", html)


def fixture_cases(name: str) -> list[Any]:
    """Cases of a markdown-it style fixture file: title, '.', input, '.', output, '.'."""
    lines = (FIXTURES / name).read_text("utf-8").split("\n")
    cases = []
    at = 0
    while at < len(lines):
        if not lines[at] or lines[at].startswith("#"):
            at += 1
            continue
        title, parts = lines[at], []
        assert lines[at + 1] == ".", f"{name}:{at + 2}: expected '.'"
        at += 2
        for _ in range(2):
            end = lines.index(".", at)
            parts.append("\n".join(lines[at:end]))
            at = end + 1
        cases.append(pytest.param(*parts, id=title))
    return cases


@pytest.mark.parametrize("source, expected", fixture_cases("tex.txt"))
def test_tex_rule(source: str, expected: str) -> None:
    assert readable(render(source).html).strip() == expected


def test_unconvertible_math_warns_with_its_line() -> None:
    result = render(
        "first line\n\nsecond paragraph\nwith $\\frac{a}{$ on its second line\n\n$$\n\\nope\n$$", first_line=10
    )
    assert result.warnings == [
        (13, "math is shown as its source because latex2mathml cannot read it (NoAvailableTokensError): $\\frac{a}{$"),
        (15, "math is shown as its source because latex2mathml does not know \\nope: $$ \\nope $$"),
    ]


def test_a_formula_over_the_limit_is_shown_as_source() -> None:
    formula = "x+" * MAX_MATH
    result = render(f"long ${formula}y$ end")
    assert '<code class="math-error">$x+x+' in result.html and "<math" not in result.html
    assert [message for _, message in result.warnings] == [
        f"math is shown as its source because it is longer than {MAX_MATH:,} characters: ${formula[:78]}…"]


def _corpus_site(root: Path) -> Path:
    """A weekly digest whose papers carry the corpus as abstracts, notes and issue intros."""
    site = root / "site"
    (site / "content" / "papers").mkdir(parents=True)
    (site / "content" / "issues").mkdir()
    (site / "site.yaml").write_text(
        "title: TeX Digest\ndescription: Abstracts full of TeX.\nbase_url: https://example.org/tex/\n"
        "timezone: UTC\ncadence: weekly\nper_page: 10\nsearch: false\n", "utf-8")
    for number, abstract in enumerate(CORPUS):
        note = CORPUS[(number + 7) % len(CORPUS)]
        day = 3 + number % 24
        (site / "content" / "papers" / f"tex-{number:02}.md").write_text(
            f"---\ntitle: \"Corpus text {number}\"\ndate: 2025-11-{day:02}\nauthors: [A. Writer]\n"
            f"tldr: Case {number} of the TeX corpus.\nabstract: |\n"
            + "".join(f"  {line}\n" if line else "\n" for line in abstract.splitlines())
            + f"---\n{note}", "utf-8")
    for week, number in (("2025-W45", 0), ("2025-W47", 19)):
        (site / "content" / "issues" / f"{week}.md").write_text(
            f"---\ntitle: Week {week}\n---\n{CORPUS[number]}", "utf-8")
    return site


BUILT = "1765000000"  # Saturday 6 Dec 2025: every week of the corpus has ended


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("tex")
    site = _corpus_site(root)
    out = root / "public"
    build(site, out, when=BUILT)
    with epoch(BUILT):  # the editions of the issues that build published
        for issue in sorted((out / "issues").glob("2025-W*")):
            assert main(["email", issue.name, "--site", str(site), "--output", str(root / "email")]) == 0
    return site, out


def test_the_corpus_covers_forty_texts() -> None:
    assert len(CORPUS) >= 40


def test_every_page_of_the_corpus_site_is_valid_html(corpus_site: tuple[Path, Path]) -> None:
    _site, out = corpus_site
    pages = list(out.rglob("*.html"))
    assert len(pages) > len(CORPUS)
    assert vnu_errors(*pages) == []


def test_display_math_in_a_sentence_stays_in_its_paragraph(corpus_site: tuple[Path, Path]) -> None:
    _site, out = corpus_site
    page = (out / "papers" / "tex-00" / "index.html").read_text("utf-8")
    tree = lxml_html.fromstring(page)
    paragraph = tree.xpath("//p[contains(., 'We compare our loss with')]")[0]
    assert "in Section 3" in paragraph.text_content()
    assert paragraph.xpath(".//math[@display='block']") and not paragraph.xpath(".//div")


def test_feeds_of_the_corpus_site_parse(corpus_site: tuple[Path, Path]) -> None:
    _site, out = corpus_site
    feeds = sorted(out.rglob("*.xml"))
    assert any(p.name == "feed.xml" for p in feeds)
    for path in feeds:
        if path.name == "sitemap.xml":
            continue
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        assert parsed.entries, path
    for path in sorted(out.rglob("feed.json")):
        assert json.loads(path.read_text("utf-8"))["items"]


def test_exports_keep_the_curators_text(corpus_site: tuple[Path, Path]) -> None:
    _site, out = corpus_site
    papers = {p["id"]: p for p in json.loads((out / "papers.json").read_text("utf-8"))["papers"]}
    assert papers["tex-07"]["note"].strip() == CORPUS[14].strip() and "abstract" not in papers["tex-07"]
    assert "Corpus text 7" in (out / "llms.txt").read_text("utf-8")


def test_email_editions_show_math_as_tex(corpus_site: tuple[Path, Path]) -> None:
    _site, out = corpus_site
    editions = sorted((out.parent / "email").glob("*/email.html"))
    assert editions
    for path in editions:
        html = path.read_text("utf-8")
        tree = lxml_html.document_fromstring(html)
        assert "<math" not in html and "<script" not in html.lower()
        assert not tree.xpath("//p//div | //p//p | //p//pre")
    shown = "".join(p.read_text("utf-8") for p in editions)
    assert re.search(r"<code[^>]*>\$\$\\mathcal\{L\}=\\sum_i \\ell_i\$\$</code>", shown)
    assert re.search(r"<code[^>]*>\$k\$</code>", shown)
    text = "".join(p.read_text("utf-8") for p in (out.parent / "email").glob("*/email.txt"))
    assert "$\\mathcal{L}=\\sum_i \\ell_i$" in text


def test_unconvertible_math_in_the_corpus_is_reported_with_file_and_line(corpus_site: tuple[Path, Path],
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    site, _out = corpus_site
    assert main(["check", "--site", str(site)]) == 0
    err = capsys.readouterr().err
    number = next(i for i, text in enumerate(CORPUS) if "\\notacommand" in text)
    assert re.search(rf"content/papers/tex-{number:02}\.md:7:\d+: .*does not know \\notacommand", err), err


def test_pathological_markdown_work_is_linear() -> None:
    """Python calls made while rendering runs that never close, per character, counted (not
    timed): they once grew with the nesting limit (`![` x 50,000: 3 s) or with the square of
    the text (`$$a` paragraphs: minutes)."""
    def calls(text: str) -> int:
        count = 0

        def profile(frame: Any, event: str, arg: Any) -> None:
            nonlocal count
            count += event in ("call", "c_call")

        sys.setprofile(profile)
        try:
            render(text)
        finally:
            sys.setprofile(None)
        return count

    render("warm up")
    for unit in ("![", "[", "[^", "^[", "![](", "$$a\n\n", "\\(", "\\[", "$", "\\emph{", "[$", "[\\("):
        small, large = calls(unit * (4000 // len(unit))), calls(unit * (16000 // len(unit)))
        assert large < 4.4 * small, (unit, small, large)  # linear: 4 times the text, about 4 times the work
        assert large < 180 * 16000, (unit, large)
