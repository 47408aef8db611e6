"""Fakes for tests: a clock that never sleeps, transports that record or forbid I/O."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass

from ..errors import ConnectError
from ..transport import RequestsTransport, Transport
from ..wire import Request, Response, Timeout

__all__ = ["FakeClock", "NoNetworkTransport", "RecordingTransport", "SentRequest", "closed_port"]


class FakeClock:
    """A ``Clock`` for ``Pipeline(clock=...)`` that never sleeps.

    ``sleep`` advances the fake time and records the duration in ``sleeps``;
    ``random`` returns a pinned draw (``1.0`` by default), so backoff
    schedules are exact: the n-th retry waits ``min(cap, base * 2 ** (n - 1))``.
    """

    def __init__(self, *, start: float = 1_750_000_000.0, draw: float = 1.0) -> None:
        self._now = 0.0
        self._wall = start
        self.draw = draw
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def time(self) -> float:
        with self._lock:
            return self._wall + self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def random(self) -> float:
        return self.draw


@dataclass(frozen=True)
class SentRequest:
    """What a :class:`RecordingTransport` was asked to send (the request, as built)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None

    @property
    def host(self) -> str:
        return Request(self.method, self.url).host

    def __repr__(self) -> str:  # URLs and headers may carry secrets
        return f"<SentRequest {self.method} {self.host}>"


class RecordingTransport:
    """Wraps a transport (a pooled ``RequestsTransport`` by default) and records
    every request handed to it, in order, before sending it."""

    def __init__(self, inner: Transport | None = None) -> None:
        self.inner: Transport = inner or RequestsTransport()
        self.sent: list[SentRequest] = []
        self._lock = threading.Lock()

    def send(self, request: Request, timeout: Timeout) -> Response:
        with self._lock:
            self.sent.append(
                SentRequest(request.method, request.full_url, dict(request.headers), request.body)
            )
        return self.inner.send(request, timeout)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()


class NoNetworkTransport:
    """A transport that must never be used: every call is recorded in ``calls``
    and answered with a connection error (the core turns exceptions into
    results, so assert ``transport.calls == []``)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def send(self, request: Request, timeout: Timeout) -> Response:
        self.calls.append(f"{request.method} {request.host}")
        raise ConnectError("NoNetworkTransport: this code path must not send anything")


def closed_port() -> int:
    """A loopback port nothing listens on (a connection to it is refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
