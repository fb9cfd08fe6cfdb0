"""Turn a reader's "Suggest a paper" issue into an entry: `digestgen suggest --event FILE`.

Run by the suggest workflow when a curator labels such an issue. It reads the issue form from
the GitHub event, writes the entry from the arXiv API (the reason as its note, the reader in
`submitted_by`) and tells the workflow what to do next through $GITHUB_OUTPUT: open a pull
request that closes the issue, or comment on the issue (a duplicate, or an answer it cannot
use). Without $GITHUB_OUTPUT it prints the same.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from digestgen.commands.common import say

HELP = "write the entry of a 'Suggest a paper' issue (for the suggest workflow)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--event", type=Path, required=True, metavar="FILE",
                        help="the GitHub event JSON of the issue (in a workflow: \"$GITHUB_EVENT_PATH\")")
    parser.add_argument("--site", "-s", type=Path, default=Path("."), help="site folder (default: current folder)")
    parser.add_argument("--dry-run", action="store_true", help="say what would happen, write no entry")


def run(args: argparse.Namespace) -> int:
    from digestgen.config import load_config
    from digestgen.suggest import read_event, suggest, write_outputs

    config = load_config(args.site)
    outcome = suggest(config, read_event(args.event), dry_run=args.dry_run)
    output = os.environ.get("GITHUB_OUTPUT")
    if output and not args.dry_run:
        write_outputs(outcome, Path(output))
    if outcome.action == "pr":
        say(
            f"{'would write' if args.dry_run else 'wrote'} {outcome.path}; pull request on {outcome.branch}: "
            f"{outcome.title}"
        )
    else:
        say(f"comment on issue #{outcome.issue}" + (" and close it" if outcome.close else "") + ":")
        say(outcome.body)
    return 0
