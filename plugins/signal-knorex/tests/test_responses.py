"""How Knorex answers are classified: delivered, retried, or failed with a useful reason."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from signal_core import Pipeline, Status
from signal_core.testing import FakeClock, Reply, Sandbox


@pytest.mark.parametrize("status", [200, 201, 202, 204])
def test_2xx_is_delivered(
    status: int,
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
) -> None:
    box.script(Reply(status, body=b"OK"))
    [result] = knorex().send(order())
    assert (result.status, result.attempts, result.http_status) == (Status.DELIVERED, 1, status)


@pytest.mark.parametrize("status", [400, 404, 405, 410, 422])
def test_other_4xx_fails_once_pointing_at_postback_url_and_goal(
    status: int,
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
    clock: FakeClock,
) -> None:
    box.script(status)
    [result] = knorex().send(order())
    assert (result.status, result.attempts, result.http_status) == (Status.FAILED, 1, status)
    assert len(box.requests) == 1
    assert clock.sleeps == []
    assert result.reason.startswith(f"{status} ")
    assert result.reason.endswith(
        "from Knorex: postback rejected; check the postback_url from your Knorex account "
        "manager and goal id 'G-100'"
    )
    assert "knorex.example" not in result.reason
    assert "/xpo/postback" not in result.reason


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_also_name_the_token(
    status: int,
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
) -> None:
    box.script(status)
    [result] = knorex().send(order(knorex_goal_id="G\n7"))
    assert result.attempts == 1
    assert result.reason.endswith(
        "check the postback_url and token from your Knorex account manager and goal id 'G\\n7'"
    )
    assert "\n" not in result.reason


def test_failure_reason_for_post_reads_the_goal_from_the_body(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    box.script(400)
    pipeline = knorex(
        {"postback_url": "https://s2s.knorex.example/pb", "method": "POST", "token": None}
    )
    [result] = pipeline.send(order(knorex_goal_id="G-post"))
    assert result.reason.endswith("goal id 'G-post'")


def test_failure_reason_when_the_url_carries_its_own_goal(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    box.script(404)
    url = "https://s2s.knorex.example/pb?g=fixed&kcid={kcid}"
    [result] = knorex({"postback_url": url, "token": None}).send(order())
    assert result.reason.endswith("and the goal that URL was issued for")


def test_failure_reason_when_no_goal_was_sent(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    box.script(400)
    [result] = knorex({"goal_id": None}).send(order())
    assert result.reason.endswith("and the goal id (none was sent)")


def test_429_honours_retry_after(
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
    clock: FakeClock,
) -> None:
    box.script(Reply(429, {"Retry-After": "2"}), 204)
    [result] = knorex().send(order())
    assert (result.status, result.attempts) == (Status.DELIVERED, 2)
    assert clock.sleeps == [2.0]
    assert box.requests[0].target == box.requests[1].target


def test_5xx_is_retried_with_backoff_and_the_same_url(
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
    clock: FakeClock,
) -> None:
    box.script(503, 502, 204)
    [result] = knorex().send(order())
    assert (result.status, result.attempts, result.http_status) == (Status.DELIVERED, 3, 204)
    assert clock.sleeps == [0.5, 1.0]
    assert len({r.target for r in box.requests}) == 1


def test_persistent_500_gives_up_after_the_policy_attempts(
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
) -> None:
    box.script(500, 500, 500)
    [result] = knorex().send(order())
    assert (result.status, result.attempts) == (Status.FAILED, 3)
    assert len(box.requests) == 3
    assert result.reason.startswith("gave up after 3 attempts: 500 Internal Server Error")


def test_408_is_retried(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    box.script(408, 204)
    [result] = knorex().send(order())
    assert (result.status, result.attempts) == (Status.DELIVERED, 2)


def test_413_is_left_to_the_core(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    box.script(413)
    [result] = knorex().send(order())
    assert (result.status, result.attempts) == (Status.FAILED, 1)
    assert result.reason == "413 Request Entity Too Large: request too large"


def test_a_redirect_is_not_followed(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    box.script(Reply(302, {"Location": "http://127.0.0.1:9/elsewhere"}))
    [result] = knorex().send(order())
    assert (result.status, result.attempts) == (Status.FAILED, 1)
    assert "redirects are not followed" in result.reason


def test_a_retry_status_added_by_the_policy_wins_over_the_plugin(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    box.script(404, 204)
    [result] = knorex(retry={"retry_statuses": [404, 503]}).send(order())
    assert (result.status, result.attempts) == (Status.DELIVERED, 2)


def test_connection_refused_is_retried_then_fails(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    [result] = knorex(base_url=f"http://127.0.0.1:{port}").send(order())
    assert (result.status, result.attempts) == (Status.FAILED, 3)
    assert "connection failed" in result.reason
