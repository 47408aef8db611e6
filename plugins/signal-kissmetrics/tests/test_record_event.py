"""Record-event requests (GET /e): the seed example, identity, time, presets."""

from __future__ import annotations

from typing import Any

import pytest
from signal_core import ConfigError, Status

SEED_TIME = "1749200400"  # 2025-06-06T09:00:00Z


def track(event: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event,
        "user_id": "user_8842",
        "timestamp": "2025-06-06T09:00:00Z",
        **extra,
    }


def test_seed_example_is_sent_exactly(make_pipeline, box, seed_event, api_key):
    [result] = make_pipeline().send(seed_event)

    assert result.status is Status.DELIVERED
    assert result.attempts == 1
    assert result.http_status == 200
    [req] = box.requests
    assert req.method == "GET"
    assert req.path == "/e"
    assert req.body == b""
    assert req.query == [
        ("_k", api_key),
        ("_p", "user_8842"),
        ("_n", "Purchased"),
        ("_t", SEED_TIME),
        ("_d", "1"),
        ("Order ID", "ORD-1042"),
        ("Revenue", "89.99"),
        ("Currency", "USD"),
        ("Tax", "7.20"),
        ("Coupon", "WELCOME10"),
    ]
    assert req.raw_query == (
        f"_k={api_key}&_p=user_8842&_n=Purchased&_t={SEED_TIME}&_d=1"
        "&Order%20ID=ORD-1042&Revenue=89.99&Currency=USD&Tax=7.20&Coupon=WELCOME10"
    )


def test_seed_example_preview_uses_the_kissmetrics_host(make_pipeline, seed_event):
    [preview] = make_pipeline(base_url=None).preview(seed_event)
    assert preview.method == "GET"
    assert preview.url == (
        f"https://trk.kissmetrics.io/e?_k=***&_p=user_8842&_n=Purchased&_t={SEED_TIME}&_d=1"
        "&Order%20ID=ORD-1042&Revenue=89.99&Currency=USD&Tax=7.20&Coupon=WELCOME10"
    )
    assert preview.body is None


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ({"user_id": "user_8842", "anonymous_id": "anon_abc123"}, "user_8842"),
        ({"anonymous_id": "anon_abc123"}, "anon_abc123"),
        ({"user_id": "", "anonymous_id": "anon_abc123"}, "anon_abc123"),
        ({"user_id": "user_8842"}, "user_8842"),
        ({"userId": 8842, "anonymousId": "anon_abc123"}, "8842"),
    ],
)
def test_person_is_user_id_falling_back_to_anonymous_id(make_pipeline, box, ids, expected):
    event = {"type": "track", "event": "Signed Up", "timestamp": 1749200400, **ids}
    [result] = make_pipeline().send(event)
    assert result.status is Status.DELIVERED
    [req] = box.requests
    assert dict(req.query)["_p"] == expected


@pytest.mark.parametrize(
    "timestamp",
    [
        "2025-06-06T09:00:00Z",
        "2025-06-06T09:00:00.750Z",
        "2025-06-06T11:00:00+02:00",
        "2025-06-06T09:00:00",
        1749200400,
        1749200400.9,
        "1749200400",
        1749200400000,
        1749200400999,
        "1749200400000",
    ],
)
def test_t_is_epoch_seconds_whatever_the_input(make_pipeline, box, timestamp):
    make_pipeline().send(track("Logged In", timestamp=timestamp))
    [req] = box.requests
    assert req.query[2:5] == [("_n", "Logged In"), ("_t", SEED_TIME), ("_d", "1")]


def test_t_defaults_to_the_time_the_event_was_received(make_pipeline, box):
    event = track("Logged In")
    del event["timestamp"]
    make_pipeline().send(event)
    [req] = box.requests
    t = int(dict(req.query)["_t"])
    assert 1_700_000_000 < t < 4_000_000_000  # seconds, not milliseconds


PRESET = [
    ("page", "Page Viewed"),
    ("Signed Up", "Signed Up"),
    ("Logged In", "Logged In"),
    ("Products Searched", "Searched"),
    ("Product Viewed", "Product Viewed"),
    ("Product Added", "Added to Cart"),
    ("Checkout Started", "Checkout Started"),
    ("Order Completed", "Purchased"),
    ("Order Refunded", "Refunded"),
]


