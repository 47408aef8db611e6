"""The retry loop against a real server: attempts, sleeps, Retry-After, 4xx."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from signal_core import Status
from signal_core.testing import Reply
from signal_e2e_kit import echo, echo_batch, track


def test_always_503_makes_exactly_3_requests_and_sleeps_half_then_one(
    make_box, make_pipeline, clock
):
    box = make_box(default=503)
    [result] = make_pipeline([echo(box)]).send(track())
    assert result.status is Status.FAILED
    assert (result.attempts, result.http_status) == (3, 503)
    assert result.reason == "gave up after 3 attempts: 503 Service Unavailable from echo"
    assert len(box.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_then_delivered(make_box, make_pipeline, clock, status):
    box = make_box(status, status)
    [result] = make_pipeline([echo(box)]).send(track())
    assert (result.status, result.attempts, result.http_status) == (Status.DELIVERED, 3, 204)
    assert len(box.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_every_retry_sends_the_same_bytes(make_box, make_pipeline):
    box = make_box(503)
    [result] = make_pipeline([echo(box)]).send(track(properties={"price": 1.5}))
    assert (result.status, result.attempts) == (Status.DELIVERED, 2)
    first, second = box.requests
    assert first.body == second.body
    assert first.target == second.target
    assert first.headers == second.headers


def test_429_with_retry_after_2_sleeps_2_seconds_once(make_box, make_pipeline, clock):
    box = make_box(Reply(429, {"Retry-After": "2"}))
    [result] = make_pipeline([echo(box)]).send(track())
    assert (result.status, result.attempts) == (Status.DELIVERED, 2)
    assert clock.sleeps == [2.0]
    assert len(box.requests) == 2


def test_503_with_retry_after_is_honoured(make_box, make_pipeline, clock):
    box = make_box(Reply(503, {"Retry-After": "3"}))
    [result] = make_pipeline([echo(box)]).send(track())
    assert result.status is Status.DELIVERED
    assert clock.sleeps == [3.0]


def test_429_without_retry_after_uses_the_throttled_backoff(make_box, make_pipeline, clock):
    box = make_box(429, 429)
    [result] = make_pipeline([echo(box)]).send(track())
    assert result.status is Status.DELIVERED
    assert clock.sleeps == [1.0, 2.0]


def test_retry_after_as_http_date(make_box, make_pipeline, clock):
    when = formatdate(clock.time() + 4, usegmt=True)
    box = make_box(Reply(429, {"Retry-After": when}))
    [result] = make_pipeline([echo(box)]).send(track())
    assert result.status is Status.DELIVERED
    assert clock.sleeps == [4.0]


def test_retry_after_in_the_past_retries_at_once(make_box, make_pipeline, clock):
    box = make_box(Reply(503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    [result] = make_pipeline([echo(box)]).send(track())
    assert result.status is Status.DELIVERED
    assert clock.sleeps == [0.0]


@pytest.mark.parametrize("garbage", ["-1", "invalid", "", "1.5", "\u00b2"])
def test_garbage_retry_after_falls_back_to_backoff(make_box, make_pipeline, clock, garbage):
    box = make_box(Reply(503, {"Retry-After": garbage}), Reply(429, {"Retry-After": garbage}))
    [result] = make_pipeline([echo(box)]).send(track())
    assert (result.status, result.attempts) == (Status.DELIVERED, 3)
    assert clock.sleeps == [0.5, 2.0]  # plain backoff, then throttled backoff for retry 2


@pytest.mark.parametrize("value", ["86400", "11", "99999999999999999999"])
def test_retry_after_longer_than_the_cap_fails_at_once_as_throttled(
    make_box, make_pipeline, clock, value
):
    box = make_box(Reply(429, {"Retry-After": value}))
    [result] = make_pipeline([echo(box)]).send(track())
    assert result.status is Status.FAILED
    assert (result.attempts, result.http_status) == (1, 429)
    assert result.reason.startswith("throttled: vendor asked to wait")
    assert "replay later" in result.reason
    assert len(box.requests) == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 501])
def test_permanent_failures_make_exactly_one_request(make_box, make_pipeline, clock, status):
    box = make_box(default=status)
    [result] = make_pipeline([echo(box)]).send(track())
    assert result.status is Status.FAILED
    assert (result.attempts, result.http_status) == (1, status)
    assert len(box.requests) == 1
    assert clock.sleeps == []


def test_the_plugin_classifies_what_is_special_to_its_vendor(make_box, make_pipeline):
    box = make_box(default=401)
    pipeline = make_pipeline([echo(box), echo_batch(box)])
    by_name = {r.integration: r for r in pipeline.send(track())}
    assert by_name["echo"].reason == "401: api_key rejected"
    assert by_name["echo_batch"].reason == "401 Unauthorized from echo_batch"


def test_per_integration_retry_override(make_box, make_pipeline, clock):
    box = make_box(default=503)
    [result] = make_pipeline([echo(box, retry={"attempts": 5})]).send(track())
    assert (result.status, result.attempts) == (Status.FAILED, 5)
    assert len(box.requests) == 5
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]


def test_pipeline_retry_setting_applies_to_every_integration(make_box, make_pipeline, clock):
    box = make_box(default=500)
    pipeline = make_pipeline([echo(box)], retry={"attempts": 2})
    [result] = pipeline.send(track())
    assert (result.status, result.attempts, len(box.requests)) == (Status.FAILED, 2, 2)
    assert clock.sleeps == [0.5]


def test_sleeps_never_cross_the_deadline(make_box, make_pipeline, clock):
    box = make_box(default=503)
    [result] = make_pipeline([echo(box, retry={"attempts": 10})]).send(track())
    assert result.status is Status.FAILED
    assert "deadline" in result.reason
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]  # 5 s more would pass the 10 s deadline
    assert sum(clock.sleeps) <= 10.0
    assert all(s <= 5.0 for s in clock.sleeps)
    assert len(box.requests) == 5
