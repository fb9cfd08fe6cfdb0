"""Build the site into its output folder (public/ by default)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen.commands.common import add_site_options, report, say, site_options

if TYPE_CHECKING:
    from digestgen.config import SiteConfig

HELP = "build the site"


def configure(parser: argparse.ArgumentParser) -> None:
    add_site_options(parser)
    parser.add_argument("--output", "-o", type=Path, help="output folder (default: public/ in the site)")


def run(args: argparse.Namespace) -> int:
    import gc

    from digestgen.build import build, unchanged_build

    options = site_options(args)
    # A build holds every paper of the site until it ends, and what it makes forms no cycles
    # worth collecting: the cyclic collector would only walk all of it again and again (at
    # 100,000 papers its full collections took 4.5 s of a 15 s edit). The process ends next.
    gc.disable()
    from digestgen.errors import ContentError

    result = unchanged_build(args.site, options)  # nothing to do: told without loading the site
    if result is None:
        from digestgen.config import load_config, placeholder_warning

        placeholder = placeholder_warning(load_config(args.site, options))
        if placeholder is not None and options.strict:
            raise ContentError([placeholder])
        result = build(args.site, options, quick_check=False)
    else:
        placeholder = result.placeholder
        if placeholder is not None and options.strict:
            raise ContentError([placeholder])
    from digestgen.site_size import size_warning

    def config() -> SiteConfig:  # read only for a site near the limit: a build with nothing to do stays quick
        from digestgen.config import load_config

        return load_config(args.site, options)

    size = size_warning(result.stats.bytes, result.counts.get("papers", 0), config)
    report(([placeholder] if placeholder else []) + result.warnings + ([size] if size else []))
    say(result.summary())
    say(result.next_issue)
    return 0
