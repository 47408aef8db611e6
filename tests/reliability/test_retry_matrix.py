"""The retry half of RELIABILITY.md, against every vendor plugin and the echo test vendor.

Statuses and Retry-After values come from the raw-socket fault server; the
FakeClock never sleeps and pins the jitter draw to 1.0, so every schedule is exact.
"""

from __future__ import annotations

import email.utils
import threading

import pytest
from faultserver import reply, retry_after
from reliability_kit import VENDORS, integration, order
from signal_core import Pipeline, Status
from signal_core.retry import RetryPolicy
from signal_core.testing import FakeClock

pytestmark = pytest.mark.parametrize("vendor", VENDORS)


def test_always_503_makes_exactly_attempts_requests(vendor, fault_server, send_one, clock):
    server = fault_server(default=reply(503))
    result, pipeline = send_one(vendor, server.url)
    assert result.status is Status.FAILED
    assert result.attempts == 3
    assert len(server.requests) == 3
    assert result.http_status == 503
    assert clock.sleeps == [0.5, 1.0]
    assert result.reason.startswith("gave up after 3 attempts")
    assert [d.event_id for d in pipeline.dead_letters.list()] == [result.event_id]
    # every attempt carried the same bytes
    assert len({(h.target, h.body) for h in server.requests}) == 1


def test_backoff_schedule_with_draw_one_is_min_cap_base_times_2_to_k(
    vendor, fault_server, send_one, clock
):
    server = fault_server(default=reply(503))
    retry = {"attempts": 8, "deadline": 1000.0, "backoff_base": 0.25, "backoff_cap": 3.0}
    result, _ = send_one(vendor, server.url, retry=retry)
    assert result.attempts == 8
    assert len(server.requests) == 8
    assert clock.sleeps == [min(3.0, 0.25 * 2**k) for k in range(7)]
    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


@pytest.mark.parametrize("draw", [0.0, 0.37, 0.999999, 1.0])
def test_no_sleep_exceeds_the_cap_or_crosses_the_deadline(vendor, fault_server, pipelines, draw):
    clock = FakeClock(draw=draw)
    server = fault_server(default=reply(503))
    retry = {"attempts": 50, "deadline": 7.0, "backoff_base": 0.5, "backoff_cap": 2.0}
    pipeline = pipelines([integration(vendor, server.url, retry=retry)], clock=clock)
    [result] = pipeline.send(order())
    assert result.status is Status.FAILED
    assert all(0 <= s <= 2.0 for s in clock.sleeps)
    assert sum(clock.sleeps) < 7.0
    assert clock.monotonic() < 7.0
    assert result.attempts == len(server.requests) == len(clock.sleeps) + 1
    if draw == 0.0:  # no backoff at all: the attempt budget ends it
        assert result.attempts == 50
    else:
        assert "deadline" in result.reason


def test_429_with_retry_after_2_sleeps_2_once(vendor, fault_server, send_one, clock):
    server = fault_server(retry_after(429, "2"), reply(204))
    result, _ = send_one(vendor, server.url)
    assert result.status is Status.DELIVERED, result.reason
    assert clock.sleeps == [2.0]
    assert len(server.requests) == 2


def test_429_without_retry_after_uses_the_slower_throttled_backoff(
    vendor, fault_server, send_one, clock
):
    server = fault_server(default=reply(429))
    result, _ = send_one(vendor, server.url)
    assert result.status is Status.FAILED
    assert result.attempts == 3
    assert clock.sleeps == [1.0, 2.0]


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", [3.0]),
        ("0", [0.0]),
        ("  4 ", [4.0]),
        ("date+5", [5.0]),
        ("date-3600", [0.0]),  # a date in the past: retry at once
        ("Wed, 21 Oct 2015 07:28:00 GMT", [0.0]),
    ],
)
def test_retry_after_delta_and_http_date(
    vendor, fault_server, send_one, clock, status, value, expected
):
    if value.startswith("date"):
        when = clock.time() + float(value[4:])
        value = email.utils.formatdate(when, usegmt=True)
    server = fault_server(retry_after(status, value), reply(204))
    result, _ = send_one(vendor, server.url)
    assert result.status is Status.DELIVERED, result.reason
    assert clock.sleeps == expected
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "garbage", ["-1", "invalid", "1.5", "2, 3", "0x10", "+5", "", "Mon, 99 Foo 2025 99:99:99 GMT"]
)
def test_garbage_retry_after_is_ignored_for_the_backoff(
    vendor, fault_server, send_one, clock, garbage
):
    server = fault_server(retry_after(503, garbage), reply(204))
    result, _ = send_one(vendor, server.url)
    assert result.status is Status.DELIVERED, result.reason
    assert clock.sleeps == [0.5]


