"""One check run reports every mistake of every file, in file order, and no more than a reader can use."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digestgen.cli import main
from digestgen.errors import MAX_PER_FILE, ContentError, Problem
from digestgen.serve import describe

SITE = "title: All Errors\nbase_url: https://example.org/\ntimezone: UTC\nsearch: false\n"
TAGS = "language-models: Language models\nvision: Vision\nrobotics: Robotics\n"

# six kinds of mistakes in one entry, each on its own line; line numbers count the opening '---'
SIX = """\
---
title: Six mistakes
date: 2025-02-30
autors: [Ada Lovelace]
arxiv: "2511.1"
links:
  code: "javascript:alert(1)"
tags: [langauge-models, vision]
upvotes: "many"
---
A note.
"""
SIX_EXPECTED = [
    ("content/papers/2025/six.md:3:7: date: 2025-02-30 is not a real date (day is out of range for month); write "
    "YYYY-MM-DD"),
    "content/papers/2025/six.md:4:1: autors: unknown field; did you mean 'authors'?",
    (
        'content/papers/2025/six.md:5:8: arxiv: \'2511.1\' is not an arXiv id; write it like "2511.11002", '
        '"2511.11002v2" '
        'or "hep-th/9901001"'
    ),
    ("content/papers/2025/six.md:7:9: links.code: must be an absolute http:// or https:// URL, got "
    "'javascript:alert(1)'"),
    ("content/papers/2025/six.md:8:8: tags.0: 'langauge-models' is not in content/tags.yaml; did you mean "
    "'language-models'?"),
    "content/papers/2025/six.md:9:10: upvotes: must be a whole number (not text, not true/false)",
]


def make_site(root: Path, files: dict[str, str]) -> Path:
    (root / "site.yaml").write_text(SITE)
    for rel, text in {"content/tags.yaml": TAGS, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def check(root: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    code = main(["check", "--site", str(root), *flags])
    out = capsys.readouterr()
    return code, out.out, out.err


def problems(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("digestgen: ")]


def refused(root: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str]) -> list[str]:
    """The problems `check` reports for a site of these files (which it must refuse)."""
    make_site(root, files)
    code, _, err = check(root, capsys)
    assert code == 1, err
    return problems(err)


def test_six_mistakes_in_one_entry_are_reported_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_site(tmp_path, {"content/papers/2025/six.md": SIX})
    code, _, err = check(tmp_path, capsys)
    assert code == 1
    assert problems(err) == SIX_EXPECTED
    assert err.splitlines()[-1] == "digestgen: 6 errors"  # check writes nothing, so says nothing of it


def test_every_file_reports_every_mistake_in_file_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(tmp_path, capsys, {
        "content/papers/2025/six.md": SIX,
        # read-time refusals (a YAML tag, a control character) no longer hide the other fields
        "content/papers/2025/a.md": '---\ntitle: !foo "A"\ndate: "2025-11-18"\ntldr: "bell \\a"\ntitel: x\n'
                                    "image: figure.png\ntags: [vision, vision, robots]\n---\n",
        "content/papers/2025/b.yaml": "title: B\ndate: 11/18/2025\nrank: 1:20\npublished: yesterday\n",
        "content/pages/about.md": "---\ntitle: About\ndraft: maybe\ncolour: blue\n---\nText.\n",
    }) == [
        "content/pages/about.md:3:8: draft: must be true or false",
        "content/pages/about.md:4:1: colour: unknown field; allowed fields are description, draft, title",
        "content/papers/2025/a.md:2:8: title: YAML tag !foo is not allowed; use plain values",
        "content/papers/2025/a.md:4:7: tldr: contains the control character U+0007; remove it",
        "content/papers/2025/a.md:5:1: titel: unknown field; did you mean 'title'?",
        "content/papers/2025/a.md:6:8: image: needs image_alt too; describe the picture for screen readers",
        "content/papers/2025/a.md:7:7: tags: lists the same tag twice",
        "content/papers/2025/a.md:7:24: tags.2: 'robots' is not in content/tags.yaml; did you mean 'robotics'?",
        "content/papers/2025/b.yaml:2:7: date: '11/18/2025' is not a date; write it YYYY-MM-DD, like 2025-11-18",
        ("content/papers/2025/b.yaml:3:7: rank: YAML 1.1 reads 1:20 as the base-60 number 80; write 80 (or quote it "
        "if you meant text)"),
        "content/papers/2025/b.yaml:4:12: published: 'yesterday' is not a date; write it YYYY-MM-DD, like 2025-11-18",
        *SIX_EXPECTED,
    ]


def test_unknown_tags_of_an_entry_with_other_errors_are_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refused(
        tmp_path,
        capsys,
        {"content/papers/2025/a.md": "---\ntitle: A\ndate: 2025-13-01\ntags: [vison, zebra, 7]\n---\n"},
    ) == [
        "content/papers/2025/a.md:3:7: date: 2025-13-01 is not a real date (month must be in 1..12); write YYYY-MM-DD",
        "content/papers/2025/a.md:4:8: tags.0: 'vison' is not in content/tags.yaml; did you mean 'vision'?",
        ("content/papers/2025/a.md:4:15: tags.1: 'zebra' is not in content/tags.yaml; add it there or pick an existing "
        "tag"),
        "content/papers/2025/a.md:4:22: tags.2: YAML read the number 7; quote it: \"7\"",
    ]


def test_issue_and_image_of_an_entry_with_other_errors_are_checked(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert refused(tmp_path, capsys, {"content/papers/2025/a.md": "---\ntitle: A\ndate: yesterday\nissue: 2025-W60\n"
                                                    "image: gone.png\nimage_alt: A figure\ntags: [Vision]\n---\n"}) == [
        "content/papers/2025/a.md:3:7: date: 'yesterday' is not a date; write it YYYY-MM-DD, like 2025-11-18",
        "content/papers/2025/a.md:4:8: issue: '2025-W60' is not a weekly issue key (like 2025-W48)",
        "content/papers/2025/a.md:5:8: image: static/gone.png does not exist",
        ("content/papers/2025/a.md:7:8: tags.0: 'Vision' is not a valid slug; use lowercase letters, digits and '-' "
        "(like 'language-models')"),
    ]


def test_yaml_that_cannot_be_read_is_one_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_site(tmp_path, {"content/papers/2025/a.md": "---\ntitle: [A\ndate: 2025-02-30\n---\n"})
    code, _, err = check(tmp_path, capsys)
    assert code == 1 and len(problems(err)) == 1 and ": (yaml): invalid YAML" in err


@pytest.mark.parametrize("written", ['"2025-11-18"', "'2025-11-18'", "2025-11-18", '"2025-11-18T09:30:00+01:00"',
                                     '"2025-11-18 09:30:00"'])
def test_dates_are_read_quoted_or_not_in_every_date_field(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           written: str) -> None:
    make_site(tmp_path, {"content/papers/2025/a.md": f"---\ntitle: A\ndate: {written}\npublished: {written}\n"
                                                    'arxiv: "2511.11002"\nauthors: [A]\n---\n'})
    code, out, err = check(tmp_path, capsys, "--strict")
    assert (code, err) == (0, "") and out.startswith("ok: 1 paper, 1 issue")
    from digestgen.content import parse_paper

    paper, _ = parse_paper(tmp_path, "content/papers/2025/a.md", dt.timezone.utc, "/")
    assert paper is not None and (paper.date, paper.published) == (dt.date(2025, 11, 18),) * 2  # type: ignore[union-attr]


UNKNOWN_KEYS = 10_000


def _many_unknown_keys(root: Path) -> None:
    keys = "".join(f"key{i}: {i}\n" for i in range(UNKNOWN_KEYS))
    make_site(
        root,
        {
            "content/papers/2025/big.md": f"---\ntitle: Big\ndate: 2025-11-18\n{keys}---\n",
            "content/papers/2025/small.md": '---\ntitle: Small\ndate: 2025-11-18\ntitel: x\narxiv: "1"\n---\n',
        },
    )


def test_messages_are_capped_per_file_in_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _many_unknown_keys(tmp_path)
    code, out, err = check(tmp_path, capsys)
    assert code == 1 and out == ""
    lines = err.splitlines()
    big = [line for line in lines if line.startswith("content/papers/2025/big.md")]
    assert len(big) == MAX_PER_FILE + 1 and len(err) < 5_000
    assert big[0] == "content/papers/2025/big.md:4:1: key0: unknown field; allowed fields are " + ", ".join(
        sorted(
            [
                "abstract",
                "arxiv",
                "authors",
                "date",
                "doi",
                "draft",
                "featured",
                "image",
                "image_alt",
                "issue",
                "journal",
                "links",
                "note",
                "published",
                "rank",
                "submitted_by",
                "tags",
                "title",
                "tldr",
                "upvotes",
            ]
        )
    )
    assert (
        big[-1]
        == f"content/papers/2025/big.md:24:1: (file): … and {UNKNOWN_KEYS - MAX_PER_FILE:,} more problems in this file"
    )
    # the other file is reported whole, after it; the count still counts every error
    assert [line.split(": ")[1] for line in lines if line.startswith("content/papers/2025/small.md")] == [
        "titel",
        "arxiv",
    ]
    assert lines[-1] == f"digestgen: {UNKNOWN_KEYS + 2} errors"


def test_messages_are_capped_per_file_in_github_annotations(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    _many_unknown_keys(tmp_path)
    code, out, _ = check(tmp_path, capsys, "--format", "github")
    assert code == 1 and len(out) < 6_000
    big = [line for line in out.splitlines() if "big.md" in line]
    assert len(big) == MAX_PER_FILE + 1
    assert big[-1] == (f"::error file=content/papers/2025/big.md,line=24,col=1::(file): … and "
                       f"{UNKNOWN_KEYS - MAX_PER_FILE:,} more problems in this file")


def test_messages_are_capped_per_file_in_build_and_preview(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _many_unknown_keys(tmp_path)
    assert main(["build", "--site", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == MAX_PER_FILE + 1 + 2 + 1 and "… and 9,980 more problems in this file" in err
    from digestgen.load import check as check_site

    with pytest.raises(ContentError) as failed:
        check_site(tmp_path)
    lines = describe(failed.value, tmp_path)  # what the preview shows in its overlay
    assert len(lines) == MAX_PER_FILE + 1 + 2 and len(failed.value.problems) == UNKNOWN_KEYS + 2


def test_the_count_line_says_warning_when_only_warnings_are_left_out() -> None:
    from digestgen.errors import capped

    many = [Problem("a.md", line, 1, "x", "m", "warning") for line in range(1, 25)]
    shown = capped([*many, Problem("b.md", 1, 1, "y", "n")])
    assert [p.format() for p in shown[-2:]] == ["a.md:21:1: warning: (file): … and 4 more problems in this file",
                                                "b.md:1:1: y: n"]
    assert capped(many[:MAX_PER_FILE]) == many[:MAX_PER_FILE]
