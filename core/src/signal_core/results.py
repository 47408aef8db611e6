"""What ``send`` and ``send_many`` report."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ._frozen import Frozen, setters


class Status(str, Enum):
    DELIVERED = "delivered"
    DROPPED = "dropped"
    SKIPPED = "skipped"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


class DeliveryResult(Frozen):
    """The end state of one event at one integration. Immutable."""

    _fields = (
        "integration",
        "vendor",
        "status",
        "reason",
        "attempts",
        "http_status",
        "event_id",
        "notes",
    )
    __slots__ = _fields
    integration: str
    vendor: str
    status: Status
    reason: str
    attempts: int
    http_status: int | None
    event_id: str
    notes: tuple[str, ...]

    def __init__(
        self,
        integration: str,
        vendor: str,
        status: Status,
        reason: str,
        attempts: int = 0,
        http_status: int | None = None,
        event_id: str = "",
        notes: tuple[str, ...] = (),
    ) -> None:
        _integration(self, integration)
        _vendor(self, vendor)
        _status(self, status)
        _reason(self, reason)
        _attempts(self, attempts)
        _http_status(self, http_status)
        _event_id(self, event_id)
        _notes(self, notes)

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAILED

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "integration": self.integration,
            "vendor": self.vendor,
            "status": self.status.value,
            "reason": self.reason,
            "attempts": self.attempts,
            "http_status": self.http_status,
            "notes": list(self.notes),
        }


(
    _integration,
    _vendor,
    _status,
    _reason,
    _attempts,
    _http_status,
    _event_id,
    _notes,
) = setters(DeliveryResult)


@dataclass
class SendSummary:
    """Counts of a ``send_many`` run: per integration and status, plus invalid input."""

    events: int = 0
    invalid: int = 0
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    invalid_examples: list[tuple[int, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, result: DeliveryResult) -> None:
        with self._lock:
            self.counts.setdefault(result.integration, Counter())[result.status.value] += 1

    def add_invalid(self, index: int, reason: str, *, keep: int = 20) -> None:
        with self._lock:
            self.invalid += 1
            if len(self.invalid_examples) < keep:
                self.invalid_examples.append((index, reason))

    def total(self, status: Status | str) -> int:
        key = status.value if isinstance(status, Status) else status
        return sum(c[key] for c in self.counts.values())

    @property
    def failed(self) -> int:
        return self.total(Status.FAILED)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.invalid == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "invalid": self.invalid,
            "integrations": {
                name: {s.value: c[s.value] for s in Status} for name, c in self.counts.items()
            },
        }
