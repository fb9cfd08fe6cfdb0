"""Add many papers at once: `digestgen import arxiv ID... | --file F` or `digestgen import hf-daily DATE`.

One entry per paper, dated today (in the site's timezone); papers whose arXiv id is already in
the digest are skipped, and existing files are never overwritten.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from digestgen.commands.common import say

if TYPE_CHECKING:
    from digestgen.entries import Existing

HELP = "add entries in bulk from arXiv ids or a Hugging Face daily-papers date"


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--site", "-s", type=Path, default=Path("."), help="site folder (default: current folder)")
    common.add_argument("--tag", "-t", dest="tags", action="append", default=[], metavar="TAG",
                        help="add a tag to every imported entry (repeat for more)")
    common.add_argument("--draft", action="store_true", help="mark every imported entry as a draft")
    common.add_argument("--dry-run", action="store_true", help="show what would be written, write nothing")
    source = parser.add_subparsers(dest="source", metavar="SOURCE", parser_class=type(parser))
    source.required = True
    arxiv = source.add_parser("arxiv", parents=[common], help="arXiv ids (or arxiv.org URLs)",
                              description="Import papers by arXiv id.")
    arxiv.add_argument("ids", nargs="*", metavar="ID", help="arXiv ids, like 2511.11002")
    arxiv.add_argument("--file", "-f", type=Path, help="read ids from a file: one per line, '#' starts a comment")
    hf = source.add_parser("hf-daily", parents=[common], help="the Hugging Face daily papers of one day",
                           description="Import the papers Hugging Face featured on DATE.")
    hf.add_argument("date", metavar="DATE", type=_day, help="YYYY-MM-DD")
    hf.add_argument("--min-upvotes", type=int, default=0, help="only papers with at least this many upvotes")


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; write YYYY-MM-DD") from None


def _ids_from(args: argparse.Namespace) -> list[str]:
    from digestgen.errors import UsageError

    raw = list(args.ids)
    if args.file is not None:
        try:
            text = args.file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {args.file}: {exc}") from None
        for line in text.splitlines():
            raw += line.split("#", 1)[0].replace(",", " ").split()
    if not raw:
        raise UsageError("give arXiv ids (digestgen import arxiv 2511.11002 ...) or --file with one id per line")
    return raw


def run(args: argparse.Namespace) -> int:
    from digestgen.config import load_config
    from digestgen.entries import check_tags, entry_id, entry_path, entry_text, scan, write_entry
    from digestgen.errors import printable
    from digestgen.sources import (
        PaperMeta,
        arxiv_base,
        fetch_arxiv,
        fetch_hf_daily,
        normalise_arxiv,
    )

    config = load_config(args.site)
    root = config.root
    check_tags(root, args.tags)
    existing = scan(root)
    failed = 0

    def note(message: str) -> None:
        print(printable(message), file=sys.stderr)

    papers: list[PaperMeta] = []
    if args.source == "arxiv":
        wanted: list[str] = []
        for raw in _ids_from(args):
            arxiv = normalise_arxiv(raw)
            if arxiv is None:
                note(f"error: {raw!r} is not an arXiv id")
                failed += 1
            elif arxiv_base(arxiv) not in {arxiv_base(w) for w in wanted}:
                wanted.append(arxiv)
        todo = [a for a in wanted if not _skip(a, existing, note)]
        found = fetch_arxiv(todo) if todo else {}
        for arxiv in todo:
            meta = found.get(arxiv_base(arxiv))
            if meta is None:
                note(f"error: the arXiv API does not know {arxiv}")
                failed += 1
                continue
            if arxiv != arxiv_base(arxiv):
                meta.arxiv = arxiv
            papers.append(meta)
    else:
        fetched = fetch_hf_daily(args.date)
        if not fetched:
            note(f"Hugging Face lists no papers for {args.date.isoformat()}")
        for meta in fetched:
            if (meta.upvotes or 0) >= args.min_upvotes and meta.arxiv and not _skip(meta.arxiv, existing, note):
                papers.append(meta)

    written = 0
    for meta in papers:
        assert meta.arxiv is not None
        pid = entry_id(meta.arxiv)
        if pid in existing.ids:
            note(f"skip {meta.arxiv}: the id '{pid}' is already used by {existing.ids[pid]}")
            continue
        rel = entry_path(config.today, pid)
        if args.dry_run:
            say(f"would write {rel}: {meta.title}")
            written += 1
            continue
        try:
            write_entry(root, rel, entry_text(config.today, meta, tags=args.tags, draft=args.draft))
        except FileExistsError:
            note(f"skip {meta.arxiv}: {rel} already exists")
            continue
        existing.ids[pid] = rel
        existing.arxiv[arxiv_base(meta.arxiv)] = rel
        written += 1
        say(f"wrote {rel}: {meta.title}")
    verb = "would import" if args.dry_run else "imported"
    say(f"{verb} {written} paper{'s' * (written != 1)}" + (f", {failed} failed" if failed else ""))
    return 1 if failed else 0


def _skip(arxiv: str, existing: Existing, note: Callable[[str], None]) -> bool:
    from digestgen.sources import arxiv_base

    where = existing.arxiv.get(arxiv_base(arxiv))
    if where:
        note(f"skip {arxiv_base(arxiv)}: already in the digest as {where}")
        return True
    return False
