"""A site changes colours, fonts and its logo through site.yaml, without overriding a template."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_core import copy_site

from digestgen.cli import main


def _site(tmp_path: Path, settings: str) -> Path:
    site = copy_site("basic", tmp_path / "site")
    (site / "site.yaml").write_text((site / "site.yaml").read_text("utf-8") + settings, "utf-8")
    return site


def test_extra_stylesheets_and_logo_reach_every_page(tmp_path: Path) -> None:
    site = _site(tmp_path, "extra_css: [css/brand.css]\nlogo: images/mark.svg\n")
    (site / "static/css").mkdir(parents=True)
    (site / "static/css/brand.css").write_text(":root { --accent: #b0006a; }\n", "utf-8")
    (site / "static/images").mkdir(parents=True, exist_ok=True)
    (site / "static/images/mark.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', "utf-8")
    assert main(["build", "--site", str(site)]) == 0
    pages = sorted((site / "public").rglob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text("utf-8")
        theme = html.index('/assets/style.css"')
        assert html.index('href="/digest/css/brand.css"') > theme, page  # after the theme: it wins
        assert '<img class="logo" src="/digest/images/mark.svg" alt=""' in html, page
    assert (site / "public/css/brand.css").read_text("utf-8").startswith(":root")


@pytest.mark.parametrize(("settings", "message"), [
    ("extra_css: [css/missing.css]\n", "site.yaml:{line}:13: extra_css.0: static/css/missing.css does not exist"),
    ("logo: images/logo.txt\n", "site.yaml:{line}:7: logo: must be an image"),
    ("extra_css: [../site.yaml]\n", "site.yaml:{line}:13: extra_css.0: must be a path of a file under static/"),
    ("extra_css: [https://cdn.example.org/x.css]\n", "site.yaml:{line}:13: extra_css.0: must be a file under static/"),
])
def test_a_bad_stylesheet_or_logo_is_named_in_site_yaml(tmp_path: Path, settings: str, message: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    site = _site(tmp_path, settings)
    line = len((site / "site.yaml").read_text("utf-8").splitlines())
    assert main(["check", "--site", str(site)]) == 2
    assert message.format(line=line) in capsys.readouterr().err
