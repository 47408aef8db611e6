"""events.normalize: aliases, timestamps, generated message ids."""

from __future__ import annotations

import time
import uuid

import pytest
from signal_core.events import Event, normalize, parse_timestamp

T0 = 1749200400.0  # 2025-06-06T09:00:00Z


def track(**extra):
    data = {"type": "track", "event": "Order Completed", "anonymous_id": "anon_1"}
    data.update(extra)
    return data


def test_camel_case_aliases_are_accepted():
    ev = normalize(
        {
            "type": "track",
            "event": "Signed Up",
            "anonymousId": "anon_9",
            "userId": "user_9",
            "messageId": "msg-9",
            "timestamp": T0,
            "context": {"userAgent": "Mozilla/5.0 (X11)"},
        }
    )
    assert ev.anonymous_id == "anon_9"
    assert ev.user_id == "user_9"
    assert ev.message_id == "msg-9"
    assert ev.user_agent == "Mozilla/5.0 (X11)"
    assert ev.context == {"user_agent": "Mozilla/5.0 (X11)"}
    assert "anonymousId" not in ev.raw
    assert ev.raw["anonymous_id"] == "anon_9"
    assert ev.raw["user_id"] == "user_9"
    assert ev.raw["message_id"] == "msg-9"
    assert ev.raw["context"] == {"user_agent": "Mozilla/5.0 (X11)"}


def test_snake_case_wins_over_its_alias():
    ev = normalize(track(anonymousId="camel", anonymous_id="snake", timestamp=T0))
    assert ev.anonymous_id == "snake"


def test_normalize_does_not_mutate_the_input():
    data = track(anonymousId="a", context={"userAgent": "UA"})
    before = repr(data)
    normalize(data)
    assert repr(data) == before


@pytest.mark.parametrize(
    "value",
    [
        "2025-06-06T09:00:00Z",
        "2025-06-06T09:00:00z",
        "2025-06-06T09:00:00+00:00",
        "2025-06-06T11:00:00+02:00",
        "2025-06-06T04:30:00-04:30",
        "2025-06-06T09:00:00.000Z",
        "2025-06-06T09:00:00",  # no offset: UTC
        T0,
        int(T0),
        int(T0 * 1000),
        "1749200400",
        "1749200400000",
        " 1749200400 ",
    ],
)
def test_timestamp_forms_all_mean_the_same_instant(value):
    assert parse_timestamp(value) == T0
    assert normalize(track(timestamp=value)).timestamp == T0


def test_fractional_timestamps_are_kept():
    assert parse_timestamp("1749200400.25") == T0 + 0.25
    assert parse_timestamp(1749200400250) == T0 + 0.25
    ev = normalize(track(timestamp="2025-06-06T09:00:00.250Z"))
    assert ev.iso_timestamp == "2025-06-06T09:00:00.250Z"
    assert ev.epoch_seconds == int(T0)


def test_missing_timestamp_means_now_and_is_stored_in_raw():
    before = time.time()
    ev = normalize(track())
    after = time.time()
    assert before <= ev.timestamp <= after
    assert ev.raw["timestamp"] == ev.timestamp
    assert normalize(track(), now=123.5).timestamp == 123.5


def test_generated_message_id_is_deterministic_when_the_event_has_a_timestamp():
    first = normalize(track(timestamp="2025-06-06T09:00:00Z", properties={"a": 1}))
    second = normalize(track(timestamp="2025-06-06T09:00:00Z", properties={"a": 1}))
    other = normalize(track(timestamp="2025-06-06T09:00:00Z", properties={"a": 2}))
    assert first.message_id == second.message_id
    assert first.message_id != other.message_id
    assert uuid.UUID(first.message_id).version == 5
    assert first.raw["message_id"] == first.message_id
    # Replaying the stored raw event keeps the id.
    assert normalize(first.raw).message_id == first.message_id


def test_generated_message_id_without_timestamp_is_unique_and_in_raw():
    a, b = normalize(track()), normalize(track())
    assert a.message_id != b.message_id
    assert a.raw["message_id"] == a.message_id
    assert normalize(a.raw).message_id == a.message_id


def test_given_message_id_is_kept():
    assert normalize(track(message_id="m-1")).message_id == "m-1"


def test_event_name_and_types():
    assert normalize(track()).name == "Order Completed"
    page = normalize({"type": "page", "user_id": "u"})
    assert page.name == "page"
    assert page.anonymous_id is None
    assert page.user_id == "u"
    ident = normalize({"type": "identify", "user_id": 42})
    assert ident.name == "identify"
    assert ident.user_id == "42"


def test_an_event_instance_passes_through():
    ev = normalize(track())
    assert isinstance(ev, Event)
    assert normalize(ev) is ev


def test_page_helpers():
    ev = normalize(
        track(context={"ip": "203.0.113.5", "page": {"url": "https://shop.example/?kgid=1"}})
    )
    assert ev.page_url == "https://shop.example/?kgid=1"
    assert ev.ip == "203.0.113.5"
    assert normalize(track(context={"page": "nope"})).page_url is None
