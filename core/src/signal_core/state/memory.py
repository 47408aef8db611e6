"""In-process state: a dict behind a lock. Lost when the process ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Callable

from .base import check_limit, expiry, is_expired, matches, merge_dead_letter
from .records import DeadLetter, dump_event, load_event

__all__ = ["MemoryStore"]


def _copy(record: DeadLetter) -> DeadLetter:
    # A JSON round trip, so the memory store returns what SQLite and Redis
    # would (tuples become lists...) and callers never share our dicts.
    return DeadLetter(
        key=record.key,
        event_id=record.event_id,
        integration=record.integration,
        vendor=record.vendor,
        reason=record.reason,
        attempts=record.attempts,
        http_status=record.http_status,
        first_failed=float(record.first_failed),
        last_failed=float(record.last_failed),
        event=load_event(dump_event(record.event)),
    )


class MemoryStore:
    """Thread-safe in-memory store (``memory://``); each instance is separate."""

    def __init__(self, *, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._values: dict[str, tuple[str, float | None]] = {}
        self._dead: dict[str, DeadLetter] = {}

    @property
    def url(self) -> str:
        return "memory://"

    def __repr__(self) -> str:
        return "MemoryStore('memory://')"

    def get(self, key: str) -> str | None:
        now = self._now()
        with self._lock:
            item = self._values.get(key)
            if item is None:
                return None
            value, expires_at = item
            if is_expired(expires_at, now):
                del self._values[key]
                return None
            return value

    def put(self, key: str, value: str, ttl: float | None = None) -> None:
        now = self._now()
        expires_at = expiry(now, ttl)
        with self._lock:
            if is_expired(expires_at, now):
                self._values.pop(key, None)
            else:
                self._values[key] = (value, expires_at)

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def purge_expired(self) -> int:
        """Drop expired keys now (reads already ignore them); the number dropped."""
        now = self._now()
        with self._lock:
            gone = [k for k, (_, exp) in self._values.items() if is_expired(exp, now)]
            for key in gone:
                del self._values[key]
        return len(gone)

    def add_dead_letter(self, record: DeadLetter) -> DeadLetter:
        fresh = _copy(record)
        with self._lock:
            old = self._dead.get(record.key)
            stored = fresh if old is None else merge_dead_letter(old, fresh)
            self._dead[record.key] = stored
        return _copy(stored)

    def dead_letters(
        self,
        *,
        integration: str | None = None,
        failed_before: float | None = None,
        failed_after: float | None = None,
        limit: int | None = None,
    ) -> list[DeadLetter]:
        check_limit(limit)
        with self._lock:
            found = [
                r
                for r in self._dead.values()
                if matches(r, integration, failed_before, failed_after)
            ]
        found.sort(key=lambda r: (r.last_failed, r.key))
        if limit is not None:
            found = found[:limit]
        return [_copy(r) for r in found]

    def remove_dead_letters(self, keys: Iterable[str]) -> int:
        wanted = list(keys)
        removed = 0
        with self._lock:
            for key in wanted:
                if self._dead.pop(key, None) is not None:
                    removed += 1
        return removed

    def count_dead_letters(self, *, integration: str | None = None) -> int:
        with self._lock:
            if integration is None:
                return len(self._dead)
            return sum(1 for r in self._dead.values() if r.integration == integration)

    def close(self) -> None:
        """Nothing to release; the data stays readable."""
