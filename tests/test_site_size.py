"""The warning of a site near or over what GitHub Pages publishes (1 GB), with the settings
that cut it: decided from the bytes the build wrote, without writing a gigabyte."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers_core import EPOCH, copy_site
from helpers_theme import epoch

from digestgen import site_size
from digestgen.cli import main
from digestgen.config import SiteConfig, load_config
from digestgen.options import BuildOptions
from digestgen.site_size import size_warning


def config_of(tmp_path: Path, settings: str = "") -> SiteConfig:
    """The basic site's config with settings (lines of site.yaml) in place of its own."""
    site = copy_site("basic", tmp_path / "site")
    names = {line.split(":")[0] for line in settings.splitlines()}
    kept = [line for line in (site / "site.yaml").read_text("utf-8").splitlines() if line.split(":")[0] not in names]
    (site / "site.yaml").write_text("\n".join(kept) + "\n" + settings, "utf-8")
    return load_config(site, BuildOptions())


def unread() -> SiteConfig:
    raise AssertionError("a small site's settings are not read")


def test_a_site_well_under_the_limit_gets_no_warning_and_reads_nothing() -> None:
    assert size_warning(10**6, 100, unread) is None
    assert size_warning(699, 100, unread, limit=1000) is None


def test_near_the_limit_it_says_so_and_names_the_biggest_cut_first(tmp_path: Path) -> None:
    config = config_of(tmp_path, "social_images: all\nsearch: true\n")
    warning = size_warning(850_000_000, 40_000, lambda: config)
    assert warning is not None and warning.severity == "warning"
    assert warning.format() == (
        "public: warning: size: 850 MB of files, near the 1 GB GitHub Pages publishes; what cuts most: "
        "social_images: issues (now all) saves about 20.4 MB per 1,000 papers (816 MB here); "
        "author_pages: 5 (now 3) saves about 3.5 MB per 1,000 papers (140 MB here); "
        "search: false saves about 2.4 MB per 1,000 papers (96 MB here) (docs/performance.md#output-size)"
    )
    assert warning.github().startswith("::warning::public: size: 850 MB of files, near the 1 GB")


def test_over_the_limit_with_the_cuts_made_already(tmp_path: Path) -> None:
    config = config_of(tmp_path, "social_images: none\nauthor_pages: 8\n")  # (the basic site has search: false)
    warning = size_warning(1_200_000_000, 90_000, lambda: config)
    assert warning is not None
    assert warning.message == ("1.2 GB of files, over the 1 GB GitHub Pages publishes; the settings that cut most "
                               "are set already (docs/performance.md#output-size)")
    assert size_warning(790_000_000, 90_000, lambda: config) is None  # read, but under the warning's share


def test_the_search_index_counts_though_the_build_does_not_count_it(tmp_path: Path) -> None:
    config = config_of(tmp_path, "search: true\n")
    assert size_warning(750, 10, lambda: config, limit=1000) is None  # no index yet: 750 B is not near 1 KB
    (config.output / "pagefind").mkdir(parents=True)
    (config.output / "pagefind" / "index.pf").write_bytes(b"x" * 150)
    assert site_size.pagefind_bytes(config.output) == 150
    near = size_warning(750, 10, lambda: config, limit=1000)
    assert near is not None and near.message.startswith("1 KB of files, near the 1 KB")
    (config.output / "pagefind" / "more.pf").write_bytes(b"x" * 300)
    over = size_warning(750, 10, lambda: config, limit=1000)
    assert over is not None and ", over the 1 KB" in over.message and "search: false saves" in over.message


def test_build_shows_the_warning_like_its_other_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_site("basic", tmp_path / "site")
    monkeypatch.setattr(site_size, "GITHUB_PAGES_LIMIT", 50_000)  # a small site is over this one
    with epoch(EPOCH):
        assert main(["build", "--site", str(site)]) == 0
        first = capsys.readouterr()
        assert main(["build", "--site", str(site)]) == 0  # nothing to do: the same warning again
        again = capsys.readouterr()
        # (--strict fails on warnings about the sources; another host may take a bigger site)
        assert main(["build", "--strict", "--site", str(site), "--output", str(tmp_path / "strict")]) == 0
        assert "strict: warning: size: " in capsys.readouterr().err  # named after its output folder
    shown = [line for line in first.err.splitlines() if line.startswith("public: warning: size: ")]
    assert len(shown) == 1 and ", over the 50 KB GitHub Pages publishes; what cuts most: author_pages: 5" in shown[0]
    assert re.match(r"public: warning: size: \d+ KB of files, over", shown[0])
    assert "built " in first.out and shown[0] in again.err.splitlines()
