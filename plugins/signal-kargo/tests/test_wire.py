"""What reaches the wire, checked on a loopback Sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kargo_testkit import ADVERTISER, CAMPAIGN, SEED_BODY, TOKEN, integration, purchase
from signal_core import Pipeline, Status
from signal_core.testing import Sandbox


def only_request(box: Sandbox) -> Any:
    assert len(box.requests) == 1
    return box.requests[0]


def test_seed_purchase_exact_query_and_body(box: Sandbox, make_pipeline: Any) -> None:
    [result] = make_pipeline().send(purchase())
    sent = only_request(box)
    assert sent.method == "POST"
    assert sent.path == "/data/c"
    assert sent.query == [
        ("advertiser_id", ADVERTISER),
        ("campaign_id", CAMPAIGN),
        ("auth_token", TOKEN),
    ]
    assert sent.raw_query == f"advertiser_id={ADVERTISER}&campaign_id={CAMPAIGN}&auth_token={TOKEN}"
    assert sent.headers["Content-Type"] == "application/json"
    assert "Authorization" not in sent.headers
    assert sent.body == SEED_BODY
    assert list(json.loads(sent.body)) == [
        "event",
        "external_id",
        "kgid",
        "ip",
        "user_agent",
        "order_id",
        "value",
        "currency",
    ]
    assert result.status is Status.DELIVERED
    assert result.attempts == 1
    assert result.http_status == 204
    assert result.vendor == "kargo"
    assert result.event_id == "msg-0001"
    assert "attribute" not in result.reason


def test_product_viewed_is_engagement(box: Sandbox, make_pipeline: Any) -> None:
    event = purchase(
        event="Product Viewed",
        properties={"order_id": None, "revenue": None, "currency": None, "product_id": "P-9"},
    )
    [result] = make_pipeline().send(event)
    sent = only_request(box)
    assert sent.body == (
        b'{"event":"engagement","external_id":"anon_abc123def456","kgid":"kg_click_xyz789",'
        b'"ip":"203.0.113.50","user_agent":"Mozilla/5.0 ..."}'
    )
    assert sent.raw_query == f"advertiser_id={ADVERTISER}&campaign_id={CAMPAIGN}&auth_token={TOKEN}"
    assert result.status is Status.DELIVERED


@pytest.mark.parametrize(
    "event",
    [
        purchase(event="Checkout Started"),
        {
            "type": "page",
            "anonymous_id": "anon_1",
            "context": {"page": {"url": "https://s.example/?kgid=k"}},
        },
        {"type": "identify", "anonymous_id": "anon_1", "traits": {"email": "a@example.com"}},
    ],
)
def test_unmapped_events_make_no_request(box: Sandbox, make_pipeline: Any, event: Any) -> None:
    [result] = make_pipeline().send(event)
    assert result.status is Status.DROPPED
    assert "not mapped" in result.reason
    assert result.attempts == 0
    assert box.requests == []


def test_mappings_can_add_and_disable_events(box: Sandbox, make_pipeline: Any) -> None:
    pipeline = make_pipeline(
        mappings={
            "events": {
                "Signed Up": {"vendor_event": "lead", "values": {"value": 5}},
                "Product Viewed": {"enabled": False},
            }
        }
    )
    signed_up = purchase(event="Signed Up", properties={"revenue": None, "order_id": None})
    [lead] = pipeline.send(signed_up)
    [viewed] = pipeline.send(purchase(event="Product Viewed"))
    sent = only_request(box)
    assert json.loads(sent.body) == {
        "event": "lead",
        "external_id": "anon_abc123def456",
        "kgid": "kg_click_xyz789",
        "ip": "203.0.113.50",
        "user_agent": "Mozilla/5.0 ...",
        "value": 5,
        "currency": "USD",
    }
    assert lead.status is Status.DELIVERED
    assert viewed.status is Status.DROPPED


def test_passthrough_sends_unmapped_events_under_their_name(
    box: Sandbox, make_pipeline: Any
) -> None:
    pipeline = make_pipeline(mappings={"defaults": {"action": "passthrough"}})
    pipeline.send(purchase(event="Cart Viewed", properties={"order_id": None}))
    assert json.loads(only_request(box).body)["event"] == "Cart Viewed"


@pytest.mark.parametrize(
    ("properties", "config_campaign", "expected"),
    [
        ({"campaign_id": "camp_evt"}, CAMPAIGN, "camp_evt"),
        ({"kargo_campaign_id": "kcamp_evt"}, CAMPAIGN, "kcamp_evt"),
        ({"kargo_campaign_id": "kcamp_evt", "campaign_id": "generic"}, CAMPAIGN, "kcamp_evt"),
        ({"campaign_id": "camp_evt"}, None, "camp_evt"),
        ({"campaign_id": 4417}, None, "4417"),
        ({"campaign_id": ""}, CAMPAIGN, CAMPAIGN),
        ({}, CAMPAIGN, CAMPAIGN),
    ],
)
def test_campaign_per_event_with_config_fallback(
    box: Sandbox, make_pipeline: Any, properties: Any, config_campaign: Any, expected: str
) -> None:
    make_pipeline(campaign_id=config_campaign).send(purchase(properties=properties))
    sent = only_request(box)
    assert sent.query == [
        ("advertiser_id", ADVERTISER),
        ("campaign_id", expected),
        ("auth_token", TOKEN),
    ]
    body = json.loads(sent.body)
    assert "campaign_id" not in body
    assert "kargo_campaign_id" not in body


def test_campaign_omitted_when_neither_set(box: Sandbox, make_pipeline: Any) -> None:
    make_pipeline(campaign_id=None).send(purchase())
    sent = only_request(box)
    assert sent.raw_query == f"advertiser_id={ADVERTISER}&auth_token={TOKEN}"
    assert sent.body == SEED_BODY


def test_header_auth_mode_keeps_token_out_of_url(box: Sandbox, make_pipeline: Any) -> None:
    [result] = make_pipeline(auth_mode="header").send(purchase())
    sent = only_request(box)
    assert sent.raw_query == f"advertiser_id={ADVERTISER}&campaign_id={CAMPAIGN}"
    assert TOKEN not in sent.target
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.body == SEED_BODY
    assert result.status is Status.DELIVERED


def test_missing_kgid_is_sent_with_a_warning(box: Sandbox, make_pipeline: Any) -> None:
    event = purchase(context={"page": {"url": "https://shop.example/checkout"}})
    [result] = make_pipeline().send(event)
    sent = only_request(box)
    assert sent.body == (
        b'{"event":"conversion","external_id":"anon_abc123def456","ip":"203.0.113.50",'
        b'"user_agent":"Mozilla/5.0 ...","order_id":"ORD-001","value":129.99,"currency":"USD"}'
    )
    assert result.status is Status.DELIVERED
    assert result.reason == (
        "204 No Content; no kgid: Kargo will likely not attribute this conversion"
    )
    assert result.notes == ("no kgid: Kargo will likely not attribute this conversion",)


def test_missing_kgid_on_engagement_note(box: Sandbox, make_pipeline: Any) -> None:
    [result] = make_pipeline().send(purchase(event="Product Viewed", context={"page": None}))
    assert "kgid" not in json.loads(only_request(box).body)
    assert result.notes == ("no kgid: Kargo will likely not attribute this event",)


@pytest.mark.parametrize(
    ("properties", "url", "expected"),
    [
        ({"kgid": "kg_prop"}, "https://s.example/?kgid=kg_url", "kg_prop"),
        ({}, "https://s.example/p?a=1&kgid=kg%20url%2Bx#frag", "kg url+x"),
        ({"kgid": ""}, "https://s.example/?kgid=kg_url", "kg_url"),
        ({"kgid": None}, "https://s.example/?kgid=&kgid=kg_second", "kg_second"),
        ({"kgid": 12345}, None, "12345"),
    ],
)
def test_kgid_sources_in_order(
    box: Sandbox, make_pipeline: Any, properties: Any, url: Any, expected: str
) -> None:
    event = purchase(properties=properties, context={"page": {"url": url} if url else None})
    [result] = make_pipeline().send(event)
    assert json.loads(only_request(box).body)["kgid"] == expected
    assert result.notes == ()


def test_kgid_in_fragment_or_other_param_is_not_a_click_id(
    box: Sandbox, make_pipeline: Any
) -> None:
    event = purchase(context={"page": {"url": "https://s.example/?xkgid=a#kgid=b"}})
    [result] = make_pipeline().send(event)
    assert "kgid" not in json.loads(only_request(box).body)
    assert result.notes


def test_puid_forwarded_after_the_seed_keys(box: Sandbox, make_pipeline: Any) -> None:
    puid = "efaa6e95-8f9e-25bf-d0ec-6bbbcf92ce59"
    make_pipeline().send(purchase(context={"providers": {"kargo": {"puid": puid}}}))
    sent = only_request(box)
    assert sent.body == SEED_BODY[:-1] + b',"puid":"' + puid.encode() + b'"}'


@pytest.mark.parametrize(
    "providers",
    [
        {"kargo": {"puid": ""}},
        {"kargo": {"puid": None}},
        {"kargo": "x"},
        {"other": {"puid": "p"}},
        "x",
    ],
)
def test_puid_absent_or_unusable_is_omitted(
    box: Sandbox, make_pipeline: Any, providers: Any
) -> None:
    make_pipeline().send(purchase(context={"providers": providers}))
    assert only_request(box).body == SEED_BODY


@pytest.mark.parametrize(
    ("properties", "value"),
    [
        ({"revenue": None, "total": 99.5, "value": 1}, 99.5),
        ({"revenue": None, "value": 7}, 7),
        ({"revenue": "129.99"}, 129.99),
        ({"revenue": "n/a", "total": 10}, 10),
        ({"revenue": True, "total": None, "value": None}, None),
        ({"revenue": None}, None),
    ],
)
def test_value_falls_back_revenue_total_value(
    box: Sandbox, make_pipeline: Any, properties: Any, value: Any
) -> None:
    make_pipeline().send(purchase(properties=properties))
    body = json.loads(only_request(box).body)
    if value is None:
        assert "value" not in body
    else:
        assert body["value"] == value
        assert type(body["value"]) is type(value)


def test_keys_without_value_are_omitted_never_null(box: Sandbox, make_pipeline: Any) -> None:
    event = {
        "type": "track",
        "event": "Order Completed",
        "user_id": "user_1",
        "properties": {"order_id": None, "revenue": None, "currency": None},
        "context": {"ip": None, "user_agent": ""},
    }
    [result] = make_pipeline().send(event)
    assert only_request(box).body == b'{"event":"conversion"}'
    assert result.status is Status.DELIVERED


def test_order_id_and_currency_normalised(box: Sandbox, make_pipeline: Any) -> None:
    make_pipeline().send(purchase(properties={"order_id": 1042, "currency": " usd "}))
    body = json.loads(only_request(box).body)
    assert body["order_id"] == "1042"
    assert body["currency"] == "USD"


def test_segment_camel_case_aliases(box: Sandbox, make_pipeline: Any) -> None:
    event = purchase()
    event["anonymousId"] = event.pop("anonymous_id")
    event["context"]["userAgent"] = event["context"].pop("user_agent")
    make_pipeline().send(event)
    assert only_request(box).body == SEED_BODY


def test_query_values_are_encoded_exactly(box: Sandbox, make_pipeline: Any) -> None:
    odd = "a&b=c#d?e%f+g/h é"
    make_pipeline(advertiser_id=odd, campaign_id=None).send(purchase())
    sent = only_request(box)
    assert sent.query[0] == ("advertiser_id", odd)
    assert sent.raw_query.startswith(
        "advertiser_id=a%26b%3Dc%23d%3Fe%25f%2Bg%2Fh%20%C3%A9&auth_token="
    )


def test_configured_endpoint_path_is_used(box: Sandbox, make_pipeline: Any) -> None:
    make_pipeline(endpoint="https://s2s.kargo.example/v2/conversions").send(purchase())
    sent = only_request(box)
    assert sent.path == "/v2/conversions"
    assert sent.query[0] == ("advertiser_id", ADVERTISER)


def test_loopback_http_endpoint_without_base_url(box: Sandbox, clock: Any) -> None:
    spec = integration(None, endpoint=f"{box.url}/data/c")
    with Pipeline([spec], clock=clock) as pipeline:
        [result] = pipeline.send(purchase())
    assert result.status is Status.DELIVERED
    assert only_request(box).body == SEED_BODY


def test_consent_denied_for_marketing_skips(box: Sandbox, make_pipeline: Any) -> None:
    event = purchase(context={"consent": {"categories": {"marketing": False}}})
    [result] = make_pipeline().send(event)
    assert result.status is Status.SKIPPED
    assert "marketing" in result.reason
    assert box.requests == []


def test_send_many_delivers_one_request_per_event(box: Sandbox, make_pipeline: Any) -> None:
    events = [purchase(message_id=f"m{i}", properties={"order_id": f"ORD-{i}"}) for i in range(5)]
    summary = make_pipeline().send_many(events, workers=2)
    assert summary.total("delivered") == 5
    assert sorted(json.loads(r.body)["order_id"] for r in box.requests) == [
        f"ORD-{i}" for i in range(5)
    ]


def test_same_bytes_on_every_attempt(box: Sandbox, make_pipeline: Any) -> None:
    box.script(503, 500)
    [result] = make_pipeline().send(purchase())
    assert result.attempts == 3
    assert len({(r.target, r.body) for r in box.requests}) == 1
