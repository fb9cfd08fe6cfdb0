"""Shared fixtures: sample sites under tests/sites/, built once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers_core import EPOCH, SITES
from helpers_sources import FakeApis, fake_apis


@pytest.fixture(autouse=True, scope="session")
def _pin_today() -> Iterator[None]:
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    yield
    if old is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = old


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Build caches go to a folder of the test run, never the user's cache folder."""
    old = {name: os.environ.pop(name, None) for name in ("XDG_CACHE_HOME", "DIGESTGEN_CACHE_DIR")}
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("user-cache"))
    yield
    for name, value in old.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def basic_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/sites/basic built once into a temporary folder."""
    from digestgen.cli import main

    out = tmp_path_factory.mktemp("basic") / "public"
    assert main(["build", "--site", str(SITES / "basic"), "--output", str(out)]) == 0
    return out

@pytest.fixture
def apis(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApis]:
    """The arXiv, Hugging Face and Crossref APIs, answered from tests/fixtures/ on 127.0.0.1."""
    with fake_apis() as state:
        monkeypatch.setenv("DIGESTGEN_ARXIV_API", state.arxiv)
        monkeypatch.setenv("DIGESTGEN_HF_API", state.hf)
        monkeypatch.setenv("DIGESTGEN_CROSSREF_API", state.crossref)
        yield state


# The theme, browser and HTML-validity tests share one served build of the example digest.
from helpers_theme import example_site  # noqa: F401
