"""Class 6, resource abuse: pathological entries are refused with a stated limit or rendered, fast."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from digestgen.markdown import MAX_HTML, MAX_MATH, MAX_NESTING, render
from digestgen.schema import MAX_AUTHORS, MAX_TAGS, MAX_TEXT, MAX_TITLE

from .security_helpers import build, refused_build, scan_html, write

HEAD = '---\ntitle: "Heavy"\ndate: 2025-11-20\narxiv: "2511.99999"\n'
P = "content/papers/2511.99999.md"
SECONDS = 5.0  # CPU seconds per entry (immune to other load on the machine); this host measures 0.1-2.5 s
RENDER_SECONDS = 3.0  # SECURITY.md's bound for one field; this host measures at most 1.6 s

N = MAX_TEXT - 100
MARKDOWN_BOMBS = {
    "open-brackets": "[" * N,
    "image-brackets": "![" * (N // 2),
    "link-openers": "[a](" * (N // 4),
    "blockquotes": ">" * N,
    "blockquote-lines": "".join("> " * i + "a\n" for i in range(300)),
    "nested-lists": "".join("  " * i + "- a\n" for i in range(300)),
    "list-markers": "- " * (N // 2),
    "emphasis": "*a **b " * (N // 7),
    "emphasis-run": "*" * (N // 2) + "a" + "*" * (N // 2),
    "backticks": "`a ``b " * (N // 7),
    "entities": "&amp;" * (N // 5),
    "angle-brackets": "<" * N,
    "quotes": "\"'" * (N // 2),
    "table": "|a" * 200 + "|\n" + "|-" * 200 + "|\n" + ("|x" * 200 + "|\n") * (N // 402),
    "math-many": " ".join(f"$x^{{{i}}}$" for i in range(N // 12)),
    "math-long": "$" + "x+" * (MAX_MATH * 5) + "$",
    "math-nested": "$" + "\\frac{" * 1500 + "$",
    "footnotes": "".join(f"[^{i}]" for i in range(N // 8)),
    "reference-links": "".join(f"[r{i}]: /x\n" for i in range(N // 24)) + " ".join(f"[r{i}]" for i in range(N // 24)),
    "autolinks": " ".join(f"https://e.org/{i}" for i in range(N // 20)),
    "brackets-one-close": "[" * (N - 1) + "]",
    "image-links-open": "![](" * (N // 4),
    "footnote-openers": "^[" * (N // 2),
    "footnote-refs": "[^" * (N // 2),
    "dollars": "$" * N,
    "display-openers": "$$a\n\n" * (N // 5),
    "display-lines": "$$a\n" * (N // 4),
    "paren-math-openers": "\\(" * (N // 2),
    "bracket-math-openers": "\\[" * (N // 2),
    "emph-openers": "\\emph{" * (N // 6),
    "brackets-and-math": "[\\(" * (N // 3),
}


@pytest.mark.parametrize("name", sorted(MARKDOWN_BOMBS))
def test_pathological_markdown_renders_fast_and_safely(name: str) -> None:
    text = MARKDOWN_BOMBS[name][:MAX_TEXT]
    started = time.process_time()
    html = render(text).html
    assert time.process_time() - started < RENDER_SECONDS
    assert scan_html(html, name) == []


def test_nesting_is_capped() -> None:
    html = render(">" * 5000 + " deep").html
    assert html.count("<blockquote>") <= MAX_NESTING


@pytest.mark.parametrize("field, body", [("note", "[" * N), ("note", "> " * (N // 2))])
def test_pathological_note_builds_in_seconds(site: Path, field: str, body: str) -> None:
    write(site, P, HEAD + "---\n" + body + "\n")
    started = time.process_time()
    run = build(site)
    assert run.code == 0, run.err
    assert time.process_time() - started < SECONDS


CASES = {
    "100k-title": (
        '---\ntitle: "' + "a" * 100_000 + '"\ndate: 2025-11-20\n---\n',
        f"{P}:2:8",
        "title",
        f"the limit is {MAX_TITLE}",
    ),
    "thousands-of-tags": (
        HEAD + "tags: [" + ", ".join(f"t{i}" for i in range(5000)) + "]\n---\n",
        f"{P}:5:7",
        "tags",
        f"at most {MAX_TAGS}",
    ),
    "too-many-authors": (
        HEAD + "authors: [" + ", ".join(f"A{i}" for i in range(MAX_AUTHORS + 1)) + "]\n---\n",
        f"{P}:5:10",
        "authors",
        f"at most {MAX_AUTHORS}",
    ),
    "huge-author": (HEAD + 'authors: ["' + "a" * 5000 + '"]\n---\n', f"{P}:5:", "authors.0", "limit"),
    "huge-note": (HEAD + "---\n" + "word " * (MAX_TEXT // 4), f"{P}:6:1", "note", f"the limit is {MAX_TEXT:,}"),
    "huge-abstract": (HEAD + 'abstract: "' + "a" * (MAX_TEXT + 1) + '"\n---\n', f"{P}:5:", "abstract", "limit"),
    "many-links": (
        HEAD + "links: {" + ", ".join(f"l{i}: https://e.org/{i}" for i in range(500)) + "}\n---\n",
        f"{P}:5:",
        "links",
        "at most",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_oversized_fields_refused_with_the_limit(site: Path, case: str) -> None:
    text, where, field, limit = CASES[case]
    write(site, P, text)
    started = time.process_time()
    refused_build(site, 1, [(where, field, limit)])
    assert time.process_time() - started < SECONDS


def test_thousands_of_authors_within_the_limit_render(site: Path) -> None:
    authors = [f"Author Number {i}" for i in range(MAX_AUTHORS)]
    write(site, P, HEAD + "authors: [" + ", ".join(f'"{a}"' for a in authors) + "]\n---\nnote\n")
    started = time.process_time()
    run = build(site)
    assert run.code == 0, run.err
    assert time.process_time() - started < SECONDS
    page = (site / "public" / "papers" / "2511.99999" / "index.html").read_text("utf-8")
    assert authors[-1] in page
    home = (site / "public" / "index.html").read_text("utf-8")
    assert home.count("Author Number") < 50  # cards collapse long lists


def test_expansion_is_capped_so_one_entry_cannot_flood_the_output(site: Path) -> None:
    """100 k characters of formulas render to megabytes, copied to every tag page and feed: refused."""
    tags = "[" + ", ".join(f"t{i}" for i in range(MAX_TAGS)) + "]"
    formulas = "$x$ " * (MAX_TEXT // 4 - 10)
    write(site, P, HEAD + f"tags: {tags}\n---\n{formulas}\n")
    started = time.process_time()
    refused_build(site, 1, [(f"{P}:7:1", "note", f"the limit is {MAX_HTML:,}")])
    assert time.process_time() - started < SECONDS


def test_output_of_one_maximal_entry_stays_bounded(site: Path) -> None:
    """The largest accepted entry (every limit near its maximum) builds to a bounded site."""
    tags = "[" + ", ".join(f"t{i}" for i in range(MAX_TAGS)) + "]"
    prose = ("word " * 12 + "\n\n") * (MAX_TEXT // 70)
    write(
        site,
        P,
        HEAD
        + f"tags: {tags}\nabstract: |\n"
        + "".join("  " + line + "\n" for line in prose.splitlines())
        + "---\n"
        + prose,
    )
    run = build(site)
    assert run.code == 0, run.err
    total = sum(p.stat().st_size for p in (site / "public").rglob("*") if p.is_file())
    assert total < 2 * MAX_HTML * (4 * MAX_TAGS + 20)  # every tag page and feed, home, issue, paper, feeds


def test_one_entry_of_many_mistakes_prints_a_bounded_report(site: Path) -> None:
    """20,000 unknown keys in one entry: the first 20 problems and one line counting the rest."""
    from digestgen.errors import MAX_PER_FILE

    keys = 20_000
    write(site, P, HEAD + "".join(f"k{i}: {i}\n" for i in range(keys)) + "---\n")
    started = time.process_time()
    run = refused_build(
        site,
        1,
        [
            (f"{P}:5:1", "k0", "unknown field"),
            (f"{P}:{5 + MAX_PER_FILE}:1", "(file)", f"and {keys - MAX_PER_FILE:,} more problems"),
        ],
    )
    assert time.process_time() - started < SECONDS
    assert len(run.problems) == MAX_PER_FILE + 1 and len(run.err) < 5_000


def test_smart_quotes_stop_where_they_would_cost_seconds() -> None:
    """Curly quotes everywhere a person writes; a paragraph of thousands of quote marks (which
    took seconds to pair) keeps its straight quotes."""
    from digestgen.markdown import MAX_SMART_QUOTES

    assert render('He said "yes" and it\'s done.').html == "<p>He said “yes” and it’s done.</p>\n"
    bomb = render('"a" ' * (MAX_SMART_QUOTES // 2 + 1)).html
    assert "“" not in bomb and bomb.count("&quot;") == 2 * (MAX_SMART_QUOTES // 2 + 1)