@pytest.mark.parametrize(("source", "vendor_event"), PRESET)
def test_every_default_preset_row(make_pipeline, box, api_key, source, vendor_event):
    if source == "page":
        event = {"type": "page", "user_id": "user_8842", "timestamp": 1749200400}
    else:
        event = track(source)
    [result] = make_pipeline().send(event)
    assert result.status is Status.DELIVERED
    [req] = box.requests
    assert (req.method, req.path) == ("GET", "/e")
    assert req.query == [
        ("_k", api_key),
        ("_p", "user_8842"),
        ("_n", vendor_event),
        ("_t", SEED_TIME),
        ("_d", "1"),
    ]


def test_default_preset_is_exactly_the_seed_table_plus_identify(make_pipeline):
    mapped = make_pipeline().integrations[0].describe()["mapped_events"]
    assert mapped == {**dict(PRESET), "identify": "identify"}


@pytest.mark.parametrize("name", ["Order Cancelled", "Purchased", "page viewed", "order completed"])
def test_unmapped_event_is_dropped_without_a_request(make_pipeline, box, name):
    [result] = make_pipeline().send(track(name))
    assert result.status is Status.DROPPED
    assert "not mapped" in result.reason
    assert result.attempts == 0
    assert box.requests == []


def test_mapping_overrides_name_renames_and_fixed_values(make_pipeline, box, seed_event):
    mappings = {
        "events": {
            "Order Completed": {
                "vendor_event": "Order Placed",
                "rename": {"order_id": "Order Number", "coupon": "promo_code"},
                "values": {"channel": "web", "revenue": 1},
            }
        }
    }
    make_pipeline(mappings=mappings).send(seed_event)
    [req] = box.requests
    assert req.query[2] == ("_n", "Order Placed")
    assert req.query[5:] == [
        ("Order Number", "ORD-1042"),  # a rename is kept exactly as written
        ("Revenue", "89.99"),  # the event's own value wins over a fixed value
        ("Currency", "USD"),
        ("Tax", "7.20"),
        ("Promo Code", "WELCOME10"),  # renamed to snake_case, then made readable
        ("Channel", "web"),
    ]


def test_disabled_row_and_passthrough(make_pipeline, box):
    mappings = {
        "events": {"Signed Up": {"enabled": False}},
        "defaults": {"action": "passthrough"},
    }
    pipeline = make_pipeline(mappings=mappings)
    [disabled] = pipeline.send(track("Signed Up"))
    [passed] = pipeline.send(track("Newsletter Joined"))
    assert disabled.status is Status.DROPPED
    assert passed.status is Status.DELIVERED
    [req] = box.requests
    assert dict(req.query)["_n"] == "Newsletter Joined"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        (None, "https://trk.kissmetrics.io/e?"),
        ("https://trk.kissmetrics.io", "https://trk.kissmetrics.io/e?"),
        ("https://trk.kissmetrics.com", "https://trk.kissmetrics.com/e?"),
    ],
)
def test_host_choice(make_pipeline, seed_event, host, url):
    config = {} if host is None else {"host": host}
    [preview] = make_pipeline(config=config, base_url=None).preview(seed_event)
    assert preview.url.startswith(url)


@pytest.mark.parametrize(
    "host",
    [
        "https://evil.example",
        "http://trk.kissmetrics.io",
        "https://trk.kissmetrics.io/",
        "https://trk.kissmetrics.io.evil.example",
        "https://trk.kissmetrics.io@evil.example",
        "trk.kissmetrics.io",
        "https://trk.kissmetrics.io\r\n",
        "",
    ],
)
def test_host_outside_the_allowed_choices_is_rejected(make_pipeline, host):
    if host == "":
        # empty means "not set": the default host is used
        assert make_pipeline(config={"host": host}).integrations[0].config["host"] == (
            "https://trk.kissmetrics.io"
        )
        return
    with pytest.raises(ConfigError, match=r"config\.host"):
        make_pipeline(config={"host": host})


def test_api_key_is_required(make_pipeline):
    with pytest.raises(ConfigError, match=r"config\.api_key: is required"):
        make_pipeline(config={"api_key": ""})


def test_unknown_config_field_is_rejected(make_pipeline):
    with pytest.raises(ConfigError, match="unknown field"):
        make_pipeline(config={"region": "eu"})


@pytest.mark.parametrize(
    ("granted", "status", "requests"),
    [
        ({"analytics": False}, Status.SKIPPED, 0),
        ({"analytics": True, "marketing": False}, Status.DELIVERED, 1),
        ({"marketing": False}, Status.DELIVERED, 1),
    ],
)
def test_default_consent_category_is_analytics(make_pipeline, box, granted, status, requests):
    event = track("Signed Up", context={"consent": {"categories": granted}})
    [result] = make_pipeline().send(event)
    assert result.status is status
    assert len(box.requests) == requests
