"""The transport half of RELIABILITY.md: a raw-socket server misbehaving in every way,
against every vendor plugin and the echo test vendors."""

from __future__ import annotations

import pytest
from faultserver import (
    CLOSE,
    GARBAGE,
    HANG,
    MB,
    OK,
    RESET,
    TRUNCATED,
    FaultServer,
    closed_port,
    drip,
    garbage,
    huge,
    redirect,
    wait_until,
)
from reliability_kit import DEDUPS, VENDORS, SpyTransport, integration, order
from signal_core import Status
from signal_core.errors import ConnectError, ConnectionLost, ReadTimeout, TLSError
from signal_core.transport import RequestsTransport
from signal_core.transport_urllib3 import Urllib3Transport

ALL = pytest.mark.parametrize("vendor", VENDORS)
DEDUPING = pytest.mark.parametrize("vendor", [v for v in VENDORS if DEDUPS[v]])

# Faults after the request reached the server, with a short read timeout for HANG.
AFTER_SEND = {
    "reset": (RESET, "connection lost"),
    "close": (CLOSE, "connection lost"),
    "garbage": (GARBAGE, "connection lost"),
    "truncated": (TRUNCATED, "connection lost"),
    "read-timeout": (HANG, "read timeout"),
    "drip-slower-than-read-timeout": (drip(0.3, "body", body=b"x" * 5), "read timeout"),
}
FAST = {"read_timeout": 0.1}


@pytest.fixture(params=["urllib3", "requests"], autouse=True)
def transport_kind(request, monkeypatch):
    """Every fault here runs through both transports (urllib3 is the default)."""
    factory = Urllib3Transport if request.param == "urllib3" else RequestsTransport
    monkeypatch.setattr(SpyTransport, "factory", factory)
    return request.param


@ALL
def test_connection_refused_is_retried_for_every_vendor(vendor, send_one, clock):
    url = f"http://127.0.0.1:{closed_port()}"
    spy = SpyTransport()
    result, pipeline = send_one(vendor, url, pipeline_kw={"transport": spy})
    assert result.status is Status.FAILED
    assert result.attempts == 3
    assert result.http_status is None
    assert clock.sleeps == [0.5, 1.0]
    assert result.reason == "gave up after 3 attempts: connection failed: refused or unreachable"
    assert [type(e) for e in spy.errors] == [ConnectError] * 3
    assert len(pipeline.dead_letters.list()) == 1


@ALL
def test_refused_then_up_is_delivered(vendor, send_one, clock):
    # the first attempt is refused (nothing listens yet); the server starts during the backoff
    port = closed_port()
    spy = SpyTransport()
    started: list[FaultServer] = []

    class StartServerOnSleep:
        def __getattr__(self, name):
            return getattr(clock, name)

        def sleep(self, seconds: float) -> None:
            clock.sleep(seconds)
            if not started:
                started.append(FaultServer(port=port).start())

    try:
        result, _ = send_one(
            vendor,
            f"http://127.0.0.1:{port}",
            pipeline_kw={"transport": spy, "clock": StartServerOnSleep()},
        )
    finally:
        for server in started:
            server.stop()
    assert result.status is Status.DELIVERED, result.reason
    assert result.attempts == 2
    assert clock.sleeps == [0.5]
    assert [type(e) for e in spy.errors] == [ConnectError]
    assert len(started[0].requests) == 1


@ALL
@pytest.mark.parametrize("fault", sorted(AFTER_SEND))
def test_faults_after_sending_are_retried_only_when_the_vendor_dedups(
    vendor, fault, fault_server, send_one, clock
):
    action, kind = AFTER_SEND[fault]
    server = fault_server(default=action)
    spy = SpyTransport()
    result, pipeline = send_one(vendor, server.url, retry=FAST, pipeline_kw={"transport": spy})
    expected = 3 if DEDUPS[vendor] else 1
    assert result.status is Status.FAILED
    assert result.attempts == expected
    assert wait_until(lambda: len(server.requests) == expected)
    assert len(server.requests) == expected
    assert kind in result.reason
    error = ReadTimeout if kind == "read timeout" else ConnectionLost
    assert [type(e) for e in spy.errors] == [error] * expected
    if DEDUPS[vendor]:
        assert clock.sleeps == [0.5, 1.0]
        assert "gave up after 3 attempts" in result.reason
    else:
        assert clock.sleeps == []
        assert "does not de-duplicate" in result.reason
    assert len(pipeline.dead_letters.list()) == 1


