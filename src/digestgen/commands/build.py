"""Build the site into its output folder (public/ by default)."""

from __future__ import annotations

import argparse
from pathlib import Path

from digestgen.commands.common import add_site_options, report, say

HELP = "build the site"


def configure(parser: argparse.ArgumentParser) -> None:
    add_site_options(parser)
    parser.add_argument("--output", "-o", type=Path, help="output folder (default: public/ in the site)")


def run(args: argparse.Namespace) -> int:
    from digestgen.build import build
    from digestgen.config import BuildOptions

    options = BuildOptions(output=args.output.resolve() if args.output else None, drafts=args.drafts,
                           future=args.future, base_url=args.base_url, strict=args.strict)
    result = build(args.site, options)
    report(result.warnings)
    say(result.summary())
    return 0
