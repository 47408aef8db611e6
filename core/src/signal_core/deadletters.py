"""The dead-letter queue: every event that could not be delivered, ready for replay.

A failed result is written before ``send`` returns, keyed by integration and
event id: the original event (never a secret: secrets live in the
integration config, not in events), integration, vendor, reason, attempts,
last HTTP status, first and last failure time. In bulk runs invalid input is
kept too (integration ``""``). Replay re-delivers each event to its own
integration with its original event id, so vendor de-duplication holds;
what is delivered (or now dropped or skipped) leaves the queue, what fails
again stays with its attempts added up.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from .clock import Clock
from .errors import InvalidEventError
from .results import DeliveryResult, Status
from .state import DeadLetter, Store, dead_letter_key

if TYPE_CHECKING:
    from .pipeline import Pipeline

INVALID = ""


@dataclass(frozen=True)
class DeadLetterFilter:
    integration: str | None = None
    failed_before: float | None = None
    failed_after: float | None = None
    limit: int | None = None


@dataclass
class ReplaySummary:
    replayed: int = 0
    delivered: int = 0
    still_failing: int = 0
    kept: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "delivered": self.delivered,
            "still_failing": self.still_failing,
            "kept": self.kept,
            "outcomes": dict(self.outcomes),
        }


class DeadLetterQueue:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- writing ---------------------------------------------------------
    def record_failure(self, result: DeliveryResult, event: dict[str, Any]) -> None:
        now = self.clock.time()
        self.store.add_dead_letter(
            DeadLetter(
                key=dead_letter_key(result.integration, result.event_id),
                event_id=result.event_id,
                integration=result.integration,
                vendor=result.vendor,
                reason=result.reason,
                attempts=max(1, result.attempts),
                http_status=result.http_status,
                first_failed=now,
                last_failed=now,
                event=event,
            )
        )

    def record_invalid(self, data: Any, error: InvalidEventError | str) -> None:
        """Keep an invalid input event (or an unparsable line as ``{"_raw": text}``)."""
        if isinstance(data, dict):
            event = data
        else:
            event = {"_raw": data if isinstance(data, str) else repr(data)}
        try:
            text = json.dumps(event, sort_keys=True, ensure_ascii=True, default=repr)
        except (ValueError, TypeError, RecursionError):
            event = {"_raw": repr(data)[:100_000]}
            text = event["_raw"]
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        now = self.clock.time()
        self.store.add_dead_letter(
            DeadLetter(
                key=dead_letter_key(INVALID, digest),
                event_id=_no_surrogates(
                    str(event.get("message_id") or event.get("messageId") or digest)
                ),
                integration=INVALID,
                vendor="",
                reason=_no_surrogates(f"invalid event: {error}"),
                attempts=1,
                http_status=None,
                first_failed=now,
                last_failed=now,
                event=_json_safe(event),
            )
        )

    # -- reading ------------------------------------------------------------
    def list(self, where: DeadLetterFilter | None = None) -> list[DeadLetter]:
        where = where or DeadLetterFilter()
        return self.store.dead_letters(
            integration=where.integration,
            failed_before=where.failed_before,
            failed_after=where.failed_after,
            limit=where.limit,
        )

    def export(self, out: IO[str], where: DeadLetterFilter | None = None) -> int:
        count = 0
        for record in self.list(where):
            out.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
            count += 1
        return count

    def purge(self, where: DeadLetterFilter | None = None) -> int:
        return self.store.remove_dead_letters(r.key for r in self.list(where))

    # -- replay ---------------------------------------------------------------
    def replay(self, pipeline: Pipeline, where: DeadLetterFilter | None = None) -> ReplaySummary:
        summary = ReplaySummary()
        by_name = {i.name: i for i in pipeline.integrations}
        for record in self.list(where):
            summary.replayed += 1
            if record.integration == INVALID:
                summary.kept += 1
                summary.outcomes["invalid (kept)"] += 1
                continue
            integration = by_name.get(record.integration)
            if integration is None:
                summary.kept += 1
                summary.outcomes["integration not configured (kept)"] += 1
                continue
            if not integration.enabled:  # a skip would drop it from the queue: keep it
                summary.kept += 1
                summary.outcomes["integration disabled (kept)"] += 1
                continue
            result = pipeline.send_to(record.event, integration)
            summary.outcomes[result.status.value] += 1
            if result.status is Status.FAILED:
                summary.still_failing += 1  # send_to re-recorded it: attempts added
            else:
                summary.delivered += result.status is Status.DELIVERED
                self.store.remove_dead_letters([record.key])
        return summary

    def __iter__(self) -> Iterator[DeadLetter]:
        return iter(self.list())


def _json_safe(value: Any) -> Any:
    try:
        return _no_surrogates(json.loads(json.dumps(value, default=repr, allow_nan=True)))
    except (ValueError, TypeError, RecursionError):
        return {"_raw": repr(value)[:100_000]}


def _no_surrogates(value: Any) -> Any:
    """Lone surrogates (from undecodable input bytes) as backslash escapes: no
    store can encode them as UTF-8, and an invalid line must not be lost for that."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, list):
        return [_no_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_no_surrogates(k): _no_surrogates(v) for k, v in value.items()}
    return value
