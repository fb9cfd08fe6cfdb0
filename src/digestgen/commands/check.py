"""Validate every source file without writing anything (for pull-request CI)."""

from __future__ import annotations

import argparse

from digestgen.commands.common import add_site_options, report, say, site_options

HELP = "validate the site without building it"


def configure(parser: argparse.ArgumentParser) -> None:
    add_site_options(parser)
    parser.add_argument("--format", choices=["text", "github"], default="text",
                        help="'github' prints workflow annotations for pull requests")


def run(args: argparse.Namespace) -> int:
    from digestgen.build import check
    from digestgen.errors import ContentError

    options = site_options(args)
    try:
        model, warnings = check(args.site, options)
    except ContentError as exc:
        if args.format == "github":
            report(exc.problems, "github")
            errors = sum(1 for p in exc.problems if p.severity == "error")
            say(f"digestgen: {errors} error{'s' * (errors != 1)}")
            return exc.exit_code
        raise
    report(warnings, args.format)
    say(f"ok: {len(model.papers)} papers, {len(model.issues)} issues, {len(model.pages)} pages"
        + (f", {len(warnings)} warning{'s' * (len(warnings) != 1)}" if warnings else ""))
    return 0
