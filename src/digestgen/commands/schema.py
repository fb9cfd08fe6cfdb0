"""Print the JSON Schema of a paper entry, an issue's front matter or site.yaml (for editors,
e.g. yaml-language-server)."""

from __future__ import annotations

import argparse
import json

HELP = "print the JSON Schema of a paper entry (or of an issue file or site.yaml)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", nargs="?", choices=["paper", "issue", "site"], default="paper",
                        help="paper (content/papers/**), issue (content/issues/<key>.md) or site (site.yaml)")


def run(args: argparse.Namespace) -> int:
    from digestgen.schema import issue_json_schema, paper_json_schema
    from digestgen.site_schema import site_json_schema

    make = {"paper": paper_json_schema, "issue": issue_json_schema, "site": site_json_schema}[args.kind]
    print(json.dumps(make(), indent=2, sort_keys=True))
    return 0
