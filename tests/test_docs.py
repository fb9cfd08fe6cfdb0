"""The docs cannot drift: their commands run, their examples load, their references are complete.

Every `digestgen` command in a shell block of README.md, CONTRIBUTING.md or docs/ must be one
the command line accepts; the ones that work offline are run, in order, in a new site. Every
site.yaml example loads, every paper example passes `check`, and docs/theming.md names every
block of every template of the default theme.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from helpers_core import REPO

from digestgen.cli import main, make_parser

DOCS = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Commands that need the network, a mail server or run until stopped: their words are checked,
# but they are not run.
NOT_RUN = {"serve", "send", "import", "refresh", "suggest"}


def blocks(kind: str) -> list[tuple[Path, str]]:
    """(file, text) of every fenced block of that language in the docs."""
    found = []
    for doc in DOCS:
        for match in FENCE.finditer(doc.read_text("utf-8")):
            if match.group(1) == kind:
                found.append((doc, match.group(2)))
    return found


def shell_commands() -> list[tuple[Path, list[str]]]:
    """Every `digestgen ...` invocation in a shell block, split into words, redirections cut."""
    commands = []
    for doc, text in blocks("sh"):
        for line in text.splitlines():
            line = line.split(" #", 1)[0].strip()
            for part in re.split(r"&&|\|\||;|\|", line):
                words = shlex.split(part.split(">", 1)[0])
                if words[:1] == ["digestgen"]:
                    commands.append((doc, words[1:]))
    return commands


def test_the_docs_show_commands() -> None:
    names = {words[0] for _, words in shell_commands() if words}
    assert {"init", "serve", "new", "check", "build", "email"} <= names


@pytest.mark.parametrize(
    ("doc", "words"), shell_commands(), ids=lambda v: " ".join(v) if isinstance(v, list) else v.name
)
def test_every_documented_command_is_accepted(doc: Path, words: list[str]) -> None:
    parser = make_parser()
    try:
        parser.parse_args(words)
    except SystemExit as exc:
        pytest.fail(f"{doc.name}: `digestgen {shlex.join(words)}` is refused by the command line ({exc.code})")


def test_the_documented_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """init, new (offline: it writes a template), check, build, email and schema, as written."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGESTGEN_ARXIV_API", "http://127.0.0.1:9/")  # nothing listens: offline
    monkeypatch.setenv("DIGESTGEN_HTTP_TIMEOUT", "2")
    assert main(["init", "my-digest"]) == 0
    monkeypatch.chdir(tmp_path / "my-digest")
    ran = set()
    for _, words in shell_commands():
        if not words or words[0] in NOT_RUN | {"init"} or "..." in " ".join(words):
            continue
        code = main(words)
        out = capsys.readouterr()
        # a documented command may report problems (a template entry to fill in), never crash
        assert code in (0, 1), (words, out.err)
        assert "Traceback" not in out.err
        ran.add(words[0])
    assert {"new", "check", "build"} <= ran


@pytest.mark.parametrize(("doc", "text"), [b for b in blocks("yaml") if re.search(r"^base_url:", b[1], re.MULTILINE)],
                         ids=lambda v: v.name if isinstance(v, Path) else "")
def test_every_site_yaml_example_loads(doc: Path, text: str, tmp_path: Path) -> None:
    from digestgen.config import load_config

    (tmp_path / "site.yaml").write_text(text, "utf-8")
    load_config(tmp_path)  # raises ConfigError with path:line:col on any drift


def test_the_theming_page_names_every_block() -> None:
    """Each row of the templates table lists exactly the blocks its template defines."""
    page = (REPO / "docs" / "theming.md").read_text("utf-8")
    templates = REPO / "themes" / "default" / "templates"
    rows = {}
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            for name in re.findall(r"`([\w/-]+\.\w+)`", cells[0]):
                rows[name] = set(re.findall(r"`(\w+)`", cells[2]))
    for template in sorted(templates.rglob("*")):
        if template.suffix not in (".html", ".txt") or not template.is_file():
            continue
        name = template.relative_to(templates).as_posix()
        defined = set(re.findall(r"\{%-?\s*block\s+(\w+)", template.read_text("utf-8")))
        assert name in rows, f"docs/theming.md does not list {name}"
        assert rows[name] == defined, f"{name}: the docs say {sorted(rows[name])}, the template has {sorted(defined)}"


def _anchors(doc: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    found = set()
    for line in doc.read_text("utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return found


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_relative_link_of_the_docs_resolves(doc: Path) -> None:
    text = FENCE.sub("", doc.read_text("utf-8"))
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        assert file.exists(), f"{doc.name}: {target} does not exist"
        if anchor and file.suffix == ".md":
            assert anchor in _anchors(file), f"{doc.name}: {target}: no heading makes #{anchor}"
