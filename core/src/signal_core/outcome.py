"""The verdict of ``classify_response`` on one attempt."""

from __future__ import annotations

from enum import Enum

from ._frozen import Frozen, setters


class Verdict(str, Enum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"


class Outcome(Frozen):
    """``verdict`` plus a reason a human can act on.

    ``retry_after`` (seconds) overrides the policy's backoff; ``throttled``
    selects the slower throttling backoff; ``split`` asks the core to split a
    batch and try the halves (413). Immutable.
    """

    _fields = ("verdict", "reason", "retry_after", "throttled", "split")
    __slots__ = _fields
    verdict: Verdict
    reason: str
    retry_after: float | None
    throttled: bool
    split: bool

    def __init__(
        self,
        verdict: Verdict,
        reason: str,
        retry_after: float | None = None,
        throttled: bool = False,
        split: bool = False,
    ) -> None:
        _verdict(self, verdict)
        _reason(self, reason)
        _retry_after(self, retry_after)
        _throttled(self, throttled)
        _split(self, split)

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


_verdict, _reason, _retry_after, _throttled, _split = setters(Outcome)
