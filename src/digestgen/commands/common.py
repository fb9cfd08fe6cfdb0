"""Options and helpers shared by commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen.errors import Problem, capped, printable

if TYPE_CHECKING:
    from digestgen.config import BuildOptions, SiteConfig
    from digestgen.mail import Edition
    from digestgen.site import Issue, SiteModel


def add_site_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", "-s", type=Path, default=Path("."), help="site folder (default: current folder)")
    parser.add_argument("--drafts", action="store_true", help="include entries and issues marked draft: true")
    parser.add_argument(
        "--future", action="store_true", help="include entries dated after today and issues not yet published"
    )
    parser.add_argument("--base-url", help="override base_url from site.yaml")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")


def site_options(args: argparse.Namespace) -> BuildOptions:
    """BuildOptions from the options of add_site_options (and --output where a command has it)."""
    from digestgen.options import BuildOptions

    output = getattr(args, "output", None)
    return BuildOptions(output=output.resolve() if output else None, drafts=args.drafts, future=args.future,
                        base_url=args.base_url, strict=args.strict)


def report(problems: list[Problem], fmt: str = "text") -> None:
    """Print problems (at most MAX_PER_FILE of each file, then a count): text to stderr, GitHub
    annotations to stdout."""
    for problem in capped(problems):
        print(
            problem.github() if fmt == "github" else problem.format(), file=sys.stderr if fmt == "text" else sys.stdout
        )


def say(message: str) -> None:
    print(printable(message))


def load_edition(args: argparse.Namespace) -> tuple[SiteConfig, SiteModel, Issue, Edition]:
    """The site of a command's options (its warnings reported) and the email edition of args.issue."""
    from digestgen.config import load_config
    from digestgen.load import load_site
    from digestgen.mail import pick_issue, render_edition

    config = load_config(args.site, site_options(args))
    model, warnings = load_site(config)
    report(warnings)
    issue = pick_issue(model, args.issue)
    return config, model, issue, render_edition(model, issue)
