"""What a curator copies into a repository: the files `init` writes, the examples, the release path."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from digestgen import REPOSITORY, __version__
from digestgen.cli import main

REPO = Path(__file__).resolve().parents[1]
ZIZMOR = Path(sys.executable).with_name("zizmor")
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)@(?P<sha>[0-9a-f]{40})$")


@pytest.fixture(scope="module")
def new_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("init") / "digest"
    assert main(["init", str(site)]) == 0
    return site


def shipped_workflows(new_site: Path) -> list[Path]:
    """Every GitHub workflow digestgen ships: what init writes, the examples, this repository's own."""
    found = [*new_site.glob(".github/workflows/*.yml"), *REPO.glob("examples/**/workflows/*.yml"),
             *REPO.glob(".github/workflows/*.yml")]
    assert len(found) >= 3
    return sorted(found)


def test_examples_are_what_init_writes(new_site: Path) -> None:
    examples = [p for p in (REPO / "examples").rglob("*") if p.is_file() and "deploy" not in p.parts]
    assert examples
    for example in examples:
        rel = example.relative_to(REPO / "examples").as_posix()
        written = new_site / (rel.replace("github/", ".github/", 1) if rel.startswith("github/") else rel)
        assert written.read_text() == example.read_text(), f"examples/{rel} differs from what init writes"


def test_init_pins_digestgen_to_its_own_version_in_one_place(new_site: Path) -> None:
    pins = [line for line in (new_site / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    assert pins == [f"digestgen @ git+{REPOSITORY}@v{__version__}"]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["urls"]["Source"] == REPOSITORY and project["version"] == __version__
    flows = [p for p in shipped_workflows(new_site) if p.name != "release.yml"]
    for flow in flows:
        text = flow.read_text()
        installs = re.findall(r"pip install[^\n]*", text)
        assert installs and all(line == "pip install -r requirements.txt" for line in installs), (flow, installs)
        assert "digestgen>=" not in text and "git+" not in text  # the version lives in requirements.txt only


def test_shipped_workflows_pass_zizmor(new_site: Path) -> None:
    """No finding of any severity, offline, in the most demanding persona."""
    files = [str(p) for p in shipped_workflows(new_site)] + [str(new_site / ".github/dependabot.yml")]
    done = subprocess.run(
        [
            str(ZIZMOR),
            "--offline",
            "--strict-collection",
            "--persona",
            "auditor",
            "--no-progress",
            "--format",
            "plain",
            "--color",
            "never",
            *files,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout


def test_actions_are_pinned_to_one_release_commit_each(new_site: Path) -> None:
    commit_of: dict[str, tuple[str, str]] = {}
    for flow in shipped_workflows(new_site):
        text = flow.read_text()
        for job in yaml.safe_load(text)["jobs"].values():
            for step in job["steps"]:
                if "uses" not in step:
                    continue
                match = PINNED.match(step["uses"])
                assert match, f"{flow.name}: {step['uses']} is not pinned to a commit"
                tag = re.search(re.escape(step["uses"]) + r"  # (v\d+\.\d+\.\d+)\n", text)
                assert tag, f"{flow.name}: {step['uses']} has no '  # vX.Y.Z' comment naming its release"
                repo = "/".join(match["action"].split("/")[:2])
                seen = commit_of.setdefault(repo, (match["sha"], tag[1]))
                assert seen == (match["sha"], tag[1]), f"{flow.name}: {repo} pinned differently elsewhere"
        checkouts = [s for job in yaml.safe_load(text)["jobs"].values() for s in job["steps"]
                     if str(s.get("uses", "")).startswith("actions/checkout@")]
        assert all(s["with"]["persist-credentials"] is False for s in checkouts)


def test_deploy_keeps_its_build_cache_away_from_pull_requests(new_site: Path) -> None:
    flow = yaml.safe_load((new_site / ".github/workflows/digest.yml").read_text())
    assert flow["permissions"] == {}
    check, deploy = flow["jobs"]["check"], flow["jobs"]["deploy"]
    assert not any("cache" in str(step.get("uses", "")) for step in check["steps"])
    assert "github.event_name != 'pull_request'" in deploy["if"] and "refs/heads/main" in deploy["if"]
    steps = deploy["steps"]
    names = [str(s.get("uses", s.get("run", ""))).split("@")[0] for s in steps]
    assert names.index("actions/cache/restore") < names.index(
        "digestgen build --base-url \"$BASE_URL/\"") < names.index("actions/cache/save")
    restore = steps[names.index("actions/cache/restore")]
    save = steps[names.index("actions/cache/save")]
    assert "hashFiles('requirements.txt')" in restore["with"]["key"]  # the digestgen version is part of the key
    build = steps[names.index("digestgen build --base-url \"$BASE_URL/\"")]
    upload = steps[names.index("actions/upload-pages-artifact")]
    # one entry holds the cache folder the build uses, outside the checkout, and the site it
    # published, where the next build looks for the last output (tests/test_cache_restore.py)
    folder = build["env"]["DIGESTGEN_CACHE_DIR"]
    assert folder.startswith("${{ runner.temp }}/") and upload["with"]["path"] == "public"
    assert restore["with"]["path"].splitlines() == save["with"]["path"].splitlines() == [folder, "public"]
    assert save["if"] == "steps.cache.outputs.cache-hit != 'true'"


def test_links_are_checked_daily_and_their_answers_kept_by_that_job_alone(new_site: Path) -> None:
    links = yaml.safe_load((new_site / ".github/workflows/digest.yml").read_text())["jobs"]["links"]
    assert "github.event_name != 'pull_request'" in links["if"] and "refs/heads/main" in links["if"]
    check = next(s for s in links["steps"] if s.get("run") == "digestgen check --links --format github")
    caches = [s for s in links["steps"] if "actions/cache/" in s.get("uses", "")]
    assert [s["with"]["path"] for s in caches] == [check["env"]["DIGESTGEN_CACHE_DIR"] + "/links.json"] * 2


def test_release_workflow_builds_tests_and_publishes_tags_with_trusted_publishing() -> None:
    flow = yaml.safe_load((REPO / ".github/workflows/release.yml").read_text())
    assert "v*" in flow[True]["push"]["tags"]  # YAML 1.1 reads the key 'on' as true
    build, publish = flow["jobs"]["build"], flow["jobs"]["publish"]
    assert any(".ci/release-check --tests" in s.get("run", "") for s in build["steps"])
    assert build["permissions"] == {"contents": "read"}
    assert publish["permissions"] == {"id-token": "write"} and publish["needs"] == "build"
    assert "refs/tags/v" in publish["if"] and publish["environment"]["name"] == "pypi"
    assert any(s.get("uses", "").startswith("pypa/gh-action-pypi-publish@") for s in publish["steps"])
    assert "release-check" in (REPO / ".ci/run").read_text()


def test_readme_starts_with_commands_that_work_in_a_virtual_environment() -> None:
    readme = (REPO / "README.md").read_text()
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert block[0].startswith("python3 -m venv .venv && . .venv/bin/activate && pip install . && digestgen build")
    assert "pip install -e '.[test]' && python -m pytest" in block[1]
    assert "pip install digestgen " not in readme and f"git+{REPOSITORY}@v{__version__}" in readme
