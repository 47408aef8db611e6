"""Response classes: verdict, reason and attempt counts, with no real sleeping."""

from __future__ import annotations

from typing import Any

import pytest
from kargo_testkit import ADVERTISER, integration, purchase
from signal_core import Pipeline, Request, Response, Status, Timeout
from signal_core.errors import ConnectError, ReadTimeout
from signal_core.testing import FakeClock, Reply, Sandbox


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_delivered_once(
    box: Sandbox, make_pipeline: Any, clock: FakeClock, status: int
) -> None:
    box.script(status)
    [result] = make_pipeline().send(purchase())
    assert result.status is Status.DELIVERED
    assert result.http_status == status
    assert result.attempts == 1
    assert len(box.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_not_retried(
    box: Sandbox, make_pipeline: Any, clock: FakeClock, status: int
) -> None:
    box.script(status)
    [result] = make_pipeline().send(purchase())
    assert result.status is Status.FAILED
    assert result.attempts == 1
    assert result.http_status == status
    assert len(box.requests) == 1
    assert clock.sleeps == []
    assert result.reason.startswith(f"{status} ")
    assert "auth_token is invalid or scoped to another advertiser" in result.reason
    assert repr(ADVERTISER) in result.reason


def test_400_points_at_payload_shape_and_dry_run(
    box: Sandbox, make_pipeline: Any, clock: FakeClock
) -> None:
    box.script(Reply(400, {"Content-Type": "text/plain"}, b"unknown field\r\nFORGED: line\x1b[31m"))
    [result] = make_pipeline().send(purchase())
    assert result.status is Status.FAILED
    assert result.attempts == 1
    assert result.http_status == 400
    assert len(box.requests) == 1
    assert clock.sleeps == []
    assert "payload shape differs" in result.reason
    assert "signal send --dry-run" in result.reason
    assert "(Kargo said: unknown field FORGED: line [31m)" in result.reason
    assert "\n" not in result.reason
    assert "\x1b" not in result.reason


@pytest.mark.parametrize("status", [404, 409, 422, 501])
def test_other_client_errors_use_core_default(
    box: Sandbox, make_pipeline: Any, clock: FakeClock, status: int
) -> None:
    box.script(status)
    [result] = make_pipeline().send(purchase())
    assert result.status is Status.FAILED
    assert result.attempts == 1
    assert len(box.requests) == 1
    assert result.reason.startswith(f"{status} ")
    assert result.reason.endswith("from kargo")


def test_413_left_to_the_core(box: Sandbox, make_pipeline: Any) -> None:
    box.script(413)
    [result] = make_pipeline().send(purchase())
    assert result.status is Status.FAILED
    assert result.attempts == 1
    assert "too large" in result.reason


def test_503_retried_until_attempts_exhausted(
    box: Sandbox, make_pipeline: Any, clock: FakeClock
) -> None:
    box.script(503, 503, 503)
    [result] = make_pipeline().send(purchase())
    assert result.status is Status.FAILED
    assert result.attempts == 3
    assert len(box.requests) == 3
    assert clock.sleeps == [0.5, 1.0]
    assert result.reason.startswith("gave up after 3 attempts")


@pytest.mark.parametrize("status", [500, 502, 504, 408])
def test_transient_then_delivered(
    box: Sandbox, make_pipeline: Any, clock: FakeClock, status: int
) -> None:
    box.script(status, 204)
    [result] = make_pipeline().send(purchase())
    assert result.status is Status.DELIVERED
    assert result.attempts == 2
    assert len(box.requests) == 2
    assert clock.sleeps == [0.5]


def test_429_with_retry_after(box: Sandbox, make_pipeline: Any, clock: FakeClock) -> None:
    box.script(Reply(429, {"Retry-After": "2"}), 204)
    [result] = make_pipeline().send(purchase())
    assert result.status is Status.DELIVERED
    assert result.attempts == 2
    assert clock.sleeps == [2.0]


def test_429_without_retry_after_uses_throttled_backoff(
    box: Sandbox, make_pipeline: Any, clock: FakeClock
) -> None:
    box.script(429, 429, 429)
    [result] = make_pipeline().send(purchase())
    assert result.status is Status.FAILED
    assert result.attempts == 3
    assert len(box.requests) == 3
    assert clock.sleeps == [1.0, 2.0]


def test_long_retry_after_fails_fast_as_throttled(
    box: Sandbox, make_pipeline: Any, clock: FakeClock
) -> None:
    box.script(Reply(429, {"Retry-After": "86400"}))
    [result] = make_pipeline().send(purchase())
    assert result.status is Status.FAILED
    assert result.attempts == 1
    assert clock.sleeps == []
    assert "throttled" in result.reason


def test_per_integration_retry_override(box: Sandbox, clock: FakeClock) -> None:
    box.script(503, 503, 503, 503, 503)
    spec = integration(box, retry={"attempts": 5})
    with Pipeline([spec], clock=clock) as pipeline:
        [result] = pipeline.send(purchase())
    assert result.attempts == 5
    assert len(box.requests) == 5


class ScriptedTransport:
    """Raises the given transport errors, then answers 204; counts attempts."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.sent: list[Request] = []

    def send(self, request: Request, timeout: Timeout) -> Response:
        self.sent.append(request)
        if self.errors:
            raise self.errors.pop(0)
        return Response(204)


def test_read_timeout_after_send_not_retried(clock: FakeClock) -> None:
    transport = ScriptedTransport(ReadTimeout())
    with Pipeline([integration()], clock=clock, transport=transport) as pipeline:
        [result] = pipeline.send(purchase())
    assert result.status is Status.FAILED
    assert result.attempts == 1
    assert len(transport.sent) == 1
    assert "does not de-duplicate" in result.reason


def test_connect_error_retried(clock: FakeClock) -> None:
    transport = ScriptedTransport(ConnectError("refused"), ConnectError("refused"))
    with Pipeline([integration()], clock=clock, transport=transport) as pipeline:
        [result] = pipeline.send(purchase())
    assert result.status is Status.DELIVERED
    assert result.attempts == 3
    assert clock.sleeps == [0.5, 1.0]
