"""Send the email edition of an issue over SMTP, one message per recipient.

SMTP settings come from the environment: DIGESTGEN_SMTP_HOST, DIGESTGEN_SMTP_PORT (587; 465
means TLS from the start), DIGESTGEN_SMTP_USER, DIGESTGEN_SMTP_PASSWORD and
DIGESTGEN_SMTP_STARTTLS (true unless set to 0/false). From and Reply-To come from site.yaml
`email`. The exit code is 0 only when every recipient was sent the message.
"""

from __future__ import annotations

import argparse
import sys

from digestgen.commands.common import add_site_options, load_edition, say

HELP = "send the email edition of an issue over SMTP"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("issue", metavar="ISSUE", help="issue key (like 2026-W47) or 'latest'")
    parser.add_argument("--to", required=True, metavar="ADDRESSES|@FILE",
                        help="comma-separated addresses, or @file with one address per line")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the message (headers and text part) instead of sending it")
    add_site_options(parser)


def run(args: argparse.Namespace) -> int:
    from digestgen.errors import printable
    from digestgen.sending import build_message, parse_recipients, readable, send_all, smtp_settings

    recipients = parse_recipients(args.to)
    settings = None if args.dry_run else smtp_settings()
    _config, model, issue, edition = load_edition(args)
    messages = [(r, build_message(model, edition, r)) for r in recipients]
    if settings is None:
        sys.stdout.write(readable(messages[0][1], issue.key))
        for recipient, _message in messages[1:]:
            say(f"dry run: the same message would go to {recipient}")
        say(f"dry run: {len(messages)} message{'s' * (len(messages) != 1)} not sent")
        return 0

    def progress(outcome) -> None:  # type: ignore[no-untyped-def]
        if outcome.error:
            print(printable(f"failed: {outcome.recipient}: {outcome.error}"), file=sys.stderr)
        else:
            say(f"sent: {outcome.recipient}")

    outcomes = send_all(messages, settings, progress)
    failed = sum(1 for o in outcomes if o.error)
    say(f"issue {issue.key}: sent {len(outcomes) - failed} of {len(outcomes)}")
    return 1 if failed else 0
