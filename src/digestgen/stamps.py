"""Where the build cache lives and which folders hold a site's sources: what a build with
nothing to do needs (see quick.py), apart from cache.py, which knows the content's records.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from digestgen.hashes import hexhash

CACHE_ENV = "DIGESTGEN_CACHE_DIR"
WATCHED = ["content", "static", "templates", "themes"]  # the site's folders of sources (and site.yaml)


def cache_folder(root: Path) -> Path:
    """Where the build cache of the site at root lives: $DIGESTGEN_CACHE_DIR, else a folder of
    the user's cache folder named after the site's absolute path (never inside the site)."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(chosen).expanduser().absolute()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    site = root.resolve()
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", site.name)[:40].strip(".-") or "site"
    return Path(base).absolute() / "digestgen" / "sites" / f"{name}-{hexhash(str(site))[:16]}"


def write_quietly(path: Path, text: str) -> None:
    """Write a small file of the cache atomically; quietly not where its folder cannot be written
    (a read-only cache only costs time)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, "utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
