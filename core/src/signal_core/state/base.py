"""The interface every state backend implements, and helpers they share."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .records import DeadLetter

__all__ = ["Store", "check_limit", "expiry", "is_expired", "mask_url", "merge_dead_letter"]

_MASK = "***"
_SECRET_QUERY = frozenset({"password", "pass", "pwd", "secret", "token"})


@runtime_checkable
class Store(Protocol):
    """Key/value state with expiry plus the dead-letter store.

    Implementations are safe to share between threads. Expiry follows the
    ``now`` callable given to the constructor: a key put with ``ttl`` reads as
    ``None`` once ``now() >= put time + ttl``.
    """

    @property
    def url(self) -> str:
        """The store URL, safe to print: a password is shown as ``***``."""
        ...

    def get(self, key: str) -> str | None:
        """The value of ``key``, or ``None`` if absent or expired."""
        ...

    def put(self, key: str, value: str, ttl: float | None = None) -> None:
        """Set ``key``; ``ttl`` in seconds (``None``: no expiry, ``<= 0``: already expired)."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; no error if absent."""
        ...

    def add_dead_letter(self, record: DeadLetter) -> DeadLetter:
        """Insert or merge ``record`` by ``record.key``, atomically; return the stored record.

        On a merge the stored ``first_failed``, ``event``, ``event_id`` and
        ``integration`` stay, ``attempts`` are added up, and ``reason``,
        ``http_status``, ``last_failed`` and ``vendor`` come from ``record``.
        """
        ...

    def dead_letters(
        self,
        *,
        integration: str | None = None,
        failed_before: float | None = None,
        failed_after: float | None = None,
        limit: int | None = None,
    ) -> list[DeadLetter]:
        """Records ordered by ``(last_failed, key)``.

        ``failed_after <= last_failed < failed_before`` (a half-open window, so
        consecutive windows never overlap); ``limit`` caps the count.
        """
        ...

    def remove_dead_letters(self, keys: Iterable[str]) -> int:
        """Remove the records with these keys; the number actually removed."""
        ...

    def count_dead_letters(self, *, integration: str | None = None) -> int: ...

    def close(self) -> None: ...


def mask_url(url: str) -> str:
    """``url`` with any password (userinfo or ``?password=``) replaced by ``***``."""
    try:
        parts = urlsplit(url)
        password = parts.password
        netloc = parts.netloc
    except ValueError:
        return "<unparsable URL>"
    if password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{_MASK}@{hostinfo}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(name.lower() in _SECRET_QUERY for name, _ in pairs):
            masked = [
                (name, _MASK if name.lower() in _SECRET_QUERY else value) for name, value in pairs
            ]
            query = urlencode(masked, safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def expiry(now: float, ttl: float | None) -> float | None:
    """The absolute expiry time of a put at ``now``; ``None`` for no expiry."""
    if ttl is None:
        return None
    if math.isnan(ttl):
        raise ValueError("ttl: not a number")
    if math.isinf(ttl):
        if ttl > 0:
            return None
        return now
    return now + ttl


def is_expired(expires_at: float | None, now: float) -> bool:
    return expires_at is not None and now >= expires_at


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 0:
        raise ValueError("limit: must be >= 0")


def merge_dead_letter(old: DeadLetter, new: DeadLetter) -> DeadLetter:
    """The record stored when ``new`` is added over ``old`` (same key)."""
    return DeadLetter(
        key=old.key,
        event_id=old.event_id,
        integration=old.integration,
        vendor=new.vendor,
        reason=new.reason,
        attempts=old.attempts + new.attempts,
        http_status=new.http_status,
        first_failed=old.first_failed,
        last_failed=new.last_failed,
        event=old.event,
    )


def matches(
    record: DeadLetter,
    integration: str | None,
    failed_before: float | None,
    failed_after: float | None,
) -> bool:
    """Whether ``record`` passes the ``Store.dead_letters`` filters."""
    if integration is not None and record.integration != integration:
        return False
    if failed_before is not None and not record.last_failed < failed_before:
        return False
    return failed_after is None or record.last_failed >= failed_after
