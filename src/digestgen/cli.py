"""Thin command layer: argparse, one module per command under digestgen.commands.

Command modules are light: they import the pipeline inside run(), so `digestgen --help`
stays fast. Exit codes: 0 ok, 1 content errors, 2 usage or site.yaml errors.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from digestgen import __version__
from digestgen.errors import DigestgenError, printable
from digestgen.words import plural

COMMANDS = ["init", "build", "serve", "check", "new", "import", "refresh", "suggest", "email", "send", "schema"]
# what a command that stopped on errors did not do (check never writes anything)
_OUTCOME = {"check": "", "send": "; nothing was sent"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # exit code 2 with a short message, like argparse
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="digestgen", description="Build curated research-paper digests into static sites.")
    parser.add_argument("--version", action="version", version=f"digestgen {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"digestgen.commands.{name.replace('import', 'import_')}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("digestgen.commands"):
                continue  # command not part of this build
            raise
        command = sub.add_parser(name, help=module.HELP, description=module.__doc__)
        module.configure(command)
        command.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except DigestgenError as exc:
        print(printable(str(exc)), file=sys.stderr)
        code = exc.exit_code
        problems = getattr(exc, "problems", None)
        if problems:
            errors = sum(1 for p in problems if p.severity == "error")
            counted = plural(errors, "error") if errors else f"{plural(len(problems), 'warning')} (--strict)"
            print(f"digestgen: {counted}{_OUTCOME.get(args.command, '; nothing was written')}", file=sys.stderr)
        return code
    except KeyboardInterrupt as exc:  # a build says what it left published (see build.py)
        print(printable("digestgen: interrupted" + (f"; {exc}" if str(exc) else "")), file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped reading (`digestgen schema | head`): nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush cannot fail
        return 141
    except OSError as exc:  # a full disk or a permission problem is not a bug: say what failed
        where = f" ({exc.filename})" if exc.filename else ""
        print(printable(f"digestgen: {exc.strerror or exc}{where}"), file=sys.stderr)
        return 1


def entry() -> NoReturn:
    """The `digestgen` command: main(), then leave at once.

    A build holds every paper of the site; freeing those objects one by one at exit takes a
    noticeable part of a small build (0.15 s at 10,000 papers) for memory the system takes
    back anyway. Everything is written and closed by now; the output streams are flushed.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)
