"""Preview the site with drafts and scheduled papers, rebuilding and reloading the browser on every change.

Serves on http://127.0.0.1:8000/ by default; build errors appear in the terminal and as an
overlay in the open page, while the last good build stays visible.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "preview the site with live reload"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--site", "-s", type=Path, default=Path("."), help="site folder (default: current folder)")
    parser.add_argument("--port", "-p", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--bind", "-b", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; others expose your drafts to the network)")
    parser.add_argument("--open", action="store_true", help="open the site in a web browser")


def run(args: argparse.Namespace) -> int:
    from digestgen.errors import UsageError
    from digestgen.serve import serve

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {args.port}")
    return serve(args.site, port=args.port, bind=args.bind, open_browser=args.open)
