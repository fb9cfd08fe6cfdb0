"""Create a new digest site that builds as it is."""

from __future__ import annotations

import argparse
from pathlib import Path

from digestgen.commands.common import say

HELP = "create a new site in DIR"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="folder for the new site (created; must be empty if it exists)")
    parser.add_argument("--title", default="My Paper Digest", help="site title")
    parser.add_argument("--base-url", help="where the site will be published (default: a placeholder that build "
                        "warns about until you set base_url in site.yaml)")


def run(args: argparse.Namespace) -> int:
    from digestgen.config import PLACEHOLDER_BASE_URL
    from digestgen.errors import UsageError
    from digestgen.scaffold import write_new_site

    target: Path = args.dir
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} exists and is not empty; pick a new folder")
    written = write_new_site(target, args.title, args.base_url or PLACEHOLDER_BASE_URL)
    first = "" if args.base_url else "set base_url in site.yaml to where it will be published, then "
    say(f"created a digest in {target} ({len(written)} files). Next: {first}cd {target} && digestgen build")
    return 0
