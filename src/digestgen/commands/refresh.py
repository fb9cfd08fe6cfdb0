"""Update entries with what their sources learned since they were added: `digestgen refresh [ID...]`.

A newer arXiv version (for entries that pin one, like 2307.09288v1), the DOI and journal
reference once the paper is published (from the arXiv API), and the upvotes of entries that
link their Hugging Face page. Only those lines of a file change; comments, key order and
formatting stay. Without ids, every entry is refreshed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from digestgen.commands.common import say

HELP = "update arXiv versions, DOIs, journal references and upvotes of entries"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "ids", nargs="*", metavar="ID", help="paper ids (file names) or arXiv ids; default: every entry"
    )
    parser.add_argument("--site", "-s", type=Path, default=Path("."), help="site folder (default: current folder)")
    parser.add_argument("--dry-run", action="store_true", help="show the changes as a diff, write nothing")


def run(args: argparse.Namespace) -> int:
    import difflib

    from digestgen.config import load_config
    from digestgen.content import discover
    from digestgen.errors import Problem, UsageError, printable
    from digestgen.refresh import EditError, Entry, edit, from_hf, plan, read_entry, write
    from digestgen.sources import (
        PaperMeta,
        arxiv_base,
        fetch_arxiv,
        fetch_hf_paper,
        normalise_arxiv,
    )

    config = load_config(args.site)
    root = config.root
    problems: list[Problem] = []
    entries: list[Entry] = []
    for rel in discover(root).papers:
        entry = read_entry(root, rel, problems)
        if entry is not None:
            entries.append(entry)
    for problem in problems:
        print(printable(f"skip {problem.format()}"), file=sys.stderr)

    def base_of(entry: Entry) -> str | None:
        value = entry.data.get("arxiv")
        arxiv = normalise_arxiv(value) if isinstance(value, str) else None
        return arxiv_base(arxiv) if arxiv else None

    if args.ids:
        wanted = {i.strip().lower() for i in args.ids} | {arxiv_base(a) for i in args.ids if (a := normalise_arxiv(i))}
        chosen = [e for e in entries if e.rel.rsplit("/", 1)[-1].rsplit(".", 1)[0] in wanted or base_of(e) in wanted]
        found = {e.rel.rsplit("/", 1)[-1].rsplit(".", 1)[0] for e in chosen} | {base_of(e) for e in chosen}
        missing = [
            i for i in args.ids if i.strip().lower() not in found and arxiv_base(normalise_arxiv(i) or "") not in found
        ]
        if missing:
            raise UsageError(f"no entry has the id or arXiv id {', '.join(missing)}")
        entries = chosen

    bases = sorted({b for e in entries if (b := base_of(e))})
    arxiv = fetch_arxiv(bases) if bases else {}
    unknown = [e for e in entries if (b := base_of(e)) and b not in arxiv]
    for entry in unknown:
        print(printable(f"warning: {entry.rel}: the arXiv API has no record of {base_of(entry)}; not refreshed"),
              file=sys.stderr)
    hf: dict[str, PaperMeta] = {}
    for entry in entries:
        base = base_of(entry)
        if base and from_hf(entry) and base not in hf:
            record = fetch_hf_paper(base)
            if record is not None:
                hf[base] = record

    by_rel = {e.rel: e for e in entries}
    changed = failed = 0
    for update in plan(entries, arxiv, hf):
        entry = by_rel[update.rel]
        try:
            text = edit(entry, update.values)
        except EditError as exc:
            print(printable(f"error: {entry.rel}: {exc}"), file=sys.stderr)
            failed += 1
            continue
        changed += 1
        if args.dry_run:
            diff = difflib.unified_diff(entry.text.splitlines(keepends=True), text.splitlines(keepends=True),
                                        f"a/{entry.rel}", f"b/{entry.rel}")
            sys.stdout.write(printable("".join(diff)))
        else:
            write(root, entry, text)
        say(f"{'would update' if args.dry_run else 'updated'} {entry.rel}: {', '.join(update.reasons)}")
    if not changed and not failed and not unknown:
        say(f"all {len(entries)} entr{'ies are' if len(entries) != 1 else 'y is'} up to date")
    else:
        say(f"{'would update' if args.dry_run else 'updated'} {changed} entr{'ies' if changed != 1 else 'y'}"
            + (f", {failed} could not be edited" if failed else "")
            + (f", {len(unknown)} not found on arXiv" if unknown else ""))
    return 1 if failed else 0
