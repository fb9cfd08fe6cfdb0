"""digestgen suggest: a recorded 'issues' event and a local arXiv server -> an entry and the workflow's outputs."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml
from helpers_core import REPO
from helpers_sources import FakeApis

from digestgen.cli import main
from digestgen.content import parse_paper
from digestgen.suggest import parse_form

EVENT = json.loads((Path(__file__).parent / "fixtures/github/issue-labeled.json").read_text())


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return shutil.copytree(Path(__file__).parent / "sites/basic", tmp_path / "site")


def read_outputs(file: Path) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT the way the runner does (name<<DELIMITER ... DELIMITER)."""
    outputs: dict[str, str] = {}
    lines = file.read_text().split("\n")
    i = 0
    while i < len(lines) - 1:
        name, delimiter = lines[i].split("<<", 1)
        end = lines.index(delimiter, i + 1)
        outputs[name] = "\n".join(lines[i + 1 : end])
        i = end + 1
    return outputs


def run_event(site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str | None = None,
              login: str = "ada-reader") -> dict[str, str]:
    event = copy.deepcopy(EVENT)
    if body is not None:
        event["issue"]["body"] = body
    event["issue"]["user"]["login"] = login
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    output = tmp_path / "github_output"
    output.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert main(["suggest", "--event", str(path), "--site", str(site)]) == 0
    return read_outputs(output)


def test_suggestion_becomes_an_entry_and_a_pull_request(site: Path, tmp_path: Path, apis: FakeApis,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = run_event(site, tmp_path, monkeypatch)
    rel = "content/papers/2025/2307.09288.md"
    assert out["action"] == "pr" and out["path"] == rel and out["issue"] == "42"
    assert out["branch"] == "suggest/issue-42-2307.09288"
    assert out["title"] == "Add Llama 2: Open Foundation and Fine-Tuned Chat Models (arXiv 2307.09288)"
    assert out["body"].endswith("Closes #42") and "suggested by @ada-reader in #42" in out["body"]
    assert (
        "[Llama 2\\: Open Foundation and Fine\\-Tuned Chat Models](<https://arxiv.org/abs/2307.09288>)" in out["body"]
    )
    assert f"`{rel}`" in out["body"] and "issue 2025-W48" in out["body"]
    paper, problems = parse_paper(site, rel, dt.timezone.utc, "/")
    assert paper is not None and problems == []
    assert paper.submitted_by == "@ada-reader" and paper.tags == ("transformers", "rl")
    assert paper.authors[0] == "Hugo Touvron" and paper.date == dt.date(2025, 11, 29)
    assert paper.note == ("Open weights at **70B** with a detailed safety section; read section 4 first.\n"
                          "It compares against closed models too.")
    assert "<strong>70B</strong>" in paper.note_html
    assert [p for p, _ in apis.requests] == ["/arxiv/query?id_list=2307.09288&max_results=1"]
    assert main(["check", "--site", str(site), "--strict"]) == 0


def test_duplicate_gets_a_comment_with_the_papers_url(
    site: Path, tmp_path: Path, apis: FakeApis, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = (
        "### arXiv id or link\n\narXiv:1706.03762v7\n\n### Why it matters\n\nA classic.\n\n### Tags\n\n_No response_\n"
    )
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    out = run_event(site, tmp_path, monkeypatch, body)
    assert out["action"] == "comment" and out["close"] == "true" and out["branch"] == ""
    assert "already in the digest: https://user.github.io/digest/papers/1706.03762/" in out["body"]
    assert "`content/papers/2025/1706.03762.md`" in out["body"] and "@ada-reader" in out["body"]
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before and apis.requests == []


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("### arXiv id or link\n\n_No response_\n", 'no answer under "arXiv id or link"'),
        ("Please add Llama 2, thanks", 'no answer under "arXiv id or link"'),
        ("### arXiv id or link\n\n2307.092\n", "`2307.092` is not an arXiv id or link"),
        (
            "### arXiv id or link\n\nsee `this` <b>paper</b> 2307.09288\n",
            "``see `this` <b>paper</b> 2307.09288`` is not an arXiv id",
        ),
        (
            "### arXiv id or link\n\n2307.09288\n\n### Tags\n\nrobots, rl\n",
            "This tag is not used in this digest: `robots`. Tags it knows: `rl`, `transformers`, `vision`.",
        ),
        ("### arXiv id or link\n\n2307.09288\n\n### Tags\n\nRL_agents\n", "`rl_agents` is not a tag"),
        ("### arXiv id or link\n\n2501.99999\n", "The arXiv API does not know `2501.99999`"),
    ],
)
def test_bad_answers_get_a_comment_saying_what_is_wrong(
    site: Path, tmp_path: Path, apis: FakeApis, monkeypatch: pytest.MonkeyPatch, answer: str, expected: str
) -> None:
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    out = run_event(site, tmp_path, monkeypatch, answer)
    assert out["action"] == "comment" and out["close"] == "false"
    assert expected in out["body"] and out["body"].startswith("Thanks for the suggestion, @ada-reader!")
    assert "edit the issue" in out["body"]
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before


