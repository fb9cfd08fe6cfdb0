"""Add many papers at once: `digestgen import arxiv ID... | --file F`, `import hf-daily DATE`,
`import doi DOI... | --file F` (Crossref) or `import bibtex refs.bib`.

One entry per paper, dated today (in the site's timezone); papers whose arXiv id or DOI is
already in the digest are skipped, and existing files are never overwritten.
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
    from digestgen.config import SiteConfig
    from digestgen.entries import Existing
    from digestgen.sources import PaperMeta

HELP = "add entries in bulk from arXiv ids, a Hugging Face daily-papers date, DOIs or a BibTeX file"


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--site", "-s", type=Path, default=Path("."), help="site folder (default: current folder)")
    common.add_argument("--tag", "-t", dest="tags", action="append", default=[], metavar="TAG",
                        help="add a tag to every imported entry (repeat for more)")
    common.add_argument("--draft", action="store_true", help="mark every imported entry as a draft")
    common.add_argument("--dry-run", action="store_true", help="show what would be written, write nothing")
    source = parser.add_subparsers(dest="source", metavar="SOURCE", parser_class=type(parser))
    source.required = True
    for name, what, example, helps in (
            ("arxiv", "arXiv ids", "2511.11002", ("arXiv ids (or arxiv.org URLs)", "Import papers by arXiv id.")),
            ("doi", "DOIs", "10.1038/nature14539 (or doi.org links)",
             ("DOIs, from Crossref", "Import papers by DOI, with the metadata Crossref has."))):
        by_id = source.add_parser(name, parents=[common], help=helps[0], description=helps[1])
        by_id.add_argument(
            "ids", nargs="*", metavar=name.upper() if name == "doi" else "ID", help=f"{what}, like {example}"
        )
        by_id.add_argument(
            "--file", "-f", type=Path, help=f"read {what} from a file: one per line, '#' starts a comment"
        )
    hf = source.add_parser(
        "hf-daily",
        parents=[common],
        help="the Hugging Face daily papers of one day",
        description="Import the papers Hugging Face featured on DATE.",
    )
    hf.add_argument("date", metavar="DATE", type=_day, help="YYYY-MM-DD")
    hf.add_argument("--min-upvotes", type=int, default=0, help="only papers with at least this many upvotes")
    bib = source.add_parser("bibtex", parents=[common], help="the entries of a BibTeX file",
                            description="Import every entry of a BibTeX file (no network).")
    bib.add_argument("bibfile", type=Path, metavar="FILE", help="a .bib file")


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
        example = "doi 10.1038/nature14539" if args.source == "doi" else "arxiv 2511.11002"
        raise UsageError(f"give ids (digestgen import {example} ...) or --file with one id per line")
    return raw


def run(args: argparse.Namespace) -> int:
    from digestgen.config import load_config
    from digestgen.entries import check_tags, scan
    from digestgen.errors import printable

    config = load_config(args.site)
    check_tags(config.root, args.tags)
    existing = scan(config.root)
    failed = 0

    def note(message: str) -> None:
        nonlocal failed
        failed += message.startswith("error:")
        print(printable(message), file=sys.stderr)

    gather = {"arxiv": _from_arxiv, "hf-daily": _from_hf, "doi": _from_doi, "bibtex": _from_bibtex}[args.source]
    written = _write(config, args, gather(args, existing, note), existing, note)
    verb = "would import" if args.dry_run else "imported"
    say(f"{verb} {written} paper{'s' * (written != 1)}" + (f", {failed} failed" if failed else ""))
    return 1 if failed else 0


Note = Callable[[str], None]


def _from_arxiv(args: argparse.Namespace, existing: Existing, note: Note) -> list[tuple[str, PaperMeta]]:
    from digestgen.sources import arxiv_base, fetch_arxiv, normalise_arxiv

    wanted: list[str] = []
    for raw in _ids_from(args):
        arxiv = normalise_arxiv(raw)
        if arxiv is None:
            note(f"error: {raw!r} is not an arXiv id")
        elif arxiv_base(arxiv) not in {arxiv_base(w) for w in wanted}:
            wanted.append(arxiv)
    todo = [a for a in wanted if not _known(existing, note, arxiv=a)]
    found = fetch_arxiv(todo) if todo else {}
    papers = []
    for arxiv in todo:
        meta = found.get(arxiv_base(arxiv))
        if meta is None:
            note(f"error: the arXiv API does not know {arxiv}")
            continue
        if arxiv != arxiv_base(arxiv):
            meta.arxiv = arxiv
        papers.append(("", meta))
    return papers


def _from_hf(args: argparse.Namespace, existing: Existing, note: Note) -> list[tuple[str, PaperMeta]]:
    from digestgen.sources import fetch_hf_daily

    fetched = fetch_hf_daily(args.date)
    if not fetched:
        note(f"Hugging Face lists no papers for {args.date.isoformat()}")
    return [("", meta) for meta in fetched
            if (meta.upvotes or 0) >= args.min_upvotes and meta.arxiv and not _known(existing, note, arxiv=meta.arxiv)]


def _from_doi(args: argparse.Namespace, existing: Existing, note: Note) -> list[tuple[str, PaperMeta]]:
    from digestgen.sources import fetch_crossref, normalise_doi

    papers: list[tuple[str, PaperMeta]] = []
    seen: set[str] = set()
    for raw in _ids_from(args):
        doi = normalise_doi(raw)
        if doi is None:
            note(f"error: {raw!r} is not a DOI (like 10.1038/nature14539)")
        elif doi.lower() not in seen and not _known(existing, note, doi=doi):
            seen.add(doi.lower())
            meta = fetch_crossref(doi)
            if meta is None:
                note(f"error: Crossref does not know {doi}")
            else:
                papers.append(("", meta))
    return papers


def _from_bibtex(args: argparse.Namespace, existing: Existing, note: Note) -> list[tuple[str, PaperMeta]]:
    from digestgen.bibimport import read_bibtex

    papers: list[tuple[str, PaperMeta]] = []
    for entry in read_bibtex(args.bibfile):
        where = f"{args.bibfile}:{entry.line}" + (f" ({entry.key})" if entry.key else "")
        if entry.meta is None:
            note(f"error: {where}: {entry.problem}")
        elif not _known(existing, note, arxiv=entry.meta.arxiv, doi=entry.meta.doi):
            papers.append((entry.key, entry.meta))
    return papers


def _write(config: SiteConfig, args: argparse.Namespace, papers: list[tuple[str, PaperMeta]],
           existing: Existing, note: Note) -> int:
    """Write one entry per paper (its id from the arXiv id, the DOI or the given key); the number written."""
    from digestgen.entries import entry_path, entry_text, write_entry

    written = 0
    for key, meta in papers:
        pid = paper_id(meta, key)
        if pid is None:
            note(f"error: {key or meta.title}: no usable id for a file name")
            continue
        if pid in existing.ids:
            note(f"skip {meta.arxiv or meta.doi or key}: the id '{pid}' is already used by {existing.ids[pid]}")
            continue
        rel = entry_path(config.today, pid)
        if args.dry_run:
            say(f"would write {rel}: {meta.title}")
        else:
            try:
                write_entry(config.root, rel, entry_text(config.today, meta, tags=args.tags, draft=args.draft))
            except FileExistsError:
                note(f"skip {pid}: {rel} already exists")
                continue
            say(f"wrote {rel}: {meta.title}")
        existing.ids[pid] = rel  # a second paper of the same run with the same id is skipped too
        written += 1
    return written


def paper_id(meta: PaperMeta, key: str = "") -> str | None:
    """The file id of an imported paper: its arXiv id, else its DOI, else the BibTeX key, as a safe name."""
    import re

    from digestgen.entries import entry_id, valid_id

    if meta.arxiv:
        return entry_id(meta.arxiv)
    for candidate in (meta.doi, key):
        pid = re.sub(r"[^a-z0-9._-]+", "-", (candidate or "").lower()).strip("-._")[:100]
        if pid and valid_id(pid) is None:
            return pid
    return None


def _known(existing: Existing, note: Note, arxiv: str | None = None, doi: str | None = None) -> bool:
    """Whether the digest already has this paper (by arXiv id or DOI); says so."""
    from digestgen.sources import arxiv_base

    where = existing.arxiv.get(arxiv_base(arxiv)) if arxiv else None
    if where:
        note(f"skip {arxiv_base(arxiv or '')}: already in the digest as {where}")
        return True
    where = existing.doi.get(doi.lower()) if doi else None
    if where:
        note(f"skip {doi}: already in the digest as {where}")
        return True
    return False
