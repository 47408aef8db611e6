"""Response classes: 2xx accepted but unverified, 4xx failed, 5xx and network retried."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from signal_core import Status
from signal_core.testing import Reply


def event() -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "user_id": "user_8842",
        "timestamp": 1749200400,
        "properties": {"order_id": "ORD-1042"},
    }


@pytest.mark.parametrize("status", [200, 202, 204])
def test_2xx_is_delivered_but_unverified(make_pipeline, new_box, status):
    box = new_box(status)
    [result] = make_pipeline(base_url=box.url).send(event())
    assert result.status is Status.DELIVERED
    assert result.http_status == status
    assert result.attempts == 1
    assert "accepted by Kissmetrics, unverified" in result.reason
    assert result.reason.startswith(str(status))


def test_5xx_then_200_retries_with_the_same_request(make_pipeline, new_box, clock):
    box = new_box(503, 500, 200)
    [result] = make_pipeline(base_url=box.url).send(event())
    assert result.status is Status.DELIVERED
    assert result.attempts == 3
    assert len({r.target for r in box.requests}) == 1  # same _p, _n and _t every time
    assert clock.sleeps == [0.5, 1.0]


def test_always_5xx_gives_up_after_the_policy_attempts(make_pipeline, new_box, clock):
    box = new_box(502, 502, 502, 502)
    [result] = make_pipeline(base_url=box.url).send(event())
    assert result.status is Status.FAILED
    assert result.attempts == 3
    assert len(box.requests) == 3
    assert result.reason.startswith("gave up after 3 attempts: 502 Bad Gateway")
    assert clock.sleeps == [0.5, 1.0]


def test_429_honours_retry_after(make_pipeline, new_box, clock):
    box = new_box(Reply(429, {"Retry-After": "2"}), 200)
    [result] = make_pipeline(base_url=box.url).send(event())
    assert result.status is Status.DELIVERED
    assert len(box.requests) == 2
    assert clock.sleeps == [2.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 410, 422])
def test_other_4xx_fail_at_once_pointing_at_key_and_host(make_pipeline, new_box, clock, status):
    box = new_box(status)
    [result] = make_pipeline(base_url=box.url).send(event())
    assert result.status is Status.FAILED
    assert result.http_status == status
    assert result.attempts == 1
    assert len(box.requests) == 1
    assert f"{status} " in result.reason
    assert "from Kissmetrics: check the integration's api_key and host" in result.reason
    assert clock.sleeps == []


def test_414_names_the_query_length(make_pipeline, new_box):
    box = new_box(414)
    [result] = make_pipeline(base_url=box.url).send(event())
    assert result.status is Status.FAILED
    assert "query string is too long" in result.reason
    assert len(box.requests) == 1


@pytest.mark.parametrize(
    ("status", "text"),
    [(413, "request too large"), (501, "501 Not Implemented"), (302, "redirects are not followed")],
)
def test_statuses_left_to_the_core(make_pipeline, new_box, status, text):
    box = new_box(Reply(status, {"Location": "http://127.0.0.1:9/elsewhere"}))
    [result] = make_pipeline(base_url=box.url).send(event())
    assert result.status is Status.FAILED
    assert text in result.reason
    assert len(box.requests) == 1


def test_connection_refused_is_retried(make_pipeline, closed_port, clock):
    [result] = make_pipeline(base_url=f"http://127.0.0.1:{closed_port}").send(event())
    assert result.status is Status.FAILED
    assert result.attempts == 3
    assert result.http_status is None
    assert "connection failed" in result.reason
    assert clock.sleeps == [0.5, 1.0]


@pytest.fixture
def hangup_server() -> Iterator[tuple[str, list[bytes]]]:
    """Reads each request, then closes the connection without answering."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.05)
    seen: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if data:
                    seen.append(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", seen
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_connection_lost_after_sending_is_retried_because_kissmetrics_dedups(
    make_pipeline, hangup_server, clock
):
    url, seen = hangup_server
    [result] = make_pipeline(base_url=url).send(event())
    assert result.status is Status.FAILED
    assert result.attempts == 3
    assert "safe to retry: kissmetrics de-duplicates" in result.reason
    assert len(seen) == 3
    assert len({request.split(b"\r\n")[0] for request in seen}) == 1  # identical _t every time
