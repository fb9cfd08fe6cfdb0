"""Add one paper: `digestgen new 2511.11002` fills the entry from the arXiv API; `digestgen new my-slug
--title "..."` writes a template. The entry is dated today (in the site's timezone) and lands in
content/papers/<year>/<id>.md. Existing files are never overwritten.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from digestgen.commands.common import say

HELP = "add a paper entry (from the arXiv API when given an arXiv id)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", metavar="ARXIV_ID|SLUG",
                        help="an arXiv id (2511.11002, arXiv:2511.11002v2, an arxiv.org URL) or an id for the file")
    parser.add_argument("--title", help="the paper's title (required for a slug; overrides the API's title)")
    parser.add_argument("--tag", "-t", dest="tags", action="append", default=[], metavar="TAG",
                        help="add a tag (repeat for more)")
    parser.add_argument("--draft", action="store_true", help="mark the entry as a draft")
    parser.add_argument("--offline", action="store_true", help="do not ask the arXiv API; write a template")
    parser.add_argument("--site", "-s", type=Path, default=Path("."), help="site folder (default: current folder)")


def warn(message: str) -> None:
    from digestgen.errors import printable

    print(printable(f"warning: {message}"), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from digestgen.config import load_config
    from digestgen.entries import (
        check_tags,
        entry_id,
        entry_path,
        entry_text,
        scan,
        valid_id,
        write_entry,
    )
    from digestgen.errors import UsageError
    from digestgen.sources import FetchError, arxiv_base, fetch_arxiv, normalise_arxiv

    config = load_config(args.site)
    root = config.root
    check_tags(root, args.tags)
    arxiv = normalise_arxiv(args.what)
    pid = entry_id(arxiv) if arxiv else args.what
    problem = valid_id(pid)
    if problem:
        raise UsageError(f"{args.what!r} is neither an arXiv id nor a usable file id: {problem}")
    if arxiv is None and not args.title:
        raise UsageError(f"'{pid}' is not an arXiv id; give the title with --title \"...\"")

    existing = scan(root)
    if arxiv and arxiv_base(arxiv) in existing.arxiv:
        warn(
            f"arXiv {arxiv_base(arxiv)} is already in the digest as {existing.arxiv[arxiv_base(arxiv)]}; nothing "
            "written"
        )
        return 1
    if pid in existing.ids:
        warn(f"the id '{pid}' is already used by {existing.ids[pid]}; nothing written")
        return 1
    rel = entry_path(config.today, pid)

    meta = None
    if arxiv and not args.offline:
        try:
            meta = fetch_arxiv([arxiv]).get(arxiv_base(arxiv))
            if meta is None:
                warn(f"the arXiv API does not know {arxiv}; writing a template to fill by hand")
        except FetchError as exc:
            warn(f"{exc}; writing a template to fill in by hand")
    keep_version = arxiv if arxiv and arxiv != arxiv_base(arxiv) else None
    text = entry_text(
        config.today, meta, title=args.title, arxiv=keep_version or arxiv, tags=args.tags, draft=args.draft
    )
    try:
        write_entry(root, rel, text)
    except FileExistsError:
        raise UsageError(f"{rel} already exists; digestgen never overwrites an entry") from None
    if meta is None:
        missing = "authors and abstract" if args.title else "title, authors and abstract"
        say(f"wrote {rel}, a draft from a template: fill in the {missing}, then delete the line "
            "'draft: true' to publish it")
    else:
        say(f"wrote {rel}" + (" (a draft: delete the line 'draft: true' to publish it)" if args.draft else ""))
    return 0
