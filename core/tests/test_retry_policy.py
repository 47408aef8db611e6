"""RetryPolicy as a pure value: defaults, backoff, Retry-After, waits, overrides."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from signal_core import ConfigError, RetryPolicy
from signal_core.testing import FakeClock

NOW = 1_750_000_000.0


def test_defaults_equal_reliability_md():
    p = RetryPolicy()
    assert p.attempts == 3
    assert p.connect_timeout == 3.05
    assert p.read_timeout == 5.0
    assert p.deadline == 10.0
    assert p.backoff_base == 0.5
    assert p.throttled_backoff_base == 1.0
    assert p.backoff_cap == 5.0
    assert p.retry_after_cap == 10.0


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(status):
    assert RetryPolicy().is_retryable_status(status)


@pytest.mark.parametrize("status", [200, 204, 301, 302, 400, 401, 403, 404, 409, 413, 422, 501])
def test_not_retryable_statuses(status):
    assert not RetryPolicy().is_retryable_status(status)


def test_attempt_budget():
    p = RetryPolicy()
    assert [p.is_exhausted(n) for n in (1, 2, 3, 4)] == [False, False, True, True]
    assert RetryPolicy(attempts=1).is_exhausted(1)


def test_backoff_with_draw_one_is_min_cap_base_times_two_to_k_minus_one():
    p = RetryPolicy()
    assert [p.backoff(k, 1.0) for k in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert [p.backoff(k, 1.0, throttled=True) for k in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    for k in range(1, 40):
        assert p.backoff(k, 1.0) == min(5.0, 0.5 * 2 ** (k - 1))


def test_backoff_is_full_jitter():
    p = RetryPolicy()
    assert p.backoff(3, 0.0) == 0.0
    assert p.backoff(3, 0.5) == 1.0
    assert p.backoff(10_000, 0.25) == 1.25  # huge retry numbers do not overflow


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("120", 120.0),
        ("0000000000005", 5.0),  # leading zeros do not change the number
        (None, None),
        ("", None),
        ("   ", None),
        ("-1", None),
        ("invalid", None),
        ("1.5", None),
        ("+3", None),
        ("1e3", None),
        ("\u00b2", None),  # latin-1 byte 0xB2 in a header: "isdigit" but not a number
        ("\u0661", None),  # Arabic-Indic digit one
    ],
)
def test_parse_retry_after_delta_and_garbage(value, expected):
    assert RetryPolicy().parse_retry_after(value, NOW) == expected


def test_parse_retry_after_huge_is_a_huge_finite_wait():
    for value in ("86400", "99999999999999999999999", "9" * 5000):
        wait = RetryPolicy().parse_retry_after(value, NOW)
        assert wait is not None
        assert wait >= 86400
        assert wait < float("inf")


def test_parse_retry_after_http_date():
    p = RetryPolicy()
    assert p.parse_retry_after(formatdate(NOW + 3, usegmt=True), NOW) == 3.0
    assert p.parse_retry_after(formatdate(NOW + 3600, usegmt=True), NOW) == 3600.0
    assert p.parse_retry_after(formatdate(NOW - 60, usegmt=True), NOW) == 0.0  # past: now
    assert p.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", NOW) == 0.0
    assert p.parse_retry_after("Wed, 21 Oct 2015 07:28:00", NOW) is None  # no zone
    assert p.parse_retry_after("Wed, 99 Foo 2015 07:28:00 GMT", NOW) is None


def test_timeouts_are_clipped_to_the_time_left():
    p = RetryPolicy()
    t = p.timeouts(100.0)
    assert (t.connect, t.read, t.total) == (3.05, 5.0, 100.0)
    t = p.timeouts(2.0)
    assert (t.connect, t.read, t.total) == (2.0, 2.0, 2.0)
    t = p.timeouts(-1.0)
    assert t.connect > 0
    assert t.read > 0
    assert t.total > 0


def test_wait_before_retry_backoff_and_deadline():
    p = RetryPolicy()
    assert p.wait_before_retry(1, 1.0, 10.0) == 0.5
    assert p.wait_before_retry(2, 1.0, 10.0) == 1.0
    assert p.wait_before_retry(1, 1.0, 10.0, throttled=True) == 1.0
    assert p.wait_before_retry(4, 1.0, 3.0) is None  # 4 s would cross the deadline
    assert p.wait_before_retry(1, 1.0, 0.5) is None


def test_wait_before_retry_with_retry_after():
    p = RetryPolicy()
    assert p.wait_before_retry(1, 1.0, 10.0, retry_after=2.0) == 2.0
    assert p.wait_before_retry(1, 1.0, 10.0, retry_after=0.0) == 0.0
    assert p.wait_before_retry(1, 1.0, 10.5, retry_after=10.0) == 10.0  # the cap itself
    assert p.wait_before_retry(1, 1.0, 10.0, retry_after=10.0) is None  # no time left after it
    assert p.wait_before_retry(1, 1.0, 10.0, retry_after=10.5) is None  # over the cap
    assert p.wait_before_retry(1, 1.0, 4.0, retry_after=5.0) is None  # over the time left
    assert p.wait_before_retry(1, 1.0, 100.0, retry_after=86400.0) is None
    # a NaN or negative retry_after from a plugin falls back to the backoff
    assert p.wait_before_retry(1, 1.0, 10.0, retry_after=float("nan")) == 0.5
    assert p.wait_before_retry(2, 1.0, 10.0, retry_after=-3.0) == 1.0


@settings(max_examples=200, deadline=None)
@given(
    k=st.integers(min_value=1, max_value=200),
    draw=st.floats(min_value=0.0, max_value=1.0),
    remaining=st.floats(min_value=0.0, max_value=60.0),
    retry_after=st.none() | st.floats(min_value=0.0, max_value=1e6),
    throttled=st.booleans(),
)
def test_a_wait_never_exceeds_its_cap_or_crosses_the_deadline(
    k, draw, remaining, retry_after, throttled
):
    p = RetryPolicy()
    wait = p.wait_before_retry(k, draw, remaining, retry_after=retry_after, throttled=throttled)
    if wait is None:
        return
    assert 0.0 <= wait <= remaining
    if retry_after is None:
        assert wait <= p.backoff_cap
        assert wait < remaining
    else:
        assert wait == retry_after <= p.retry_after_cap
        assert wait < remaining


def test_sleep_goes_through_the_clock():
    clock = FakeClock()
    RetryPolicy().sleep(1.25, clock)
    assert clock.sleeps == [1.25]
    assert clock.monotonic() == 1.25


def test_merged_applies_and_validates():
    p = RetryPolicy()
    assert p.merged(None) is p
    assert p.merged({}) is p
    q = p.merged({"attempts": 5.0, "deadline": 30, "retry_statuses": [503]})
    assert (q.attempts, q.deadline, q.retry_statuses) == (5, 30, frozenset({503}))
    assert isinstance(q.attempts, int)
    assert p.attempts == 3  # the original is untouched


@pytest.mark.parametrize(
    ("overrides", "field", "word"),
    [
        ({"tries": 3}, "retry", "'tries'"),
        ({"attempts": "3"}, "retry.attempts", "number"),
        ({"attempts": True}, "retry.attempts", "number"),
        ({"attempts": 0}, "retry", "attempts"),
        ({"deadline": 0}, "retry", "deadline"),
        ({"connect_timeout": -1}, "retry", "connect_timeout"),
        ({"backoff_base": -0.5}, "retry", "negative"),
        ({"retry_statuses": "503"}, "retry.retry_statuses", "status codes"),
        ({"retry_statuses": [503, "504"]}, "retry.retry_statuses", "status codes"),
        ({"retry_statuses": [True]}, "retry.retry_statuses", "status codes"),
        ([("attempts", 3)], "retry", "object"),
    ],
)
def test_merged_errors(overrides, field, word):
    with pytest.raises(ConfigError) as info:
        RetryPolicy().merged(overrides)
    assert info.value.field == field
    assert word in str(info.value)


def test_with_timeout():
    p = RetryPolicy()
    assert p.with_timeout(None) is p
    assert p.with_timeout(2).read_timeout == 2
    q = p.with_timeout({"connect": 1, "read": 2, "total": 3})
    assert (q.connect_timeout, q.read_timeout, q.deadline) == (1, 2, 3)
    with pytest.raises(ConfigError):
        p.with_timeout(True)
    with pytest.raises(ConfigError):
        p.with_timeout({"write": 1})


def test_invalid_direct_construction():
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(read_timeout=0)


def _answers(p, i):
    k = i % 9 + 1
    draw = (i % 7) / 6
    remaining = (i % 13) * 0.9
    return (
        p.backoff(k, draw),
        p.backoff(k, draw, throttled=True),
        p.wait_before_retry(k, draw, remaining),
        p.wait_before_retry(k, draw, remaining, retry_after=float(i % 12)),
        p.parse_retry_after(str(i % 20), NOW),
        p.parse_retry_after(formatdate(NOW + i % 30, usegmt=True), NOW),
        p.timeouts(remaining),
        p.is_exhausted(i % 5),
        p.is_retryable_status(400 + i % 200),
    )


def test_one_policy_shared_by_threads_gives_identical_answers():
    p = RetryPolicy()
    expected = [_answers(p, i) for i in range(2000)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        for _ in range(3):
            got = list(pool.map(lambda i: _answers(p, i), range(2000)))
            assert got == expected
    assert p == RetryPolicy()  # still the default value: no state was kept
