"""The search index: Pagefind runs over the finished output folder before it is swapped in.

Only paper pages are indexed (their templates mark the record with data-pagefind-body, the
tag filter with data-pagefind-filter and the sort keys with data-pagefind-sort). The bundle
lands in <output>/pagefind/; the search page loads it relative to base_url, so a site under
a subpath works. Pagefind's own UI bundles are removed: the theme brings a small search page
built on pagefind.js.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
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


def run(folder: Path, language: str, bundle: Path | None = None, background: bool = False,
        started: Callable[[subprocess.Popen[str]], object] | None = None) -> None:
    """Run Pagefind over folder; the bundle goes to folder/pagefind, or to bundle (a folder of
    its own, which digestgen serve puts in place when it is complete). background: at a lower
    CPU priority, so that it does not slow down the next rebuild. started: told of the process
    (serve ends it when it stops).

    Pagefind dies with the build: it is killed when the build's process ends however it ends
    (the kernel's parent-death signal, set before Pagefind starts: _dying_with_us), and at once
    when the build stops waiting for it (an interrupt, a timeout). The bundle it leaves is checked (verify)
    before the caller publishes it: Pagefind exits 0 on a full disk, leaving empty files.
    """
    # Pagefind also reads PAGEFIND_* variables and a pagefind.yml in its working folder: neither
    # may change what a build of this site produces.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAGEFIND_")}
    pages = _paper_pages(folder)
    try:
        with subprocess.Popen(_dying_with_us(command(folder, language, bundle)), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=folder, stdin=subprocess.DEVNULL) as proc:
            if background and hasattr(os, "setpriority"):
                with contextlib.suppress(OSError):  # Pagefind's processes and threads inherit it
                    os.setpriority(os.PRIO_PROCESS, proc.pid, 10)
            if started is not None:
                started(proc)
            try:
                out, err = proc.communicate(timeout=TIMEOUT)
            except BaseException:  # a timeout, an interrupt: never leave it writing into the folder
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
    # serve indexes a folder its rebuilds may change meanwhile: then the count cannot be known
    verify(bundle, pages if _paper_pages(folder) == pages else None)


def _paper_pages(folder: Path) -> int:
    return sum(1 for _ in folder.glob(PAPER_PAGES))


ENTRY = "pagefind-entry.json"


def verify(bundle: Path, pages: int | None) -> None:
    """Refuse a search bundle that would not work: its entry file parses, every file it names
    (each language's metadata and WebAssembly) and every other file of the bundle exists and
    is not empty, and it indexed every page it was given (pages, when known)."""

    def broken(why: str) -> SearchIndexError:
        return SearchIndexError(f"search index: Pagefind left a broken bundle ({why}); nothing was published "
                                "(is the disk full?)")

    try:
        entry = json.loads((bundle / ENTRY).read_bytes())
        languages = entry["languages"]
        named = ["pagefind.js", *(name for lang in languages.values()
                                  for name in (f"pagefind.{lang['hash']}.pf_meta", f"wasm.{lang['wasm']}.pagefind"))]
        counted = sum(int(lang["page_count"]) for lang in languages.values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise broken(f"{BUNDLE}/{ENTRY} cannot be read: {exc}") from None
    for name in named:
        if not (bundle / name).is_file():
            raise broken(f"{BUNDLE}/{ENTRY} names {name}, which is missing")
    for path in sorted(bundle.rglob("*")):
        if path.is_file() and path.stat().st_size == 0:
            raise broken(f"{BUNDLE}/{path.relative_to(bundle).as_posix()} is empty")
    if pages is not None and counted != pages:
        raise broken(f"it indexed {counted} pages of {pages}")


# Run first in Pagefind's process: have the kernel kill it when the build's process ends
# (Linux prctl PR_SET_PDEATHSIG, kept across exec), unless the build is gone already; then
# become Pagefind (whose launcher execs its binary, which keeps the setting too).
_DIE_WITH_PARENT = """import ctypes, os, sys
ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)
if os.getppid() != int(sys.argv[1]):
    os._exit(1)
os.execv(sys.argv[2], sys.argv[2:])
"""


def _dying_with_us(argv: list[str]) -> list[str]:
    """argv, started so that it dies when this process does (where the system offers it)."""
    if not sys.platform.startswith("linux"):
        return argv
    return [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *argv]
