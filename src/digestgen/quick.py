"""A build with nothing to do, told before the rest of digestgen is imported.

Most of a no-change build from the command line was Python importing the YAML reader, the
validation models, Markdown and Jinja (about four fifths of it at 10,000 papers), only to find
that the inputs' fingerprint had not changed. So each build from the command line leaves a
small record beside its state in the cache (`Stamp`): the bytes of site.yaml it read, the
options, digestgen's code, the theme's files, the stats of every source and the output's
manifest. A build whose inputs all match that record, in a day and before a moment at which
nothing is published, has nothing to do; it says so from the record, with the warnings and
counts of the build that made it. Anything else (a record that is missing, stale or
unreadable) is simply the usual build, which compares the same inputs again.

A record can only ever stop a build that would have changed nothing: it never changes what a
build writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digestgen import __version__
from digestgen.errors import Problem
from digestgen.filestats import tree_stats
from digestgen.hashes import code_fingerprint, content_hash, hexhash, theme_fingerprint
from digestgen.options import BuildOptions, now_seconds
from digestgen.output import build_lock
from digestgen.result import BuildResult
from digestgen.stamps import WATCHED, cache_folder, write_quietly

if TYPE_CHECKING:
    from digestgen.cache import BuildState
    from digestgen.config import SiteConfig
    from digestgen.site import SiteModel

RACY_NS = 2_000_000_000  # a source is trusted by its stat once its times are this much older than the look
_VERSION = 1


@dataclass(frozen=True)
class Stamp:
    """What a build from the command line was made of, and what it said."""

    code: str  # digestgen's version and code_fingerprint
    site_yaml: str  # content hash of site.yaml's bytes
    options: str  # repr of the BuildOptions
    since: float  # the build's day began (POSIX seconds, in the site's timezone)
    until: float  # the day ends, or the next issue is published if sooner: the output is stale then
    themes: list[str]  # the folders of templates and theme files in use, most specific first
    theme: str  # theme_fingerprint of those folders
    sources: str  # stats_digest of the sources
    looked_ns: int  # when those stats were taken
    output: str  # the output folder (absolute)
    manifest: str  # manifest.folder_mark of the output folder after the build
    summary: dict[str, int]
    warnings: list[Problem]
    next_issue: str
    placeholder: Problem | None = None  # config.placeholder_warning of the site


def code_stamp() -> str:
    return f"{__version__} {code_fingerprint()}"


def stats_digest(stats: list[tuple[str, tuple[int, int, int, int]]]) -> str:
    return hexhash(stats)


def _path(root: Path, options: BuildOptions) -> Path | None:
    folder = cache_folder(root)
    site = root.resolve()
    if folder.is_relative_to(site) or folder.is_relative_to(root.absolute()):
        return None  # never read from the site (see cache.py)
    return folder / f"quick-{hexhash(str(site), repr(options))[:16]}.json"


def save(root: Path, options: BuildOptions, stamp: Stamp) -> None:
    """Keep the record of a build (quietly not, when the cache folder cannot be written)."""
    path = _path(root, options)
    if path is None:
        return
    body = json.dumps(dataclasses.asdict(stamp), ensure_ascii=False, sort_keys=True)
    write_quietly(path, json.dumps([_VERSION, content_hash(body.encode("utf-8")), body]))


def _read(path: Path) -> Stamp | None:
    try:
        version, checksum, body = json.loads(path.read_text("utf-8"))
        if version != _VERSION or content_hash(body.encode("utf-8")) != checksum:
            return None
        fields: dict[str, Any] = json.loads(body)
        fields["warnings"] = [Problem(**problem) for problem in fields["warnings"]]
        if fields["placeholder"] is not None:
            fields["placeholder"] = Problem(**fields["placeholder"])
        stamp = Stamp(**fields)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return stamp


def recorded(root: Path, options: BuildOptions) -> Stamp | None:
    """The record of the last build from the command line with these options, if any."""
    path = _path(root, options)
    return _read(path) if path is not None else None


def holds(stamp: Stamp, root: Path, options: BuildOptions) -> bool:
    """Nothing the recorded build was made of has changed since."""
    try:
        site_yaml = (root / "site.yaml").read_bytes()
    except OSError:
        return False
    if (stamp.code != code_stamp() or stamp.site_yaml != content_hash(site_yaml) or stamp.options != repr(options)
            or not stamp.since <= now_seconds() < stamp.until):
        return False
    stats = tree_stats(root.resolve(), WATCHED)
    newest = max((max(st[1], st[2]) for _, st in stats), default=0)
    if newest >= stamp.looked_ns - RACY_NS or stats_digest(stats) != stamp.sources:
        return False
    if theme_fingerprint(Path(folder) for folder in stamp.themes) != stamp.theme:
        return False
    from digestgen.manifest import folder_mark

    return folder_mark(Path(stamp.output)) == stamp.manifest


def unchanged_build(root: Path, options: BuildOptions) -> BuildResult | None:
    """What the last build from the command line into the same folder said, when nothing it was
    made of has changed since (None: build). Imports none of the stages."""
    started = time.perf_counter()
    stamp = recorded(root, options)
    if stamp is None:
        return None
    with build_lock(Path(stamp.output)):  # (a build under way finishes first)
        if not holds(stamp, root, options):
            return None

    def loader() -> SiteModel:
        from digestgen.cache import Cache
        from digestgen.config import load_config
        from digestgen.load import load_site

        return load_site(load_config(root, options), Cache(root))[0]

    return BuildResult.unchanged(stamp.summary, stamp.warnings, time.perf_counter() - started, loader,
                                 stamp.next_issue, stamp.placeholder)


def record(config: SiteConfig, looked: int, sources_digest: str, state: BuildState) -> None:
    """Keep the record of this build for the next one to tell quickly that nothing changed."""
    from digestgen.config import placeholder_warning
    from digestgen.plan import theme_folders

    folders = theme_folders(config)
    day = dt.datetime.combine(config.today, dt.time(), config.tz)
    until = (day + dt.timedelta(days=1)).timestamp()
    save(config.root, config.options, Stamp(
        code_stamp(), content_hash((config.root / "site.yaml").read_bytes()), repr(config.options),
        day.timestamp(), min(until, state.until) if state.until > 0 else until, [str(f) for f in folders],
        theme_fingerprint(folders), sources_digest, looked, str(config.output), state.manifest, state.summary,
        state.warnings, state.next_issue, placeholder_warning(config)))