@DEDUPING
@pytest.mark.parametrize("fault", sorted(AFTER_SEND))
def test_a_fault_then_success_is_delivered_when_the_vendor_dedups(
    vendor, fault, fault_server, send_one
):
    server = fault_server(AFTER_SEND[fault][0], OK)
    result, pipeline = send_one(vendor, server.url, retry=FAST)
    assert result.status is Status.DELIVERED, result.reason
    assert result.attempts == 2
    assert len(server.requests) == 2
    assert server.requests[0].body == server.requests[1].body
    assert server.requests[0].target == server.requests[1].target
    assert pipeline.dead_letters.list() == []


@ALL
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_not_followed(vendor, fault_server, send_one, clock, status):
    target = fault_server()
    server = fault_server(default=redirect(f"{target.url}/stolen", status=status))
    result, _ = send_one(vendor, server.url)
    assert result.status is Status.FAILED
    assert result.http_status == status
    assert result.attempts == 1
    assert "redirects are not followed" in result.reason
    assert len(server.requests) == 1
    assert target.connections == 0
    assert target.requests == []
    assert clock.sleeps == []


@ALL
@pytest.mark.parametrize("status", [200, 503])
def test_a_50_mb_body_is_read_only_up_to_the_bound(vendor, fault_server, send_one, status):
    server = fault_server(default=huge(50 * MB, status=status))
    limit = 256 * 1024
    spy = SpyTransport(max_response_bytes=limit)
    result, _ = send_one(
        vendor, server.url, retry={"max_response_bytes": limit}, pipeline_kw={"transport": spy}
    )
    attempts = 1 if status == 200 else 3
    assert result.attempts == attempts
    assert result.status is (Status.DELIVERED if status == 200 else Status.FAILED)
    assert [len(r.body) for r in spy.responses] == [limit] * attempts
    assert wait_until(lambda: len(server.huge_sent) == attempts)
    # what the server managed to push before the client hung up: the client's
    # read limit plus what the kernel buffers, far from 50 MB
    assert all(0 < sent < 8 * MB for sent in server.huge_sent), server.huge_sent


@ALL
def test_tls_failure_is_not_retried(vendor, fault_server, send_one, tls_context, clock):
    server = fault_server(tls=tls_context)
    spy = SpyTransport()
    result, pipeline = send_one(vendor, server.url, pipeline_kw={"transport": spy})
    assert server.url.startswith("https://")
    assert result.status is Status.FAILED
    assert result.attempts == 1
    assert "TLS error" in result.reason
    assert [type(e) for e in spy.errors] == [TLSError]
    assert wait_until(lambda: server.tls_failures == 1)
    assert server.connections == 1
    assert server.requests == []
    assert clock.sleeps == []
    assert len(pipeline.dead_letters.list()) == 1


@DEDUPING
def test_keep_alive_survives_faults_between_good_answers(vendor, fault_server, send_one, pipelines):
    server = fault_server(OK, RESET, OK, GARBAGE, OK, CLOSE, OK, TRUNCATED, OK)
    pipeline = pipelines([integration(vendor, server.url, retry=FAST)])
    results = [pipeline.send(order(i))[0] for i in range(5)]
    assert [r.status for r in results] == [Status.DELIVERED] * 5
    assert [r.attempts for r in results] == [1, 2, 2, 2, 2]
    assert len(server.requests) == 9
    # one connection for the good answers in a row, a new one after each fault
    assert server.connections == 5


@ALL
@pytest.mark.parametrize(
    "line",
    [
        b"Connection refused NewConnectionError NameResolution\r\n\r\n",
        b"HTTP/1.1 timed out\r\n\r\n",
        b"\x16\x03\x01 ssl handshake\r\n\r\n",
    ],
)
def test_classification_never_trusts_text_the_server_sent(vendor, fault_server, send_one, line):
    # A server answering "refused" after reading the request must not pass for a
    # refused connection (which every vendor retries).
    server = fault_server(default=garbage(line))
    spy = SpyTransport()
    result, _ = send_one(vendor, server.url, retry=FAST, pipeline_kw={"transport": spy})
    expected = 3 if DEDUPS[vendor] else 1
    assert result.attempts == expected
    assert wait_until(lambda: len(server.requests) == expected)
    assert [type(e) for e in spy.errors] == [ConnectionLost] * expected
