"""Write the email edition of an issue: <key>/email.html and email.txt in email/ of the site."""

from __future__ import annotations

import argparse
from pathlib import Path

from digestgen.commands.common import add_site_options, load_edition, say, site_options
from digestgen.words import plural

HELP = "write the email edition of an issue (HTML and plain text)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("issue", metavar="ISSUE", help="issue key (like 2026-W47) or 'latest'")
    add_site_options(parser)
    parser.add_argument("--output", "-o", dest="folder", type=Path,
                        help="folder to write <ISSUE>/email.html and email.txt into (default: email/ in the site)")


def run(args: argparse.Namespace) -> int:
    from digestgen.config import load_config
    from digestgen.mail import edition_folder, write_edition

    folder = edition_folder(load_config(args.site, site_options(args)), args.folder)  # refused before reading
    config, _model, issue, edition = load_edition(args)
    written = write_edition(folder, edition)
    size = len(edition.html.encode("utf-8"))
    note = (
        ""
        if edition.level == "full"
        else f"; shortened to fit ({edition.level}, {plural(edition.omitted, 'paper')} left for the web page)"
    )
    for path in written:
        shown = path.relative_to(config.root.resolve()) if path.is_relative_to(config.root.resolve()) else path
        say(f"wrote {shown.as_posix()}")
    say(f"issue {issue.key}: {plural(edition.shown, 'paper')}, HTML {size / 1000:.1f} kB{note}")
    return 0
