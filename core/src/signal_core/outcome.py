"""The verdict of ``classify_response`` on one attempt."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Verdict(str, Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    """``verdict`` plus a reason a human can act on.

    ``retry_after`` (seconds) overrides the policy's backoff; ``throttled``
    selects the slower throttling backoff; ``split`` asks the core to split a
    batch and try the halves (413).
    """

    verdict: Verdict
    reason: str
    retry_after: float | None = None
    throttled: bool = False
    split: bool = False

    @classmethod
    def delivered(cls, reason: str = "delivered") -> Outcome:
        return cls(Verdict.DELIVERED, reason)

    @classmethod
    def retry(
        cls, reason: str, *, retry_after: float | None = None, throttled: bool = False
    ) -> Outcome:
        return cls(Verdict.RETRY, reason, retry_after=retry_after, throttled=throttled)

    @classmethod
    def failed(cls, reason: str, *, split: bool = False) -> Outcome:
        return cls(Verdict.FAILED, reason, split=split)
