"""The dead-letter record every state backend stores."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DeadLetter", "dead_letter_key", "dump_event", "load_event"]


def dead_letter_key(integration: str, event_id: str) -> str:
    """The store key of the dead letter of ``event_id`` at ``integration``.

    ``"<integration>:<event_id>"`` with ``%`` and ``:`` percent-encoded in the
    integration name, so two different pairs never share a key. Invalid input
    events use ``integration=""`` (key ``":<event_id>"``).
    """
    safe = integration.replace("%", "%25").replace(":", "%3A")
    return f"{safe}:{event_id}"


def dump_event(event: dict[str, Any]) -> str:
    """The event as compact JSON; a value JSON cannot hold is kept as its ``str``.

    A dead-letter store must not lose an event because of one odd value.
    """
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str)


def load_event(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("dead letter event: not a JSON object")
    return value


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"dead letter {name}: not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"dead letter {name}: not a finite number")
    return number


def _integer(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"dead letter {name}: not an integer")
    return value


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"dead letter {name}: not a string")
    return value


@dataclass(frozen=True)
class DeadLetter:
    """One event that failed (or was invalid) at one integration.

    ``integration`` is ``""`` for an invalid input event. Times are epoch
    seconds. ``event`` is the original event; it must not carry secrets
    (credentials live in integration config, never in events).
    """

    key: str
    event_id: str
    integration: str
    vendor: str
    reason: str
    attempts: int
    http_status: int | None
    first_failed: float
    last_failed: float
    event: dict[str, Any]

    def __post_init__(self) -> None:
        _integer(self.attempts, "attempts")
        if self.http_status is not None:
            _integer(self.http_status, "http_status")
        _number(self.first_failed, "first_failed")
        _number(self.last_failed, "last_failed")
        event: object = self.event
        if not isinstance(event, dict):
            raise ValueError("dead letter event: not a dict")

    @staticmethod
    def make_key(integration: str, event_id: str) -> str:
        return dead_letter_key(integration, event_id)

    @classmethod
    def create(
        cls,
        *,
        event_id: str,
        integration: str,
        vendor: str,
        reason: str,
        failed_at: float,
        event: dict[str, Any],
        attempts: int = 1,
        http_status: int | None = None,
    ) -> DeadLetter:
        """A new record keyed by :func:`dead_letter_key`, failed first and last at ``failed_at``."""
        return cls(
            key=dead_letter_key(integration, event_id),
            event_id=event_id,
            integration=integration,
            vendor=vendor,
            reason=reason,
            attempts=attempts,
            http_status=http_status,
            first_failed=failed_at,
            last_failed=failed_at,
            event=event,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (``json.dumps`` accepts it); ``from_dict`` reverses it."""
        return {
            "key": self.key,
            "event_id": self.event_id,
            "integration": self.integration,
            "vendor": self.vendor,
            "reason": self.reason,
            "attempts": self.attempts,
            "http_status": self.http_status,
            "first_failed": float(self.first_failed),
            "last_failed": float(self.last_failed),
            "event": load_event(dump_event(self.event)),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeadLetter:
        """Rebuild a record from ``to_dict`` output; ``ValueError`` names a bad field."""
        raw: object = data
        if not isinstance(raw, Mapping):
            raise ValueError("dead letter: not a JSON object")
        missing = [name for name in _FIELDS if name not in data]
        if missing:
            raise ValueError(f"dead letter: missing {', '.join(missing)}")
        status = data["http_status"]
        event = data["event"]
        if not isinstance(event, dict):
            raise ValueError("dead letter event: not a JSON object")
        return cls(
            key=_text(data["key"], "key"),
            event_id=_text(data["event_id"], "event_id"),
            integration=_text(data["integration"], "integration"),
            vendor=_text(data["vendor"], "vendor"),
            reason=_text(data["reason"], "reason"),
            attempts=_integer(data["attempts"], "attempts"),
            http_status=None if status is None else _integer(status, "http_status"),
            first_failed=_number(data["first_failed"], "first_failed"),
            last_failed=_number(data["last_failed"], "last_failed"),
            event=load_event(dump_event(event)),
        )


_FIELDS = (
    "key",
    "event_id",
    "integration",
    "vendor",
    "reason",
    "attempts",
    "http_status",
    "first_failed",
    "last_failed",
    "event",
)
