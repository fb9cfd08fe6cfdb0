"""The search index: Pagefind runs over the finished output folder before it is swapped in.

Only paper pages are indexed (their templates mark the record with data-pagefind-body, the
tag filter with data-pagefind-filter and the sort keys with data-pagefind-sort). The bundle
lands in <output>/pagefind/; the search page loads it relative to base_url, so a site under
a subpath works. Pagefind's own UI bundles are removed: the theme brings a small search page
built on pagefind.js.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen.errors import DigestgenError

if TYPE_CHECKING:
    from digestgen.site import SiteModel

BUNDLE = "pagefind"
PAPER_PAGES = "papers/*/index.html"
# Files Pagefind writes for its optional UIs; the theme's search page does not use them.
UNUSED_PREFIXES = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.", "pagefind-highlight.")
TIMEOUT = 300


class SearchIndexError(DigestgenError):
    """Pagefind could not index the site."""


def command(folder: Path, language: str, bundle: Path | None = None) -> list[str]:
    """The Pagefind command line (the binary shipped by the pagefind[bin] package)."""
    return [
        sys.executable, "-m", "pagefind",
        "--site", str(folder),
        "--glob", PAPER_PAGES,
        *(["--output-path", str(bundle)] if bundle is not None else ["--output-subdir", BUNDLE]),
        "--force-language", language.split("-")[0].lower(),
        "--exclude-selectors", "annotation",  # index math as the reader sees it, not its LaTeX source
        "--silent",
    ]


def index(folder: Path, model: SiteModel) -> None:
    """Write the Pagefind bundle for the paper pages in folder into folder/pagefind."""
    if model.papers:
        run(folder, model.config.fields.language)


def run(folder: Path, language: str, bundle: Path | None = None, background: bool = False) -> None:
    """Run Pagefind over folder; the bundle goes to folder/pagefind, or to bundle (a folder of
    its own, which digestgen serve puts in place when it is complete). background: at a lower
    CPU priority, so that it does not slow down the next rebuild."""
    # Pagefind also reads PAGEFIND_* variables and a pagefind.yml in its working folder: neither
    # may change what a build of this site produces.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}
    try:
        with subprocess.Popen(command(folder, language, bundle), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env, cwd=folder, stdin=subprocess.DEVNULL) as proc:
            if background and hasattr(os, "setpriority"):
                with contextlib.suppress(OSError):  # Pagefind's processes and threads inherit it
                    os.setpriority(os.PRIO_PROCESS, proc.pid, 10)
            try:
                out, err = proc.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                raise
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SearchIndexError(f"search index: could not run Pagefind ({exc}); set 'search: false' in site.yaml "
                               "to build without search") from None
    bundle = bundle or folder / BUNDLE
    if proc.returncode != 0 or not (bundle / "pagefind.js").is_file():
        detail = (err or out).strip().splitlines()
        raise SearchIndexError("search index: Pagefind failed" + (f": {detail[-1]}" if detail else "") +
                               "; set 'search: false' in site.yaml to build without search")
    for item in sorted(bundle.iterdir()):
        if item.name.startswith(UNUSED_PREFIXES):
            shutil.rmtree(item) if item.is_dir() else item.unlink()
