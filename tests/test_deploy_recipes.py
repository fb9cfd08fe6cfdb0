"""The deploy recipes of examples/deploy/: their files parse, name the build command and publish
folder, and their commands, run as the platform runs them, build with the right base_url."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from digestgen.cli import main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
RECIPES = REPO / "examples/deploy"


@pytest.fixture
def platform(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A new site, and an environment where pip installs nothing (digestgen is already here) and
    rsync only says what it was asked to do."""
    site = tmp_path / "digest"
    assert main(["init", str(site), "--base-url", "https://digest.example.org/papers/"]) == 0
    yaml_text = (site / "site.yaml").read_text().replace("search: true", "search: false")
    (site / "site.yaml").write_text(yaml_text)
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "python").write_text(
        f'#!/bin/sh\n[ "$1 $2" = "-m pip" ] && exit 0\nexec {shlex.quote(sys.executable)} "$@"\n'
    )
    (shims / "rsync").write_text(f'#!/bin/sh\necho "$@" > {shlex.quote(str(tmp_path / "rsync.args"))}\n')
    for shim in shims.iterdir():
        shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{shims}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return site, env


def built_with(site: Path, base_url: str) -> bool:
    """The built home page names base_url as its address (every absolute link is made from it)."""
    home = (site / "public/index.html").read_text()
    return f'<link rel="canonical" href="{base_url}">' in home


def run(command: str, site: Path, env: dict[str, str], **extra: str) -> None:
    done = subprocess.run(
        ["sh", "-c", command], cwd=site, env={**env, **extra}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_gitlab_pages(platform: tuple[Path, dict[str, str]]) -> None:
    ci = yaml.safe_load((RECIPES / "gitlab/.gitlab-ci.yml").read_text())
    pages = ci["pages"]
    assert pages["artifacts"]["paths"] == ["public"]
    assert pages["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    assert ci["check"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert any("digestgen check --strict" in line for line in ci["check"]["script"])
    site, env = platform
    run(" && ".join(pages["script"]), site, env, CI_PAGES_URL="https://group.gitlab.io/digest")
    assert built_with(site, "https://group.gitlab.io/digest/")


def test_netlify(platform: tuple[Path, dict[str, str]]) -> None:
    config = tomllib.loads((RECIPES / "netlify/netlify.toml").read_text())
    assert config["build"]["publish"] == "public"
    assert config["build"]["environment"]["PYTHON_VERSION"]
    site, env = platform
    run(config["build"]["command"], site, env, URL="https://digest.netlify.app")
    assert built_with(site, "https://digest.netlify.app/")
    for context in ("deploy-preview", "branch-deploy"):
        run(config["context"][context]["command"], site, env, URL="https://digest.netlify.app",
            DEPLOY_PRIME_URL=f"https://{context}--digest.netlify.app")
        assert built_with(site, f"https://{context}--digest.netlify.app/")


def test_cloudflare_pages(platform: tuple[Path, dict[str, str]]) -> None:
    config = tomllib.loads((RECIPES / "cloudflare-pages/wrangler.toml").read_text())
    assert config["pages_build_output_dir"] == "public" and config["name"]
    assert "sh build.sh" in (RECIPES / "cloudflare-pages/wrangler.toml").read_text()
    site, env = platform
    script = str(RECIPES / "cloudflare-pages/build.sh")
    run(f"sh {shlex.quote(script)}", site, env, CF_PAGES="1", CF_PAGES_BRANCH="main",
        CF_PAGES_URL="https://1a2b3c.my-digest.pages.dev")
    assert built_with(site, "https://digest.example.org/papers/")  # production: site.yaml's base_url
    run(f"sh {shlex.quote(script)}", site, env, CF_PAGES="1", CF_PAGES_BRANCH="new-papers",
        CF_PAGES_URL="https://1a2b3c.my-digest.pages.dev")
    assert built_with(site, "https://1a2b3c.my-digest.pages.dev/")


def test_plain_server_with_rsync(platform: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    site, env = platform
    script = shlex.quote(str(RECIPES / "rsync/deploy.sh"))
    missing = subprocess.run(["sh", script], cwd=site, env=env, capture_output=True, text=True, check=False)
    assert missing.returncode != 0 and "DEPLOY_TARGET" in missing.stderr
    run(f"sh {script}", site, env, DEPLOY_TARGET="www@example.org:/var/www/digest/")
    assert built_with(site, "https://digest.example.org/papers/")
    args = (tmp_path / "rsync.args").read_text().split()
    assert args[-2:] == ["public/", "www@example.org:/var/www/digest/"]
    assert {"--delete-after", "--delay-updates", "--archive"} <= set(args)
    run(f"sh {script}", site, env, DEPLOY_TARGET="staging:/srv/digest/", BASE_URL="https://staging.example.org/")
    assert built_with(site, "https://staging.example.org/")
