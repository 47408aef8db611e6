"""``signal send``: deliver (or preview) a JSONL stream of events."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from ..errors import InvalidEventError
from ..pipeline import Pipeline
from ..preview import RequestPreview
from ..results import DeliveryResult, SendSummary, Status
from .main import EXIT_FAILED, EXIT_OK
from .progress import Progress
from .safe_text import one_line

MAX_FAILURES_SHOWN = 10


class _Lines:
    """Yields parsed events and remembers the line each came from."""

    def __init__(self, stream: TextIO, on_bad_line: Any) -> None:
        self.stream = stream
        self.line = 0
        self.bad = 0
        self.last_text = ""
        self._on_bad_line = on_bad_line

    def __iter__(self) -> Iterator[Any]:
        for number, text in enumerate(self.stream, start=1):
            self.line = number
            if not text.strip():
                continue
            self.last_text = text.rstrip("\n")
            try:
                yield json.loads(text)
            except json.JSONDecodeError as exc:
                self.bad += 1
                self._on_bad_line(self.line, f"invalid JSON: {exc.msg} (column {exc.colno})")
            except ValueError:  # e.g. undecodable bytes
                self.bad += 1
                self._on_bad_line(self.line, "invalid JSON: not valid UTF-8 text")


def _open_events(path: str) -> TextIO:
    if path == "-":
        return sys.stdin
    try:
        return open(path, encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        from ..errors import ConfigError

        raise ConfigError(f"cannot read events file {path!r}: {exc.strerror}") from None


def run_send(args: argparse.Namespace) -> int:
    from ..pipeline_file import read_pipeline_file
    from .state_url import resolve_state

    if args.dry_run:
        state: str | None = "memory://"  # a dry run reads and writes no state
    else:
        state = resolve_state(args.state, read_pipeline_file(args.config).get("state"))
    stream = _open_events(args.events)
    try:
        pipeline = Pipeline.from_file(args.config, **({"state": state} if state else {}))
    except BaseException:
        if stream is not sys.stdin:
            stream.close()
        raise
    out = sys.stdout
    try:
        if args.dry_run:
            return _dry_run(pipeline, stream, out, as_json=args.json)
        return _deliver(pipeline, stream, out, args)
    finally:
        pipeline.close()
        if stream is not sys.stdin:
            stream.close()


def _report_invalid(out: TextIO, as_json: bool, line: int, reason: str) -> None:
    if as_json:
        out.write(json.dumps({"line": line, "status": "invalid", "reason": reason}) + "\n")
    else:
        print(f"line {line}: invalid: {one_line(reason)}", file=sys.stderr)


def _deliver(pipeline: Pipeline, stream: TextIO, out: TextIO, args: argparse.Namespace) -> int:
    show_progress = sys.stderr.isatty() if args.progress is None else args.progress
    progress = Progress(enabled=show_progress and not args.json)
    failures: list[DeliveryResult] = []

    def bad_line(number: int, reason: str) -> None:
        _report_invalid(out, args.json, number, reason)
        pipeline.keep_invalid(lines.last_text, reason)

    lines = _Lines(stream, bad_line)

    def on_invalid(index: int, exc: InvalidEventError) -> None:
        _report_invalid(out, args.json, lines.line, str(exc))

    def on_result(result: DeliveryResult) -> None:
        progress.update(result.status.value)
        if args.json:
            out.write(json.dumps(result.to_dict(), ensure_ascii=True) + "\n")
        elif result.status is Status.FAILED and len(failures) < MAX_FAILURES_SHOWN:
            failures.append(result)

    summary = pipeline.send_many(
        lines, workers=args.workers, on_result=on_result, on_invalid=on_invalid
    )
    progress.finish()
    invalid = summary.invalid + lines.bad
    if args.json:
        out.flush()
    else:
        _print_summary(out, summary, invalid, failures)
    return EXIT_OK if summary.failed == 0 and invalid == 0 else EXIT_FAILED


def _print_summary(
    out: TextIO, summary: SendSummary, invalid: int, failures: list[DeliveryResult]
) -> None:
    statuses = [s.value for s in Status]
    names = list(summary.counts) or ["(no integration results)"]
    width = max(len("integration"), *(len(n) for n in names))
    out.write(f"{'integration':<{width}}  " + "  ".join(f"{s:>9}" for s in statuses) + "\n")
    for name, counts in summary.counts.items():
        row = "  ".join(f"{counts[s]:>9}" for s in statuses)
        out.write(f"{one_line(name):<{width}}  {row}\n")
    out.write(f"events read: {summary.events + invalid - summary.invalid}, invalid: {invalid}\n")
    for result in failures:
        out.write(
            f"failed: {one_line(result.integration)} event {one_line(result.event_id)}: "
            f"{one_line(result.reason)} (attempts {result.attempts})\n"
        )
    if summary.failed > len(failures):
        out.write(f"... and {summary.failed - len(failures)} more failed (use --json for all)\n")


def _preview_text(item: RequestPreview) -> str:
    """``str(item)`` with control characters escaped: a header value (say a
    forwarded user agent) must not print extra lines; body lines stay lines."""
    lines = [one_line(f"{item.method} {item.url}")]
    lines += [one_line(f"{k}: {v}") for k, v in item.headers.items()]
    if item.body is not None:
        lines += ["", *(one_line(part) for part in item.body.split("\n"))]
    return "\n".join(lines)


def _dry_run(pipeline: Pipeline, stream: TextIO, out: TextIO, *, as_json: bool) -> int:
    invalid = 0

    def bad_line(line: int, reason: str) -> None:
        nonlocal invalid
        invalid += 1
        _report_invalid(out, as_json, line, reason)

    lines = _Lines(stream, bad_line)
    for data in lines:
        try:
            plan = pipeline.plan(data)
        except InvalidEventError as exc:
            bad_line(lines.line, str(exc))
            continue
        for item in plan:
            if as_json:
                record = item.to_dict()
                if isinstance(item, DeliveryResult):
                    record = {"line": lines.line, **record}
                else:
                    record = {"line": lines.line, "status": "would_send", **record}
                out.write(json.dumps(record, ensure_ascii=True) + "\n")
            elif isinstance(item, RequestPreview):
                out.write(f"# line {lines.line} -> {one_line(item.integration)} ({item.vendor})\n")
                out.write(_preview_text(item) + "\n\n")
            else:
                out.write(
                    f"# line {lines.line} -> {one_line(item.integration)}: "
                    f"{item.status.value}: {one_line(item.reason)}\n\n"
                )
    return EXIT_FAILED if invalid else EXIT_OK
