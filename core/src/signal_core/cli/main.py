"""Argument parsing and dispatch for ``signal``. Exit codes: 0 ok, 1 failures, 2 usage/config."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="signal",
        description="Deliver first-party events to vendors, server to server.",
    )
    parser.add_argument("--version", action="version", version=f"signal-core {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    send = sub.add_parser("send", help="deliver events from a JSONL file or stdin")
    send.add_argument("-c", "--config", required=True, help="pipeline file (TOML or JSON)")
    send.add_argument("events", nargs="?", default="-", help="JSONL events file, or - for stdin")
    send.add_argument("--dry-run", action="store_true", help="print the requests, send nothing")
    send.add_argument("--workers", type=_positive, default=4, help="delivery threads (default 4)")
    send.add_argument("--json", action="store_true", help="one JSON result line per event")
    send.add_argument("--state", help="state URL: memory://, sqlite:///path, redis://host:port/db")
    send.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )

    plugins = sub.add_parser("plugins", help="list installed plugins and load errors")
    plugins.add_argument("--json", action="store_true")

    check = sub.add_parser("check", help="validate a pipeline file")
    check.add_argument("-c", "--config", required=True)
    check.add_argument("--json", action="store_true")

    new_plugin = sub.add_parser(
        "new-plugin", help="scaffold a vendor plugin distribution signal-NAME"
    )
    new_plugin.add_argument("name", help="vendor name, e.g. acme (makes signal-acme)")
    new_plugin.add_argument(
        "--directory", "-d", default=".", help="where to create signal-NAME (default: here)"
    )

    from .deadletter import add_parser

    add_parser(sub)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from ..errors import ConfigError

    try:
        if args.command == "send":
            from .send import run_send

            return run_send(args)
        if args.command == "dead-letter":
            from .deadletter import run_dead_letter

            return run_dead_letter(args)
        if args.command == "new-plugin":
            from .scaffold import run_new_plugin

            return run_new_plugin(args)
        if args.command == "plugins":
            from .info import run_plugins

            return run_plugins(args)
        from .info import run_check

        return run_check(args)
    except ConfigError as exc:
        print(f"signal: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("signal: interrupted", file=sys.stderr)
        return 130
