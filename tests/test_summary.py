"""check --since / check PAPER...: the pull request's papers in the job summary, as readers will see them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from digestgen.cli import main

HOSTILE = """\
---
title: "<img src=x onerror=alert(1)> Fixes #3 [click](javascript:alert(1)) | table |"
date: 2025-11-27
authors: ["@everyone", "A. *Star*"]
arxiv: "2401.00001v2"
tags: [transformers]
links: {code: "https://github.com/example/x_(y)"}
tldr: "## not a heading"
submitted_by: "@ada-reader"
---
Read **this**.

<script>alert(2)</script>
# heading
"""


def git(site: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(site), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": "/usr/bin:/bin", "HOME": str(site)})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    site = shutil.copytree(Path(__file__).parent / "sites/basic", tmp_path / "repo" / "digest")
    git(site.parent, "init", "-q", "-b", "main")
    git(site.parent, "add", ".")
    git(site.parent, "commit", "-q", "-m", "base")
    return site


def test_summary_shows_added_changed_and_removed_papers(repo: Path, tmp_path: Path) -> None:
    papers = repo / "content/papers/2025"
    (papers / "hostile.md").write_text(HOSTILE)  # untracked: a new file of this pull request
    ppo = papers / "1707.06347.md"
    ppo.write_text(ppo.read_text().replace("tags: [rl]", "tags: [rl, transformers]\nfeatured: true"))
    (papers / "low-rank.md").unlink()
    (repo / "content/tags.yaml").write_text((repo / "content/tags.yaml").read_text() + "\n")  # not a paper
    out = tmp_path / "summary.md"
    assert main(["check", "--site", str(repo), "--since", "HEAD", "--summary", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("## 2 papers as readers will see them\n")
    # every paper file of the change, in path order; nothing else
    order = [
        text.index(s)
        for s in (
            "`content/papers/2025/1707.06347.md` (changed)",
            "`content/papers/2025/hostile.md` (added)",
            "Removed: `content/papers/2025/low-rank.md`",
        )
    ]
    assert order == sorted(order) and "tags.yaml" not in text
    assert "### [Proximal Policy Optimization Algorithms](<https://user.github.io/digest/papers/1707.06347/>)" in text
    assert "**Authors:** John Schulman, Filip Wolski, Prafulla Dhariwal, Alec Radford, Oleg Klimov  \n" in text
    assert (
        "[arXiv 1707\\.06347](<https://arxiv.org/abs/1707.06347>) · [PDF](<https://arxiv.org/pdf/1707.06347>)" in text
    )
    assert "**Tags:** rl, transformers" in text and "**Placement:** featured" in text
    assert ("**Lands in:** issue 2025\\-W46 (2025-11-10 to 2025-11-16), dated 2025-11-12; "
            "published when this pull request is merged") in text
    assert "> A clipped objective that made policy gradients dependable\\." in text
    # untrusted text stays text: no HTML, no headings, links, tables, references or mentions
    hostile = text[text.index("`content/papers/2025/1707.06347.md`"):]
    assert "<img" not in text and "<script" not in text and "&lt;img src\\=x onerror\\=alert\\(1\\)&gt;" in hostile
    assert "\\[click\\]\\(javascript\\:alert\\(1\\)\\)" in hostile and "\\| table \\|" in hostile
    assert "Fixes \\#\u200b3" in hostile and "\\@\u200beveryone" in hostile and "A\\. \\*Star\\*" in hostile
    assert "*\\#\\# not a heading*" in hostile and "> \\# heading" in hostile and "> &lt;script&gt;" in hostile
    assert "[code](<https://github.com/example/x_(y)>)" in hostile
    assert "**Suggested by:** \\@\u200bada\\-reader" in hostile


def test_summary_goes_to_the_github_step_summary_and_names_drafts_and_future_papers(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    step = tmp_path / "step_summary"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    monkeypatch.chdir(repo)
    assert main(["check", "content/papers/2025/draft-paper.md", "content/papers/2025/future-paper.md"]) == 0
    text = step.read_text()
    assert text.startswith("earlier step\n## 2 papers as readers will see them")
    assert "not published while it is a draft (`draft: true`)" in text
    assert "issue 2026\\-W02 (2026-01-05 to 2026-01-11), dated 2026-01-05; published on 2026-01-05, its date" in text


def test_a_broken_entry_is_named_and_the_check_still_fails(repo: Path, tmp_path: Path) -> None:
    (repo / "content/papers/2025/broken.md").write_text("---\ntitle: [unclosed\n---\n")
    out = tmp_path / "summary.md"
    assert main(["check", "--site", str(repo), "--since", "HEAD", "--summary", str(out)]) == 1
    assert (
        "`content/papers/2025/broken.md` (added)\n\nDoes not load (1 error); see the check's annotations."
        in out.read_text()
    )


def test_no_paper_changes_write_no_summary_and_bad_refs_say_so(repo: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "summary.md"
    assert main(["check", "--site", str(repo), "--since", "HEAD", "--summary", str(out)]) == 0
    assert out.read_text() == ""
    assert main(["check", "--site", str(repo), "--since", "no-such-ref"]) == 2
    assert "--since no-such-ref: git diff failed" in capsys.readouterr().err
    assert main(["check", "--site", str(repo), str(tmp_path / "elsewhere.md")]) == 2
    assert "is not inside the site folder" in capsys.readouterr().err
