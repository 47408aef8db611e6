"""The total deadline bounds send() in wall time, whatever the server does.

These are the only tests of the suite that take real time: each one sends to
every vendor at once (send fans out in parallel) under a 1 s deadline and
checks the elapsed time is at most deadline + 0.5 s.
"""

from __future__ import annotations

import time

import pytest
from faultserver import HANG, drip, reply
from reliability_kit import TOKEN_PATH, VENDORS, integration, order
from signal_core import Status

DEADLINE = 1.0
SLACK = 0.5


def timed_send(pipelines, url: str, vendors=VENDORS, retry=None, **options):
    retry = {"deadline": DEADLINE, **(retry or {})}
    pipeline = pipelines([integration(v, url, retry=retry, **options) for v in vendors], clock=None)
    started = time.monotonic()
    results = pipeline.send(order())
    return results, time.monotonic() - started


FAULTS = {
    "hang": (HANG, {}),
    # one byte every 0.1 s: each read succeeds, so a 0.5 s read timeout never trips
    "drip-status-line-and-headers": (drip(0.1, "head"), {"read_timeout": 0.5}),
    "drip-body": (drip(0.1, "body", body=b"x" * 100), {"read_timeout": 0.5}),
    "always-503": (reply(503), {}),  # the backoff sleeps themselves stop at the deadline
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_vendor_returns_within_the_deadline(fault, fault_server, pipelines):
    action, retry = FAULTS[fault]
    server = fault_server(default=action)
    results, elapsed = timed_send(pipelines, server.url, retry=retry)
    assert elapsed <= DEADLINE + SLACK, f"{fault}: {elapsed:.2f}s"
    assert [r.integration for r in results] == list(VENDORS)
    assert all(r.status is Status.FAILED for r in results), [r.reason for r in results]
    assert len(server.requests) >= len(VENDORS)


def test_a_server_that_never_completes_the_tls_handshake(fault_server, pipelines):
    # https to a plain server: it reads the ClientHello and never answers
    server = fault_server(default=HANG)
    url = server.url.replace("http://", "https://")
    results, elapsed = timed_send(pipelines, url, retry={"connect_timeout": 30.0})
    assert elapsed <= DEADLINE + SLACK, f"{elapsed:.2f}s"
    assert all(r.status is Status.FAILED for r in results)


@pytest.mark.parametrize(
    "token_fault",
    [
        HANG,
        drip(0.1, "head", body=b'{"access_token":"tok_abc","expires_in":3600}'),
        # a token that arrives after ~0.8 s: the data request gets only what is left
        drip(0.02, "head", body=b'{"access_token":"tok_abc","expires_in":3600}'),
    ],
    ids=["hang", "drip", "slow-token-then-hanging-data-api"],
)
def test_the_kameleoon_token_endpoint_cannot_outlast_the_deadline(
    token_fault, fault_server, pipelines
):
    # The OAuth fetch happens inside the attempt: it gets only the time left.
    server = fault_server(routes={TOKEN_PATH: token_fault}, default=HANG)
    results, elapsed = timed_send(
        pipelines, server.url, vendors=("kameleoon",), oauth=True, retry={"read_timeout": 5.0}
    )
    assert elapsed <= DEADLINE + SLACK, f"{elapsed:.2f}s"
    [result] = results
    assert result.status is Status.FAILED
    assert server.requests[0].path == TOKEN_PATH


def test_a_slow_but_steady_answer_inside_the_deadline_is_delivered(fault_server, pipelines):
    # the watchdog only cuts attempts that run out of time
    server = fault_server(default=drip(0.01, "head", status=204, body=b""))
    results, elapsed = timed_send(pipelines, server.url)
    assert all(r.status is Status.DELIVERED for r in results), [r.reason for r in results]
    assert elapsed <= DEADLINE + SLACK


# -- the watchdog and the connection pool ---------------------------------------------------
def _send(transport, url: str, total: float):
    from signal_core.wire import Request, Timeout

    return transport.send(Request("POST", f"{url}/x", (), {}, b"{}"), Timeout(1.0, 0.5, total))


def test_the_watchdog_cuts_a_reused_keep_alive_connection_too(fault_server):
    from signal_core.errors import DeadlineExceeded
    from signal_core.transport import RequestsTransport

    server = fault_server(reply(204), drip(0.1, "head"), reply(204))
    transport = RequestsTransport()
    assert _send(transport, server.url, 1.0).status == 204
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        _send(transport, server.url, 0.5)  # same pooled connection, dripping headers
    assert time.monotonic() - started <= 0.5 + SLACK
    assert server.connections == 1  # it really was the reused connection
    assert _send(transport, server.url, 1.0).status == 204  # the pool is not poisoned
    assert server.connections == 2
    transport.close()


def test_a_connection_back_in_the_pool_outlives_its_old_deadline(fault_server):
    from signal_core.transport import RequestsTransport

    server = fault_server()
    transport = RequestsTransport()
    assert _send(transport, server.url, 0.2).status == 204
    time.sleep(0.35)  # past the first attempt's deadline: the watchdog must not fire on it
    assert _send(transport, server.url, 0.2).status == 204
    assert server.connections == 1
    transport.close()