def test_odd_logins_get_no_credit_line_and_the_reason_is_capped(site: Path, tmp_path: Path, apis: FakeApis,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    reason = "x\x1b[31m" + "word " * 2000
    body = f"### arXiv id or link\n\n2307.09288\n\n### Why it matters\n\n{reason}\n"
    out = run_event(site, tmp_path, monkeypatch, body, login="renovate[bot]")
    assert out["action"] == "pr" and "suggested in #42." in out["body"]
    paper, _ = parse_paper(site, out["path"], dt.timezone.utc, "/")
    assert paper is not None and paper.submitted_by is None
    assert paper.note is not None and len(paper.note) <= 5002 and "\x1b" not in paper.note


def test_form_parsing_follows_reworded_labels() -> None:
    body = ("### Which paper? (arXiv)\r\n\r\n 2511.11002 \r\n\r\n### Reason\r\n\r\nline one\r\n\r\nline two\r\n"
            "### Tags (optional)\r\n\r\n_No response_\r\n### Something else\r\n\r\nignored\r\n")
    assert parse_form(body) == {"paper": "2511.11002", "reason": "line one\n\nline two", "tags": ""}


def test_not_an_issues_event(site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = tmp_path / "push.json"
    event.write_text(json.dumps({"ref": "refs/heads/main"}))
    assert main(["suggest", "--event", str(event), "--site", str(site)]) == 2
    assert "not an issues event" in capsys.readouterr().err


def test_init_writes_the_issue_form_and_the_suggest_workflow(tmp_path: Path) -> None:
    site = tmp_path / "new-site"
    assert main(["init", str(site)]) == 0
    for name in ("github/ISSUE_TEMPLATE/suggest-paper.yml", "github/workflows/suggest.yml"):
        assert (site / f".{name}").read_text() == (REPO / "examples" / name).read_text()
    form = yaml.safe_load((site / ".github/ISSUE_TEMPLATE/suggest-paper.yml").read_text())
    labels = [item["attributes"]["label"] for item in form["body"] if item["type"] != "markdown"]
    assert parse_form("".join(f"### {label}\n\nanswer {i}\n\n" for i, label in enumerate(labels))) == {
        "paper": "answer 0", "reason": "answer 1", "tags": "answer 2"}
    flow = yaml.safe_load((site / ".github/workflows/suggest.yml").read_text())
    assert flow[True] == {"issues": {"types": ["labeled"]}} and flow["permissions"] == {}
    job = flow["jobs"]["draft"]
    assert "github.event.label.name == 'accepted'" in job["if"]
    steps = job["steps"]
    assert all(
        s["with"]["persist-credentials"] is False for s in steps if s.get("uses", "").startswith("actions/checkout")
    )
    assert all("${{" not in s.get("run", "") for s in steps)  # untrusted values reach run: only through env
    assert any('digestgen suggest --event "$GITHUB_EVENT_PATH"' in s.get("run", "") for s in steps)
