"""Pull-request checks: what `digestgen check` reports, --strict, --format github, and the CI files we ship."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from digestgen.cli import main

REPO = Path(__file__).resolve().parents[1]

SITE = """\
title: Check Digest
base_url: https://example.org/digest/
timezone: UTC
per_page: 1
search: false
"""


def make_site(root: Path, files: dict[str, str], tags: str | None = None) -> Path:
    (root / "site.yaml").write_text(SITE)
    if tags is not None:
        files = {**files, "content/tags.yaml": tags}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def paper(title: str, extra: str = "", note: str = "") -> str:
    return f"---\ntitle: {title}\ndate: 2025-11-20\n{extra}---\n{note}"


def check(root: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    code = main(["check", "--site", str(root), *flags])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_same_arxiv_id_in_two_files_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_site(tmp_path, {
        "content/papers/2025/a.md": paper("A", 'arxiv: "2511.11002"\n'),
        "content/papers/2025/b.md": paper("B", 'abstract: x\narxiv: "2511.11002v2"\n'),
    })
    code, _, err = check(tmp_path, capsys)
    assert code == 1
    assert ("content/papers/2025/b.md:5:8: arxiv: arXiv 2511.11002 is already in the digest as "
            "content/papers/2025/a.md") in err


def test_links_to_missing_internal_pages_warn_and_fail_with_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_site(
        tmp_path,
        {
            "content/papers/2025/a.md": paper(
                "A",
                "abstract: x\ntags: [t]\n",
                "See [B](/papers/b/), [tag](/tags/t/), [about](/about/).\n\nBut [gone](/papers/gone/) is not here.\n",
            ),
            "content/papers/2025/b.md": paper("B", "abstract: x\ntags: [t]\n"),
            "content/pages/about.md": "---\ntitle: About\n---\nRead [the archive](/issues/) or [page "
                                      "two](/tags/t/page/2/) "
            "or [nothing](/nothing/).\n",
            "content/issues/2025-W47.md": "---\ntitle: Week\n---\n\nStart with [A](/papers/a/), skip "
                                          "[Z](/papers/z/#top).\n",
        },
    )
    code, _, err = check(tmp_path, capsys)
    assert code == 0
    assert err.splitlines() == [
        "content/issues/2025-W47.md:5:1: warning: intro: links to /papers/z/#top, which is not a page of this site",
        "content/pages/about.md:4:1: warning: body: links to /nothing/, which is not a page of this site",
        "content/papers/2025/a.md:9:1: warning: note: links to /papers/gone/, which is not a page of this site",
    ]
    code, _, err = check(tmp_path, capsys, "--strict")
    assert code == 1
    assert "content/papers/2025/a.md:9:1: note: links to /papers/gone/" in err and "warning:" not in err


def test_tags_must_be_in_the_vocabulary_when_there_is_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {"content/papers/2025/a.md": paper("A", "abstract: x\ntags: [vision, robots]\n")}
    make_site(tmp_path, files)
    assert check(tmp_path, capsys)[0] == 0  # no tags.yaml: any well-formed tag is fine
    make_site(tmp_path, files, tags="vision: {name: Vision}\n")
    code, _, err = check(tmp_path, capsys)
    assert code == 1
    assert "content/papers/2025/a.md:5:16: tags.1: 'robots' is not in content/tags.yaml" in err
    assert "'vision'" not in err


def test_suspicious_entries_warn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_site(tmp_path, {
        "content/papers/2025/bare.md": paper("Bare"),
        "content/papers/2025/old.md": "---\ntitle: Old\ndate: 1850-01-01\nabstract: x\n---\n",
        "content/papers/2025/ahead.md": "---\ntitle: Ahead\ndate: 2031-01-01\nabstract: x\n---\n",
        "content/papers/2025/fine.md": paper("Fine", 'authors: [A]\narxiv: "2511.11002"\npublished: 2025-06-01\n'),
        "content/papers/2025/typo.md": paper("Typo", 'authors: [A]\narxiv: "2511.11003"\npublished: 2205-06-01\n'),
    })
    code, out, err = check(tmp_path, capsys)
    assert code == 0 and "4 warnings" in out
    assert "content/papers/2025/typo.md:6:12: warning: published: 2205-06-01 looks implausible" in err
    assert "content/papers/2025/ahead.md:3:7: warning: date: 2031-01-01 looks implausible" in err
    assert "content/papers/2025/old.md:3:7: warning: date: 1850-01-01 looks implausible" in err
    assert "content/papers/2025/bare.md:2:8: warning: title: has neither an abstract nor any link" in err
    assert check(tmp_path, capsys, "--strict")[0] == 1


def test_github_annotations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_site(tmp_path, {
        "content/papers/2025/a.md": paper("A", 'authors: [A]\narxiv: "2511.11002"\n'),
        "content/papers/2025/b,c.md": paper("B", 'authors: [B]\narxiv: "2511.11002"\n'),
        "content/papers/2025/bare.md": paper("Bare"),
    })
    code, out, _ = check(tmp_path, capsys, "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert "::error file=content/papers/2025/b%2Cc.md,line=1,col=1::id: " in lines[0]
    assert any(line.startswith("::warning file=content/papers/2025/bare.md,line=2,col=8::title: has neither")
               for line in lines)
    (tmp_path / "content/papers/2025/b,c.md").unlink()
    code, out, _ = check(tmp_path, capsys, "--format", "github")
    assert code == 0 and out.startswith("::warning file=content/papers/2025/bare.md,line=2,col=8::")
    (tmp_path / "site.yaml").write_text(SITE + "colour: blue\n")
    code, out, _ = check(tmp_path, capsys, "--format", "github")
    assert code == 2 and out.startswith("::error file=site.yaml,line=6,col=1::colour: ")


# --- what a curator copies into a repository ------------------------------------------------------


def test_pre_commit_hook() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    hook = {h["id"]: h for h in hooks}["digestgen-check"]
    assert hook["entry"].startswith("digestgen check") and hook["language"] == "python"
    assert hook["pass_filenames"] is False


def test_example_workflow_checks_pull_requests_and_deploys_main() -> None:
    flow = yaml.safe_load((REPO / "examples/github/workflows/digest.yml").read_text())
    triggers = flow[True]  # YAML 1.1 reads the key 'on' as true
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    check_steps = [s.get("run", "") for s in flow["jobs"]["check"]["steps"]]
    assert any("digestgen check --strict --format github" in run for run in check_steps)
    deploy = flow["jobs"]["deploy"]
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    uses = [s.get("uses", "") for job in flow["jobs"].values() for s in job["steps"]]
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    builds = [
        s.get("run", "") for job in flow["jobs"].values() for s in job["steps"] if "digestgen build" in s.get("run", "")
    ]
    assert builds and "--base-url" in builds[0]


def test_init_writes_the_workflow_and_pull_request_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "new-site"
    assert main(["init", str(site)]) == 0
    for name in ("github/workflows/digest.yml", "github/pull_request_template.md"):
        assert (site / f".{name}").read_text() == (REPO / "examples" / name).read_text()
    template = (site / ".github/pull_request_template.md").read_text()
    assert "digestgen new" in template and "digestgen check" in template
    assert main(["check", "--site", str(site)]) == 0
