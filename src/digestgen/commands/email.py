"""Write the email edition of an issue: issues/<key>/email.html and email.txt in the built site."""

from __future__ import annotations

import argparse
from pathlib import Path

from digestgen.commands.common import add_site_options, load_edition, say
from digestgen.words import plural

HELP = "write the email edition of an issue (HTML and plain text)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("issue", metavar="ISSUE", help="issue key (like 2026-W47) or 'latest'")
    add_site_options(parser)
    parser.add_argument("--output", "-o", type=Path, help="the built site's folder (default: public/ in the site)")


def run(args: argparse.Namespace) -> int:
    from digestgen.mail import write_edition

    config, _model, issue, edition = load_edition(args)
    written = write_edition(config, edition)
    size = len(edition.html.encode("utf-8"))
    note = "" if edition.level == "full" else f"; shortened to fit ({edition.level}, {plural(edition.omitted, 'paper')} left for the web page)"
    for path in written:
        say(f"wrote {path.relative_to(config.output.parent).as_posix()}")
    say(f"issue {issue.key}: {plural(edition.shown, 'paper')}, HTML {size / 1000:.1f} kB{note}")
    return 0
