"""identify -> GET /s (set properties); opt-in alias -> GET /a."""

from __future__ import annotations

from typing import Any

import pytest
from signal_core import ConfigError, Status


def identify(**extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "identify",
        "user_id": "user_8842",
        "anonymous_id": "anon_abc123",
        "timestamp": "2025-06-06T09:00:00Z",
        "traits": {
            "email": "ada@example.com",
            "first_name": "Ada",
            "plan": "pro",
            "seats": 5,
            "address": {"city": "London", "postal_code": None},
            "Lifetime Value": 120.5,
        },
    }
    event.update(extra)
    return event


def test_identify_sets_all_traits(make_pipeline, box, api_key):
    [result] = make_pipeline().send(identify())
    assert result.status is Status.DELIVERED
    assert result.attempts == 1
    [req] = box.requests  # aliasing is off by default
    assert (req.method, req.path) == ("GET", "/s")
    assert req.query == [
        ("_k", api_key),
        ("_p", "user_8842"),
        ("_t", "1749200400"),
        ("_d", "1"),
        ("Email", "ada@example.com"),
        ("First Name", "Ada"),
        ("Plan", "pro"),
        ("Seats", "5"),
        ("Address.City", "London"),
        ("Lifetime Value", "120.50"),
    ]
    assert req.raw_query.startswith(
        f"_k={api_key}&_p=user_8842&_t=1749200400&_d=1&Email=ada%40example.com&First%20Name=Ada"
    )


def test_identify_of_an_anonymous_visitor(make_pipeline, box):
    make_pipeline().send(identify(user_id=None, traits={"plan": "free"}))
    [req] = box.requests
    assert req.query[1:] == [
        ("_p", "anon_abc123"),
        ("_t", "1749200400"),
        ("_d", "1"),
        ("Plan", "free"),
    ]


def test_identify_renames_and_fixed_values_from_the_mappings(make_pipeline, box):
    mappings = {
        "events": {
            "identify": {"rename": {"plan": "Subscription Plan"}, "values": {"source": "server"}}
        }
    }
    make_pipeline(mappings=mappings).send(identify(traits={"plan": "pro"}))
    [req] = box.requests
    assert req.query[4:] == [("Subscription Plan", "pro"), ("Source", "server")]


def test_identify_without_traits_is_dropped_when_not_aliasing(make_pipeline, box):
    [result] = make_pipeline().send(identify(traits={"email": None}))
    assert result.status is Status.DROPPED
    assert "no traits" in result.reason
    assert box.requests == []


def test_identify_can_be_disabled(make_pipeline, box):
    mappings = {"events": {"identify": {"enabled": False}}}
    [result] = make_pipeline(mappings=mappings).send(identify())
    assert result.status is Status.DROPPED
    assert box.requests == []


def test_alias_on_identify_links_both_identities(make_pipeline, box, api_key):
    [result] = make_pipeline(config={"alias_on_identify": True}).send(identify())
    assert result.status is Status.DELIVERED
    set_props, alias = box.requests
    assert (set_props.method, set_props.path) == ("GET", "/s")
    assert (alias.method, alias.path) == ("GET", "/a")
    assert alias.query == [("_k", api_key), ("_p", "anon_abc123"), ("_n", "user_8842")]
    assert alias.raw_query == f"_k={api_key}&_p=anon_abc123&_n=user_8842"
    assert alias.body == b""


def test_alias_without_traits_sends_only_the_alias(make_pipeline, box):
    [result] = make_pipeline(config={"alias_on_identify": True}).send(identify(traits={}))
    assert result.status is Status.DELIVERED
    [alias] = box.requests
    assert alias.path == "/a"


@pytest.mark.parametrize(
    "ids",
    [
        {"anonymous_id": None},
        {"user_id": None},
        {"anonymous_id": "user_8842"},
    ],
)
def test_alias_skipped_without_two_distinct_identities(make_pipeline, box, ids):
    [result] = make_pipeline(config={"alias_on_identify": True}).send(identify(**ids))
    assert result.status is Status.DELIVERED
    [req] = box.requests
    assert req.path == "/s"
    assert result.notes == ("alias skipped: it needs both user_id and anonymous_id",)


def test_alias_skipped_and_no_traits_is_dropped(make_pipeline, box):
    pipeline = make_pipeline(config={"alias_on_identify": True})
    [result] = pipeline.send(identify(anonymous_id=None, traits={}))
    assert result.status is Status.DROPPED
    assert box.requests == []


def test_event_fails_when_the_alias_fails(make_pipeline, new_box):
    box = new_box(200, 404)
    pipeline = make_pipeline(config={"alias_on_identify": True}, base_url=box.url)
    [result] = pipeline.send(identify())
    assert result.status is Status.FAILED
    assert result.http_status == 404
    assert "404 Not Found from Kissmetrics" in result.reason
    assert [r.path for r in box.requests] == ["/s", "/a"]


def test_alias_is_retried_on_its_own(make_pipeline, new_box, clock):
    box = new_box(200, 503, 200)
    pipeline = make_pipeline(config={"alias_on_identify": True}, base_url=box.url)
    [result] = pipeline.send(identify())
    assert result.status is Status.DELIVERED
    assert result.attempts == 2  # the most any one request needed
    assert [r.path for r in box.requests] == ["/s", "/a", "/a"]
    assert box.requests[1].target == box.requests[2].target
    assert clock.sleeps == [0.5]


def test_track_events_are_never_aliased(make_pipeline, box):
    event = {
        "type": "track",
        "event": "Signed Up",
        "user_id": "user_8842",
        "anonymous_id": "anon_abc123",
        "timestamp": 1749200400,
    }
    make_pipeline(config={"alias_on_identify": True}).send(event)
    assert [r.path for r in box.requests] == ["/e"]


def test_preview_lists_both_requests(make_pipeline):
    previews = make_pipeline(config={"alias_on_identify": True}, base_url=None).preview(identify())
    assert [p.url.split("?")[0] for p in previews] == [
        "https://trk.kissmetrics.io/s",
        "https://trk.kissmetrics.io/a",
    ]
    assert previews[1].url == "https://trk.kissmetrics.io/a?_k=***&_p=anon_abc123&_n=user_8842"


@pytest.mark.parametrize("value", ["yes", 1, "true"])
def test_alias_flag_must_be_a_boolean(make_pipeline, value):
    with pytest.raises(ConfigError, match=r"config\.alias_on_identify: must be true or false"):
        make_pipeline(config={"alias_on_identify": value})
