"""How Kameleoon's answers are classified: delivered, retried or failed, and why."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest
from kameleoon_testkit import integration, purchase
from signal_core import Status
from signal_core.testing import Reply


@pytest.mark.parametrize("status", [200, 204])
def test_success(box, make_pipeline, status, clock):
    box.script(status)
    [result] = make_pipeline(integration(box)).send(purchase())
    assert (result.status, result.attempts, result.http_status) == (Status.DELIVERED, 1, status)
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (
            404,
            "404 Not Found: the data region is wrong: is the account on eu or na? "
            "(configured: region 'eu', domain kameleoon.io)",
        ),
        (
            400,
            "400 Bad Request: nonce or eventType missing or body malformed "
            "(check the event mapping)",
        ),
        (
            403,
            "403 Forbidden: Kameleoon refused the request (it rejects bot and spider user "
            "agents, or access to the project is denied); not retried",
        ),
        (
            401,
            "401 Unauthorized: Kameleoon asked for a token; configure client_id and "
            "client_secret for this integration",
        ),
    ],
)
def test_permanent_failures_make_one_request(box, make_pipeline, clock, status, reason):
    box.script(status, 204)
    [result] = make_pipeline(integration(box)).send(purchase())
    assert result.status is Status.FAILED
    assert result.reason == reason
    assert (result.attempts, result.http_status) == (1, status)
    assert len(box.requests) == 1
    assert clock.sleeps == []


def test_404_names_the_configured_region(box, make_pipeline):
    box.script(404)
    [result] = make_pipeline(integration(box, region="na", domain_tld="eu")).send(purchase())
    assert "region 'na', domain kameleoon.eu" in result.reason


def test_429_honours_retry_after(box, make_pipeline, clock):
    box.script(Reply(429, {"Retry-After": "2"}), 204)
    [result] = make_pipeline(integration(box)).send(purchase())
    assert (result.status, result.attempts) == (Status.DELIVERED, 2)
    assert clock.sleeps == [2.0]
    assert box.requests[0].body == box.requests[1].body


def test_429_throughout_fails_mentioning_the_jwt(box, make_pipeline, clock):
    box.script(429, 429, 429)
    [result] = make_pipeline(integration(box)).send(purchase())
    assert result.status is Status.FAILED
    assert result.attempts == 3
    assert len(box.requests) == 3
    assert "rate limit" in result.reason
    assert "OAuth JWT raises the limit" in result.reason
    assert clock.sleeps == [1.0, 2.0]  # the slower, throttled backoff


def test_429_with_a_retry_after_too_long_is_not_slept(box, make_pipeline, clock):
    box.script(Reply(429, {"Retry-After": "86400"}))
    [result] = make_pipeline(integration(box)).send(purchase())
    assert result.status is Status.FAILED
    assert "throttled" in result.reason
    assert len(box.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_retried(box, make_pipeline, clock, status):
    box.script(status, status, status)
    [result] = make_pipeline(integration(box)).send(purchase())
    assert result.status is Status.FAILED
    assert (result.attempts, result.http_status) == (3, status)
    assert len(box.requests) == 3
    assert len({r.body for r in box.requests}) == 1
    assert clock.sleeps == [0.5, 1.0]


def test_413_for_a_single_event_fails_without_retry(box, make_pipeline, clock):
    box.script(413)
    [result] = make_pipeline(integration(box)).send(purchase())
    assert result.status is Status.FAILED
    assert "413" in result.reason
    assert len(box.requests) == 1


class ResetThenAnswer:
    """Loopback server: resets the first connection after reading the request, answers
    204 on the next one. Records the bytes of each request it read."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.server.settimeout(5)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read(self, conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += conn.recv(65536)
        return body

    def _serve(self) -> None:
        try:
            for answer in (False, True):
                conn, _ = self.server.accept()
                self.received.append(self._read(conn))
                if answer:
                    conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                else:  # RST instead of FIN: the client sees a reset after sending
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
        except OSError:
            pass


@pytest.fixture
def flaky() -> Iterator[ResetThenAnswer]:
    server = ResetThenAnswer()
    yield server
    server.server.close()


def test_connection_reset_after_sending_is_retried_because_kameleoon_dedups(
    flaky, make_pipeline, clock
):
    [result] = make_pipeline(integration(base_url=flaky.url)).send(purchase())
    assert (result.status, result.attempts, result.http_status) == (Status.DELIVERED, 2, 204)
    assert len(flaky.received) == 2
    assert flaky.received[0] == flaky.received[1]  # same nonce: Kameleoon keeps one
    assert clock.sleeps == [0.5]
