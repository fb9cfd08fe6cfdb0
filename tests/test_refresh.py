"""digestgen refresh: only the refreshed lines of a file change (local arXiv and HF servers)."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from pathlib import Path

import pytest
from helpers_sources import FakeApis
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from digestgen.cli import main
from digestgen.content import parse_paper

SITE = "title: Refresh\nbase_url: https://example.org/\ntimezone: UTC\ncadence: weekly\nsearch: false\n"
LLAMA = """\
---
# Added by hand at the reading group; keep this comment
title: "Llama 2: Open Foundation and Fine-Tuned Chat Models"
date: 2025-11-20
authors: [Hugo Touvron, Louis Martin]
arxiv:   "2307.09288v1"   # the version we read
tags: [llm]
---
We read v1; section 4 first.
"""
ATTENTION = """\
---
title: Attention Is All You Need
date: 2025-11-21
authors:
  - Ashish Vaswani
  - Noam Shazeer
arxiv: '1706.03762'
published: 2017-06-12
abstract: >
  The Transformer.
---
"""
DPO = (  # a .yaml entry from Hugging Face, with Windows line endings
    "title: 'Direct Preference Optimization'\r\ndate: 2025-11-14\r\narxiv: \"2305.18290\"\r\n"
    "upvotes: 87   # on the day we imported it\r\nlinks:\r\n  hf: https://huggingface.co/papers/2305.18290\r\n"
    "note: |\r\n  Short and useful.\r\n"
)
FLOW = '---\n{title: Flow, date: 2025-11-22, arxiv: "2101.00001v1"}\n---\n'


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    papers = root / "content/papers/2025"
    papers.mkdir(parents=True)
    (root / "site.yaml").write_text(SITE)
    (papers / "2307.09288.md").write_text(LLAMA)
    (papers / "1706.03762.md").write_text(ATTENTION)
    (papers / "2305.18290.yaml").write_bytes(DPO.encode())
    (papers / "flow.md").write_text(FLOW)
    return root


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_refresh_changes_only_the_refreshed_lines(
    site: Path, apis: FakeApis, capsys: pytest.CaptureFixture[str]
) -> None:
    papers = site / "content/papers/2025"
    assert main(["refresh", "--site", str(site)]) == 1  # the flow-style entry cannot be edited by line
    out = capsys.readouterr()
    assert "error: content/papers/2025/flow.md: the fields are written as one flow mapping" in out.err
    assert [p for p, _ in apis.requests] == [
        "/arxiv/query?id_list=1706.03762%2C2101.00001%2C2305.18290%2C2307.09288&max_results=4", "/hf/papers/2305.18290"]
    assert changed_lines(LLAMA, (papers / "2307.09288.md").read_text()) == (
        ['arxiv:   "2307.09288v1"   # the version we read\n'],
        ['arxiv:   "2307.09288v3"   # the version we read\n'],
    )
    assert changed_lines(ATTENTION, (papers / "1706.03762.md").read_text()) == (
        [],
        [
            'doi: "10.5555/3295222.3295349"\n',
            'journal: "Advances in Neural Information Processing Systems 30 (NIPS 2017)"\n',
        ],
    )
    assert (papers / "1706.03762.md").read_text().index("doi:") == ATTENTION.index("published:")  # right after arxiv
    dpo = (papers / "2305.18290.yaml").read_bytes().decode()
    assert dpo == DPO.replace("upvotes: 87 ", "upvotes: 240")  # CRLF kept, and the comment's column
    assert (papers / "flow.md").read_text() == FLOW
    assert "updated content/papers/2025/2307.09288.md: arXiv v1 -> v3" in out.out
    assert "updated content/papers/2025/2305.18290.yaml: 240 upvotes (was 87)" in out.out
    assert "updated 3 entries, 1 could not be edited" in out.out
    paper, problems = parse_paper(site, "content/papers/2025/1706.03762.md", dt.timezone.utc, "/")
    assert problems == [] and paper is not None
    assert (paper.doi, paper.journal) == (
        "10.5555/3295222.3295349",
        "Advances in Neural Information Processing Systems 30 (NIPS 2017)",
    )
    (papers / "flow.md").unlink()
    assert main(["refresh", "--site", str(site)]) == 0
    assert "all 3 entries are up to date" in capsys.readouterr().out  # a second run finds nothing new
    assert main(["build", "--site", str(site)]) == 0
    page = (site / "public/papers/1706.03762/index.html").read_text()
    assert "<dt>Journal</dt><dd>Advances in Neural Information Processing Systems 30 (NIPS 2017)</dd>" in page


def test_refresh_some_ids_and_dry_run(site: Path, apis: FakeApis, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p: p.read_bytes() for p in site.rglob("*.*")}
    assert main(["refresh", "--site", str(site), "--dry-run", "arXiv:2307.09288"]) == 0
    out = capsys.readouterr().out
    assert '-arxiv:   "2307.09288v1"   # the version we read\n+arxiv:   "2307.09288v2"   # the version we read\n' in out
    assert "would update content/papers/2025/2307.09288.md: arXiv v1 -> v2" in out and "would update 1 entry" in out
    assert {p: p.read_bytes() for p in site.rglob("*.*")} == before
    assert [p for p, _ in apis.requests] == ["/arxiv/query?id_list=2307.09288&max_results=1"]
    assert main(["refresh", "--site", str(site), "2307.09288", "no-such-paper"]) == 2
    assert "no entry has the id or arXiv id no-such-paper" in capsys.readouterr().err


_line = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=60).filter(
    lambda s: s.strip() == s and s.strip())


@settings(max_examples=150, deadline=None)
@given(old=_line, new=_line, style=st.sampled_from(["plain", "'", '"']))
def test_edit_replaces_one_value_in_any_style(
    tmp_path_factory: pytest.TempPathFactory, old: str, new: str, style: str
) -> None:
    """Whatever the text, the value reads back as given and no other line changes."""
    from digestgen.refresh import EditError, edit, read_entry

    assume(old != new)
    written = {"plain": old, "'": "'" + old.replace("'", "''") + "'", '"': json.dumps(old)}[style]
    text = f"---\ntitle: T\ndate: 2025-11-20\njournal: {written}  # where\ntags: []\n---\nnote\n"
    root = tmp_path_factory.mktemp("edit")
    (root / "e.md").write_text(text)
    entry = read_entry(root, "e.md", [])
    if entry is None or entry.data.get("journal") != old:
        return  # a plain scalar YAML reads as something else: not a file a person would write
    try:
        after = edit(entry, {"journal": new, "doi": "10.1000/x"})
    except EditError:
        pytest.fail("a one-line scalar must be editable")
    removed, added = changed_lines(text, after)
    assert len(removed) == 1 and removed[0].startswith("journal:") and len(added) == 2
    assert added[1] == 'doi: "10.1000/x"\n' or added[0] == 'doi: "10.1000/x"\n'
    (root / "e.md").write_text(after)
    again = read_entry(root, "e.md", [])
    assert again is not None and again.data["journal"] == new
    assert list(again.data) == ["title", "doi", "date", "journal", "tags"]  # a new doi goes after the title here


def test_refresh_says_which_ids_arxiv_does_not_know(tmp_path: Path, apis: FakeApis,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # an id arXiv has no record of (a typo, a withdrawn paper) is not 'up to date'
    root = tmp_path / "site"
    (root / "content/papers").mkdir(parents=True)
    (root / "site.yaml").write_text(SITE)
    (root / "content/papers/typo.md").write_text('---\ntitle: Typo\ndate: 2025-11-20\narxiv: "2511.99999"\n---\n')
    assert main(["refresh", "--site", str(root)]) == 0
    out = capsys.readouterr()
    assert "warning: content/papers/typo.md: the arXiv API has no record of 2511.99999; not refreshed" in out.err
    assert "up to date" not in out.out
