"""The one retry loop, and batching of payloads into requests."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ._frozen import Frozen, setters
from .cli.safe_text import one_line
from .clock import Clock
from .errors import DeadlineExceeded, TransportError
from .integration import Integration
from .outcome import Outcome, Verdict
from .payload import Payload
from .plugins import Hooks
from .transport import Transport
from .wire import Request, Response, Timeout

log = logging.getLogger("signal_core.delivery")


class Attempted(Frozen):
    """How one request ended: the final outcome, attempts made, last HTTP status."""

    _fields = ("outcome", "attempts", "http_status")
    __slots__ = _fields
    outcome: Outcome
    attempts: int
    http_status: int | None

    def __init__(self, outcome: Outcome, attempts: int, http_status: int | None) -> None:
        _outcome(self, outcome)
        _attempts(self, attempts)
        _http_status(self, http_status)


_outcome, _attempts, _http_status = setters(Attempted)


class _DeadlineBound:
    """The transport handed to ``authorize_request``: each call clipped to the time left.

    A plugin fetching a token (Kameleoon OAuth) cannot spend time past the
    attempt's deadline, whatever timeout it asks for.
    """

    def __init__(self, transport: Transport, clock: Clock, deadline: float) -> None:
        self._transport = transport
        self._clock = clock
        self._deadline = deadline

    def send(self, request: Request, timeout: Timeout) -> Response:
        remaining = self._deadline - self._clock.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded("before an authorization request")
        bounded = Timeout(
            connect=min(timeout.connect, remaining),
            read=min(timeout.read, remaining),
            total=min(timeout.total, remaining),
        )
        return self._transport.send(request, bounded)

    def __getattr__(self, name: str) -> object:
        return getattr(self._transport, name)


class Deliverer:
    """Sends requests under the integration's retry policy."""

    def __init__(self, hooks: Hooks, transport: Transport, clock: Clock) -> None:
        self.hooks = hooks
        self.transport = transport
        self.clock = clock

    def build(self, payloads: Sequence[Payload], integration: Integration) -> Request:
        request = self.hooks.build_request(payloads, integration)
        if integration.base_url:
            request = request.with_base_url(integration.base_url)
        return request

    def deliver(self, request: Request, integration: Integration) -> Attempted:
        policy = integration.retry
        clock = self.clock
        deadline = clock.monotonic() + policy.deadline
        attempts = 0
        status: int | None = None
        authorizes = self.hooks.implemented_for("authorize_request", integration.vendor)
        while True:
            remaining = deadline - clock.monotonic()
            if remaining <= 0:
                reason = f"deadline of {policy.deadline:g}s exceeded"
                return Attempted(Outcome.failed(reason), attempts, status)
            attempts += 1
            response: Response | None = None
            error: TransportError | None = None
            try:
                sent = request
                if authorizes:
                    bound = _DeadlineBound(self.transport, clock, deadline)
                    sent = self.hooks.authorize_request(request, integration, bound)
                    remaining = deadline - clock.monotonic()  # authorizing may have taken time
                    if remaining <= 0:
                        raise DeadlineExceeded("while authorizing the request")
                response = self.transport.send(sent, policy.timeouts(remaining))
                status = response.status
            except TransportError as exc:
                error = exc
            outcome = self.hooks.classify_response(request, response, error, integration)
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "integration=%r attempt=%d verdict=%s reason=%s",
                    integration.name,
                    attempts,
                    outcome.verdict.value,
                    one_line(integration.redact(outcome.reason)),
                )
            if outcome.verdict is not Verdict.RETRY:
                return Attempted(outcome, attempts, status)
            if policy.is_exhausted(attempts):
                reason = f"gave up after {attempts} attempts: {outcome.reason}"
                return Attempted(Outcome.failed(reason), attempts, status)
            retry_after = outcome.retry_after
            if retry_after is None and response is not None and response.status in (429, 503):
                retry_after = policy.parse_retry_after(response.header("retry-after"), clock.time())
            remaining = deadline - clock.monotonic()
            wait = policy.wait_before_retry(
                attempts,
                clock.random(),
                remaining,
                retry_after=retry_after,
                throttled=outcome.throttled,
            )
            if wait is None:
                if retry_after is not None:
                    reason = (
                        f"throttled: vendor asked to wait {retry_after:g}s, longer than "
                        f"allowed ({min(policy.retry_after_cap, max(remaining, 0)):g}s); "
                        f"replay later ({outcome.reason})"
                    )
                else:
                    reason = f"{DeadlineExceeded.kind} before the next retry: {outcome.reason}"
                return Attempted(Outcome.failed(reason), attempts, status)
            policy.sleep(wait, clock)

    def deliver_payloads(
        self, payloads: Sequence[Payload], integration: Integration
    ) -> list[Attempted]:
        """Deliver payloads in requests of at most the vendor's batch size.

        Returns one :class:`Attempted` per payload, in order. A batch over the
        vendor's byte limit, or answered 413, is split in halves.
        """
        size = integration.batch_size
        out: list[Attempted] = []
        for start in range(0, len(payloads), size):
            out.extend(self._deliver_chunk(payloads[start : start + size], integration))
        return out

    def _deliver_chunk(self, chunk: Sequence[Payload], integration: Integration) -> list[Attempted]:
        try:
            request = self.build(chunk, integration)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            reason = integration.redact(f"plugin error in build_request: {error}")
            return [Attempted(Outcome.failed(reason), 0, None)] * len(chunk)
        limit = integration.spec.max_batch_bytes
        if limit and len(chunk) > 1 and request.body is not None and len(request.body) > limit:
            return self._split(chunk, integration)
        done = self.deliver(request, integration)
        if done.outcome.split and len(chunk) > 1:
            return self._split(chunk, integration)
        return [done] * len(chunk)

    def _split(self, chunk: Sequence[Payload], integration: Integration) -> list[Attempted]:
        mid = len(chunk) // 2
        return self._deliver_chunk(chunk[:mid], integration) + self._deliver_chunk(
            chunk[mid:], integration
        )