@pytest.mark.parametrize(
    "huge",
    ["86400", "11", "99999999999999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT", "date+3600"],
)
@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_beyond_the_cap_fails_at_once_as_throttled(
    vendor, fault_server, send_one, clock, huge, status
):
    if huge.startswith("date"):
        huge = email.utils.formatdate(clock.time() + 3600, usegmt=True)
    server = fault_server(retry_after(status, huge), reply(204))
    result, pipeline = send_one(vendor, server.url)
    assert result.status is Status.FAILED
    assert result.reason.startswith("throttled: vendor asked to wait")
    assert "replay later" in result.reason
    assert clock.sleeps == []
    assert clock.monotonic() == 0.0
    assert result.attempts == 1
    assert len(server.requests) == 1
    [dead] = pipeline.dead_letters.list()
    assert dead.event_id == result.event_id
    assert dead.reason == result.reason


def test_a_retry_after_equal_to_the_time_left_is_not_slept(vendor, fault_server, send_one, clock):
    server = fault_server(retry_after(503, "5"), reply(204))
    result, _ = send_one(vendor, server.url, retry={"deadline": 5.0})
    assert result.status is Status.FAILED
    assert clock.sleeps == []
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 410, 411, 422, 451, 501])
def test_permanent_client_errors_make_exactly_one_request(
    vendor, fault_server, send_one, clock, status
):
    server = fault_server(
        default=reply(status, b'{"error":"nope"}', Content_Type="application/json")
    )
    result, pipeline = send_one(vendor, server.url)
    assert result.status is Status.FAILED
    assert result.http_status == status
    assert result.attempts == 1
    assert len(server.requests) == 1
    assert clock.sleeps == []
    assert len(pipeline.dead_letters.list()) == 1


@pytest.mark.parametrize("status", [408, 500, 502, 504])
def test_retryable_statuses_then_success(vendor, fault_server, send_one, clock, status):
    server = fault_server(reply(status), reply(status), reply(204))
    result, pipeline = send_one(vendor, server.url)
    assert result.status is Status.DELIVERED, result.reason
    assert result.attempts == 3
    assert len(server.requests) == 3
    assert clock.sleeps == [0.5, 1.0]
    assert pipeline.dead_letters.list() == []


def test_one_policy_object_shared_by_8_threads_keeps_no_state(vendor, fault_server, pipelines):
    policy = RetryPolicy(attempts=4, backoff_base=0.25)
    before = (repr(policy), hash(policy), dict(vars(policy)))
    server = fault_server(default=reply(503))
    clocks = [FakeClock() for _ in range(8)]
    made = [pipelines([integration(vendor, server.url)], retry=policy, clock=c) for c in clocks]
    for pipeline in made:
        assert pipeline.integrations[0].retry is policy  # the very same object
    barrier = threading.Barrier(8)
    results: list = [None] * 8

    def run(i: int) -> None:
        barrier.wait()
        results[i] = made[i].send(order(i))[0]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(r.status is Status.FAILED and r.attempts == 4 for r in results)
    assert [c.sleeps for c in clocks] == [[0.25, 0.5, 1.0]] * 8
    assert len(server.requests) == 32
    assert (repr(policy), hash(policy), dict(vars(policy))) == before
    assert policy == RetryPolicy(attempts=4, backoff_base=0.25)


def test_one_pipeline_shared_by_8_threads_gives_each_the_same_schedule(vendor, fault_server):
    from reliability_kit import ThreadClock

    clock = ThreadClock()
    server = fault_server(default=reply(503))
    with Pipeline([integration(vendor, server.url)], clock=clock) as pipeline:
        schedules: list = [None] * 8

        def run(i: int) -> None:
            [result] = pipeline.send(order(i))
            assert result.attempts == 3
            schedules[i] = clock.thread_sleeps()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert schedules == [[0.5, 1.0]] * 8
    assert len(server.requests) == 24
