"""``signal dead-letter list | export | replay | purge``."""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timezone
from typing import Any

from ..deadletters import DeadLetterFilter
from ..errors import ConfigError
from .main import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from .safe_text import one_line
from .state_url import default_state_url, resolve_state

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(text: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise argparse.ArgumentTypeError("use a number with s, m, h, d or w (e.g. 30m, 2d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def add_parser(sub: Any) -> None:
    dl = sub.add_parser("dead-letter", help="list, export, replay or purge failed events")
    actions = dl.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    for name, text in (
        ("list", "show dead letters"),
        ("export", "write dead letters as JSONL"),
        ("replay", "re-deliver dead letters with their original event ids"),
        ("purge", "delete dead letters"),
    ):
        p = actions.add_parser(name, help=text)
        p.add_argument("-c", "--config", required=name == "replay", help="pipeline file")
        p.add_argument(
            "--state",
            help="state URL (default: the pipeline file's, $SIGNAL_STATE, "
            "or sqlite under ~/.local/state/signal)",
        )
        p.add_argument("--integration", help='only this integration ("" for invalid input)')
        p.add_argument(
            "--older-than", type=duration, metavar="AGE", help="last failure before AGE ago"
        )
        p.add_argument("--newer-than", type=duration, metavar="AGE", help="last failure within AGE")
        p.add_argument("--limit", type=count)
        if name == "list":
            p.add_argument("--json", action="store_true")
        if name == "export":
            p.add_argument("-o", "--output", default="-", help="file, or - for stdout")
        if name == "purge":
            p.add_argument("--yes", action="store_true", help="really delete")


def _filter(args: argparse.Namespace, now: float) -> DeadLetterFilter:
    return DeadLetterFilter(
        integration=args.integration,
        failed_before=now - args.older_than if args.older_than is not None else None,
        failed_after=now - args.newer_than if args.newer_than is not None else None,
        limit=args.limit,
    )


def run_dead_letter(args: argparse.Namespace) -> int:
    from ..pipeline import Pipeline
    from ..pipeline_file import read_pipeline_file

    if args.action == "purge" and not args.yes:
        print("signal: purge deletes dead letters; add --yes to confirm", file=sys.stderr)
        return EXIT_USAGE
    if args.config:
        file_state = read_pipeline_file(args.config).get("state")
        state = resolve_state(args.state, file_state)
        overrides = {"state": state} if state else {}
        pipeline = Pipeline.from_file(args.config, **overrides)
    else:
        pipeline = Pipeline([], state=args.state or default_state_url())
    try:
        where = _filter(args, pipeline.clock.time())
        queue = pipeline.dead_letters
        if args.action == "list":
            return _list(queue.list(where), as_json=args.json)
        if args.action == "export":
            if args.output == "-":
                count = queue.export(sys.stdout, where)
            else:
                with open(args.output, "w", encoding="utf-8") as out:
                    count = queue.export(out, where)
            print(f"exported {count} dead letter(s)", file=sys.stderr)
            return EXIT_OK
        if args.action == "purge":
            print(f"purged {queue.purge(where)} dead letter(s)")
            return EXIT_OK
        summary = queue.replay(pipeline, where)
        print(json.dumps(summary.to_dict()))
        return EXIT_FAILED if summary.still_failing else EXIT_OK
    except OSError as exc:
        raise ConfigError(f"cannot write output: {exc.strerror}") from None
    finally:
        pipeline.close()


def _list(records: list[Any], *, as_json: bool) -> int:
    for r in records:
        if as_json:
            item = r.to_dict()
            item.pop("event", None)
            print(json.dumps(item, ensure_ascii=True))
            continue
        when = datetime.fromtimestamp(r.last_failed, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        status = r.http_status if r.http_status is not None else "-"
        print(
            f"{when}  {one_line(r.integration or '(invalid)')}  {one_line(r.event_id)}  "
            f"attempts={r.attempts} http={status}  {one_line(r.reason)}"
        )
    if not as_json:
        print(f"{len(records)} dead letter(s)", file=sys.stderr)
    return EXIT_OK
