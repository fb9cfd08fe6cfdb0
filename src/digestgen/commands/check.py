"""Validate every source file without writing anything (for pull-request CI).

With --since REF (or paper files named), it also writes the pull request's papers as readers
will see them, in Markdown: to --summary FILE, or to GitHub's job summary ($GITHUB_STEP_SUMMARY).
With --links, it also asks the servers of every external link of the entries (see links.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen.commands.common import add_site_options, report, say, site_options
from digestgen.words import plural

if TYPE_CHECKING:
    from digestgen.config import BuildOptions
    from digestgen.errors import Problem
    from digestgen.site import SiteModel

HELP = "validate the site without building it"


def configure(parser: argparse.ArgumentParser) -> None:
    add_site_options(parser)
    parser.add_argument("--format", choices=["text", "github"], default="text",
                        help="'github' prints workflow annotations for pull requests")
    parser.add_argument("papers", nargs="*", type=Path, metavar="PAPER",
                        help="paper files to show in the summary (instead of --since)")
    parser.add_argument("--since", metavar="REF",
                        help="show the paper files changed since this git ref (like origin/main) in the summary")
    parser.add_argument("--summary", type=Path, metavar="FILE",
                        help="write the summary here (default: $GITHUB_STEP_SUMMARY when set)")
    parser.add_argument("--links", action="store_true",
                        help="also check every external link of every entry, drafts and scheduled papers "
                             "included (needs the network; answers are remembered for link_check.remember_days)")


def drafts_note(drafts: int, shown: bool) -> str:
    """How many papers are drafts: left out of the count, or (with --drafts) part of it."""
    if not drafts:
        return ""
    noun = "draft" if drafts == 1 else "drafts"
    return f" ({drafts} {noun})" if shown else f", {drafts} {noun}"


def run(args: argparse.Namespace) -> int:
    from digestgen.errors import ContentError
    from digestgen.load import check, finish
    from digestgen.publish import next_issue_line

    options = site_options(args)
    if args.since or args.papers:
        _write_summary(args, options)
    try:
        model, warnings = check(args.site, options)
        if args.links:
            warnings = finish(warnings + _link_problems(model, options), options.strict)
    except ContentError as exc:
        if args.format == "github":
            report(exc.problems, "github")
            errors = sum(1 for p in exc.problems if p.severity == "error")
            say(f"digestgen: {errors} error{'s' * (errors != 1)}")
            return exc.exit_code
        raise
    report(warnings, args.format)
    waiting = sum(len(issue.papers) for issue in model.upcoming)  # the next-issue line says when
    say(f"ok: {plural(len(model.papers), 'paper')}{drafts_note(model.drafts, args.drafts)}"
        f"{f', {waiting} not yet published' if waiting else ''}, "
        f"{plural(len(model.issues), 'issue')}, {plural(len(model.pages), 'page')}"
        + (f", {plural(len(warnings), 'warning')}" if warnings else ""))
    say(next_issue_line(model))
    return 0


def _link_problems(model: SiteModel, options: BuildOptions) -> list[Problem]:
    """Warnings about the external links of every entry, drafts and scheduled papers included
    (their links go live on their day); the site's own check stays as the options ask."""
    from digestgen.links import check_links
    from digestgen.load import check

    if not (options.drafts and options.future):
        everything = dataclasses.replace(options, drafts=True, future=True, strict=False)
        model, _ = check(model.config.root, everything)  # its warnings were reported by the check above
    found, summary = check_links(model)
    say(summary.line(model.config.fields.link_check.remember_days))
    return found


def _write_summary(args: argparse.Namespace, options: BuildOptions) -> None:
    from digestgen.config import load_config
    from digestgen.summary import changed_since, named, summary

    config = load_config(args.site, options)
    changes = named(config.root, args.papers) if args.papers else changed_since(config.root, args.since)
    text = summary(config, changes)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if args.summary is not None:
        args.summary.write_text(text, "utf-8")
    elif step_summary and text:
        with open(step_summary, "a", encoding="utf-8") as handle:  # GitHub collects every step's part
            handle.write(text)
    elif text and not step_summary:
        say(text.rstrip("\n"))
