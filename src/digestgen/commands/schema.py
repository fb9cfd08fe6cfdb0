"""Print the JSON Schema of a paper entry (for editors, e.g. yaml-language-server)."""

from __future__ import annotations

import argparse
import json

HELP = "print the JSON Schema of a paper entry"


def configure(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from digestgen.schema import paper_json_schema

    print(json.dumps(paper_json_schema(), indent=2, sort_keys=True))
    return 0
