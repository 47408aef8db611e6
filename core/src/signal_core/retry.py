"""The shared retry policy: one immutable value, modelled on urllib3's ``Retry``.

Classification (which failures may be retried) lives in ``classify_response``;
this object answers the other questions, each in its own small method: is the
budget exhausted, how long to back off, how to read ``Retry-After``, what
timeouts the next attempt gets, and whether a wait fits before the deadline.
It holds no per-request state, so one instance is safely shared by threads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from .clock import Clock
from .errors import ConfigError
from .wire import Timeout

# 408, 429 and every 5xx but 501 Not Implemented (DESIGN section 6).
DEFAULT_RETRY_STATUSES = frozenset({408, 429, *range(500, 600)} - {501})


@dataclass(frozen=True)
class RetryPolicy:
    """Defaults follow ``RELIABILITY.md``; every knob is overridable."""

    attempts: int = 3
    connect_timeout: float = 3.05
    read_timeout: float = 5.0
    deadline: float = 10.0
    backoff_base: float = 0.5
    throttled_backoff_base: float = 1.0
    backoff_cap: float = 5.0
    retry_after_cap: float = 10.0
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    max_response_bytes: int = 1024 * 1024

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        for name in ("connect_timeout", "read_timeout", "deadline", "backoff_cap"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if self.backoff_base < 0 or self.throttled_backoff_base < 0 or self.retry_after_cap < 0:
            raise ValueError("backoff bases and retry_after_cap must not be negative")

    # -- classification helpers -------------------------------------------
    def is_retryable_status(self, status: int) -> bool:
        return status in self.retry_statuses

    def is_exhausted(self, attempts_made: int) -> bool:
        return attempts_made >= self.attempts

    # -- timing ----------------------------------------------------------
    def backoff(self, retry_number: int, draw: float, *, throttled: bool = False) -> float:
        """Full jitter: ``draw * min(cap, base * 2 ** (retry_number - 1))``."""
        base = self.throttled_backoff_base if throttled else self.backoff_base
        exp = min(retry_number - 1, 62)
        return draw * min(self.backoff_cap, base * (2.0**exp))

    def parse_retry_after(self, value: str | None, now: float) -> float | None:
        """Seconds to wait from a ``Retry-After`` value; ``None`` if absent or invalid."""
        if value is None:
            return None
        text = value.strip()
        if not text:
            return None
        if text.isascii() and text.isdigit():  # "²".isdigit() is true, int("²") fails
            digits = text.lstrip("0") or "0"
            return float(int(digits[:12]))  # 12 digits are already far past any cap
        try:
            from email.utils import parsedate_to_datetime  # only when a date is given

            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - now
        return max(0.0, seconds) if math.isfinite(seconds) else None

    def timeouts(self, remaining: float) -> Timeout:
        """Connect and read timeouts for the next attempt, clipped to ``remaining``."""
        return Timeout(
            connect=max(0.001, min(self.connect_timeout, remaining)),
            read=max(0.001, min(self.read_timeout, remaining)),
            total=max(0.001, remaining),
        )

    def wait_before_retry(
        self,
        retry_number: int,
        draw: float,
        remaining: float,
        *,
        retry_after: float | None = None,
        throttled: bool = False,
    ) -> float | None:
        """How long to sleep before retry ``retry_number``; ``None`` means give up now.

        A ``Retry-After`` longer than ``min(retry_after_cap, remaining)`` is
        not slept; neither is a backoff that would cross the deadline.
        """
        if retry_after is not None and not retry_after >= 0:
            retry_after = None  # NaN or negative from a plugin: use the backoff
        if retry_after is not None:
            # Waiting until the deadline itself would leave no time for the retry.
            if retry_after > self.retry_after_cap or retry_after >= remaining:
                return None
            return retry_after
        wait = self.backoff(retry_number, draw, throttled=throttled)
        return wait if wait < remaining else None

    def sleep(self, seconds: float, clock: Clock) -> None:
        clock.sleep(seconds)

    # -- construction ---------------------------------------------------
    def merged(self, overrides: Mapping[str, Any] | None, *, where: str = "retry") -> RetryPolicy:
        """A copy with ``overrides`` (from a pipeline file) applied, validated."""
        if not overrides:
            return self
        if not isinstance(overrides, Mapping):
            raise ConfigError("must be an object", field=where)
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in known:
                raise ConfigError(f"unknown setting {key!r}", field=where)
            if key == "retry_statuses":
                if not isinstance(value, (list, tuple, set, frozenset)) or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in value
                ):
                    raise ConfigError("must be a list of status codes", field=f"{where}.{key}")
                changes[key] = frozenset(value)
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError("must be a number", field=f"{where}.{key}")
            else:
                changes[key] = int(value) if key in ("attempts", "max_response_bytes") else value
        try:
            return replace(self, **changes)
        except ValueError as exc:
            raise ConfigError(str(exc), field=where) from None

    def with_timeout(self, timeout: Any, *, where: str = "timeout") -> RetryPolicy:
        """Apply a pipeline file's ``timeout``: a number (read timeout) or a table."""
        if timeout is None:
            return self
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
            return self.merged({"read_timeout": timeout}, where=where)
        if isinstance(timeout, Mapping):
            names = {"connect": "connect_timeout", "read": "read_timeout", "total": "deadline"}
            unknown = set(timeout) - set(names)
            if unknown:
                raise ConfigError(f"unknown key(s) {sorted(unknown)}", field=where)
            return self.merged({names[k]: v for k, v in timeout.items()}, where=where)
        raise ConfigError("must be a number of seconds or a table", field=where)
