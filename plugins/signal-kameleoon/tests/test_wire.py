"""What reaches Kameleoon, byte for byte: URL, query, headers and the JSON body."""

from __future__ import annotations

import json
import re

import pytest
from kameleoon_testkit import (
    PAGE_ID,
    PURCHASE_ID,
    SEED_PAGE_BODY,
    SEED_PURCHASE_BODY,
    SITE,
    VISITOR,
    events,
    integration,
    nonce,
    page,
    purchase,
    track,
    wire,
)
from signal_core import Status
from signal_kameleoon.mapping import FALLBACK_NOTE

NONCE = re.compile(r"[0-9A-F]{16}")


def _seed(text: str, message_id: str) -> list[dict[str, object]]:
    body = json.loads(text)
    body[0]["nonce"] = nonce(message_id)
    return body


def assert_endpoint(req: object) -> None:
    assert req.method == "POST"
    assert req.path == "/visit/events"
    assert req.raw_query == f"siteCode={SITE}&json=true"
    assert req.query == [("siteCode", SITE), ("json", "true")]
    assert req.headers["Content-Type"] == "application/json"


def test_seed_purchase_example_exactly(box, make_pipeline):
    [result] = make_pipeline(integration(box)).send(purchase())
    assert (result.status, result.attempts, result.http_status) == (Status.DELIVERED, 1, 204)
    [req] = box.requests
    assert_endpoint(req)
    expected = _seed(SEED_PURCHASE_BODY, PURCHASE_ID)
    assert req.body == wire(expected)
    assert req.body == (
        b'[{"nonce":"' + nonce(PURCHASE_ID).encode() + b'","eventType":"CONVERSION",'
        b'"visitorCode":"245fc8a1b9","goalId":36151,"revenue":23.5}]'
    )
    assert events(req)[0]["nonce"] == "D51288EDB1B0AC96"  # pinned: the README shows it
    assert result.notes == ()


def test_seed_page_example_exactly(box, make_pipeline):
    [result] = make_pipeline(integration(box)).send(page())
    assert result.status is Status.DELIVERED
    [req] = box.requests
    assert_endpoint(req)
    assert req.body == wire(_seed(SEED_PAGE_BODY, PAGE_ID))
    assert req.body.startswith(b'[{"nonce":"' + nonce(PAGE_ID).encode() + b'","eventType":"PAGE"')


@pytest.mark.parametrize(
    ("region", "tld", "url"),
    [
        ("eu", None, "https://eu-data.kameleoon.io/visit/events"),
        ("na", None, "https://na-data.kameleoon.io/visit/events"),
        ("eu", "eu", "https://eu-data.kameleoon.eu/visit/events"),
        ("na", "io", "https://na-data.kameleoon.io/visit/events"),
    ],
)
def test_production_url_per_region_and_domain(make_pipeline, region, tld, url):
    config = {"region": region} if tld is None else {"region": region, "domain_tld": tld}
    [preview] = make_pipeline(integration(**config)).preview(purchase())
    assert preview.method == "POST"
    assert preview.url == f"{url}?siteCode={SITE}&json=true"
    assert preview.headers == {"Content-Type": "application/json"}


def test_refund_is_a_negative_conversion(box, make_pipeline):
    ev = track(
        "Order Refunded", "refund-1", order_id="ORD-1", revenue=89.99, kameleoon_goal_id=36151
    )
    [result] = make_pipeline(integration(box)).send(ev)
    assert result.status is Status.DELIVERED
    [req] = box.requests
    assert req.body == wire(
        [
            {
                "nonce": nonce("refund-1"),
                "eventType": "CONVERSION",
                "visitorCode": VISITOR,
                "goalId": 36151,
                "revenue": 89.99,
                "negative": True,
            }
        ]
    )


def test_refund_can_opt_out_of_negative(box, make_pipeline):
    ev = track("Order Refunded", "refund-2", kameleoon_goal_id=5, kameleoon_negative=False)
    make_pipeline(integration(box)).send(ev)
    assert "negative" not in events(box.requests[0])[0]


def test_sign_up_is_a_conversion_with_goal_only(box, make_pipeline):
    ev = track("Signed Up", "signup-1", method="email", kameleoon_goal_id="36152")
    [result] = make_pipeline(integration(box)).send(ev)
    assert result.status is Status.DELIVERED
    assert box.requests[0].body == wire(
        [
            {
                "nonce": nonce("signup-1"),
                "eventType": "CONVERSION",
                "visitorCode": VISITOR,
                "goalId": 36152,
            }
        ]
    )


def test_fixed_goal_id_from_the_integration_mappings(box, make_pipeline):
    mappings = {"events": {"Signed Up": {"values": {"kameleoon_goal_id": 777}}}}
    pipeline = make_pipeline(integration(box, mappings=mappings))
    pipeline.send(track("Signed Up", "signup-2"))
    # a goal id carried by the event wins over the fixed value
    pipeline.send(track("Signed Up", "signup-3", kameleoon_goal_id=36152))
    goals = [events(r)[0]["goalId"] for r in box.requests]
    assert goals == [777, 36152]


def test_fixed_goal_id_on_refund_keeps_negative(box, make_pipeline):
    mappings = {"events": {"Order Refunded": {"values": {"kameleoon_goal_id": 900}}}}
    make_pipeline(integration(box, mappings=mappings)).send(track("Order Refunded", "r-9"))
    [event] = events(box.requests[0])
    assert (event["goalId"], event["negative"]) == (900, True)


def test_missing_goal_id_is_dropped_without_a_request(box, make_pipeline):
    ev = purchase(properties={"order_id": "ORD-1", "revenue": 10})
    [result] = make_pipeline(integration(box)).send(ev)
    assert result.status is Status.DROPPED
    assert "kameleoon_goal_id" in result.reason
    assert "'Order Completed'" in result.reason
    assert result.attempts == 0
    assert box.requests == []


@pytest.mark.parametrize("bad", ["abc", "36151x", "", " ", 0, -5, True, 1.5, [1], "1e3", "٣٦"])
def test_non_numeric_goal_id_is_dropped(box, make_pipeline, bad):
    ev = track("Signed Up", "bad-goal", kameleoon_goal_id=bad)
    [result] = make_pipeline(integration(box)).send(ev)
    assert result.status is Status.DROPPED
    assert "kameleoon_goal_id" in result.reason
    assert box.requests == []


@pytest.mark.parametrize(
    ("given", "sent"), [(36151, 36151), ("36151", 36151), (" 42 ", 42), (7.0, 7)]
)
def test_goal_id_is_sent_as_an_integer(box, make_pipeline, given, sent):
    make_pipeline(integration(box)).send(track("Signed Up", "g", kameleoon_goal_id=given))
    goal = events(box.requests[0])[0]["goalId"]
    assert goal == sent
    assert type(goal) is int


@pytest.mark.parametrize(
    ("given", "raw"),
    [(23.5, b'"revenue":23.5'), ("23.50", b'"revenue":23.5'), (100, b'"revenue":100')],
)
def test_revenue_is_a_json_number(box, make_pipeline, given, raw):
    ev = track("Order Completed", "rev", kameleoon_goal_id=1, revenue=given)
    make_pipeline(integration(box)).send(ev)
    assert raw + b"}]" in box.requests[0].body


def test_unusable_revenue_is_left_out_with_a_note(box, make_pipeline):
    ev = track("Order Completed", "rev-bad", kameleoon_goal_id=1, revenue="lots")
    [result] = make_pipeline(integration(box)).send(ev)
    assert result.status is Status.DELIVERED
    assert "revenue" not in events(box.requests[0])[0]
    assert any("revenue 'lots' is not a number" in n for n in result.notes)


def test_revenue_renamed_through_mappings(box, make_pipeline):
    mappings = {"events": {"Order Completed": {"rename": {"total": "revenue"}}}}
    ev = track("Order Completed", "rev-total", kameleoon_goal_id=1, total=12.25)
    make_pipeline(integration(box, mappings=mappings)).send(ev)
    assert events(box.requests[0])[0]["revenue"] == 12.25


def test_cookie_visitor_code_wins(box, make_pipeline):
    ev = purchase()
    ev["properties"]["kameleoon_visitor_code"] = "from-property"
    [result] = make_pipeline(integration(box)).send(ev)
    assert events(box.requests[0])[0]["visitorCode"] == VISITOR
    assert result.notes == ()
    assert FALLBACK_NOTE not in result.reason


def test_property_visitor_code_when_no_cookie(box, make_pipeline):
    ev = purchase(context={})
    ev["properties"]["kameleoon_visitor_code"] = "prop-visitor-1"
    [result] = make_pipeline(integration(box)).send(ev)
    assert events(box.requests[0])[0]["visitorCode"] == "prop-visitor-1"
    assert result.notes == ()


def test_anonymous_id_fallback_is_reported(box, make_pipeline):
    ev = purchase(context={"cookies": {"other": "x"}})
    [result] = make_pipeline(integration(box)).send(ev)
    assert result.status is Status.DELIVERED
    assert events(box.requests[0])[0]["visitorCode"] == "anon_abc123"
    assert result.notes == (FALLBACK_NOTE,)
    assert "will not attribute" in result.reason
    assert "experiment" in result.reason


def test_visitor_code_limit_is_100_characters(box, make_pipeline):
    pipeline = make_pipeline(integration(box))
    ok = "v" * 100
    pipeline.send(purchase(context={"cookies": {"kameleoonVisitorCode": ok}}))
    [long_cookie] = pipeline.send(
        purchase(context={"cookies": {"kameleoonVisitorCode": "v" * 101}})
    )
    codes = [events(r)[0]["visitorCode"] for r in box.requests]
    assert codes == [ok, "anon_abc123"]
    assert long_cookie.notes[0] == (
        "the kameleoonVisitorCode cookie was ignored: it is longer than 100 characters"
    )
    assert long_cookie.notes[1] == FALLBACK_NOTE


def test_no_usable_visitor_code_is_dropped(box, make_pipeline):
    pipeline = make_pipeline(integration(box))
    [too_long] = pipeline.send(purchase(context={}, anonymous_id="a" * 101))
    no_anon = purchase(context={}, user_id="user-1")
    del no_anon["anonymous_id"]
    [only_user] = pipeline.send(no_anon)
    assert too_long.status is Status.DROPPED
    assert "anonymous_id" in too_long.reason
    assert "100 characters" in too_long.reason
    assert only_user.status is Status.DROPPED
    assert "no Kameleoon visitor code" in only_user.reason
    assert box.requests == []


def test_nonce_is_identical_across_a_503_retry(box, make_pipeline, clock):
    box.script(503, 204)
    [result] = make_pipeline(integration(box)).send(purchase())
    assert (result.status, result.attempts, result.http_status) == (Status.DELIVERED, 2, 204)
    first, second = box.requests
    assert first.body == second.body
    assert first.target == second.target
    assert events(first)[0]["nonce"] == nonce(PURCHASE_ID)
    assert clock.sleeps == [0.5]


def test_nonce_is_stable_across_sends_and_unique_per_event(box, make_pipeline):
    pipeline = make_pipeline(integration(box))
    pipeline.send(purchase())
    pipeline.send(purchase())  # a replay of the same event
    pipeline.send(purchase(message_id="another-event"))
    nonces = [events(r)[0]["nonce"] for r in box.requests]
    assert nonces == [nonce(PURCHASE_ID), nonce(PURCHASE_ID), nonce("another-event")]
    assert nonces[0] != nonces[2]
    assert all(NONCE.fullmatch(n) for n in nonces)


def test_generated_message_id_gives_a_stable_nonce(box, make_pipeline):
    ev = purchase()
    del ev["message_id"]  # the core derives one from the event when it has a timestamp
    pipeline = make_pipeline(integration(box))
    pipeline.send(dict(ev))
    pipeline.send(dict(ev))
    a, b = (events(r)[0]["nonce"] for r in box.requests)
    assert a == b


def test_page_referrer_and_missing_title(box, make_pipeline):
    ev = page(
        context={
            "page": {"url": "https://example.com/a?x=1&y=é", "referrer": "https://news.example/"},
            "cookies": {"kameleoonVisitorCode": VISITOR},
        }
    )
    make_pipeline(integration(box)).send(ev)
    assert box.requests[0].body == wire(
        [
            {
                "nonce": nonce(PAGE_ID),
                "eventType": "PAGE",
                "visitorCode": VISITOR,
                "href": "https://example.com/a?x=1&y=é",
                "title": "",
                "referrers": ["https://news.example/"],
            }
        ]
    )
    assert "é".encode() in box.requests[0].body  # UTF-8 on the wire, not \\u escapes


def test_page_properties_are_a_fallback_for_context_page(box, make_pipeline):
    ev = page(context={}, properties={"url": "https://example.com/p", "title": "P"})
    make_pipeline(integration(box)).send(ev)
    [event] = events(box.requests[0])
    assert (event["href"], event["title"], event["visitorCode"]) == (
        "https://example.com/p",
        "P",
        "anon_abc123",
    )


def test_page_without_url_is_dropped(box, make_pipeline):
    [result] = make_pipeline(integration(box)).send(page(context={}))
    assert result.status is Status.DROPPED
    assert "context.page.url" in result.reason
    assert box.requests == []


def test_unmapped_events_are_dropped(box, make_pipeline):
    pipeline = make_pipeline(integration(box))
    [viewed] = pipeline.send(track("Product Viewed", "pv-1", product_id="SKU-9"))
    [identify] = pipeline.send({"type": "identify", "user_id": "u1", "traits": {"a": 1}})
    assert viewed.status is Status.DROPPED
    assert identify.status is Status.DROPPED
    assert box.requests == []


def test_passthrough_of_an_unsupported_vendor_event_is_dropped(box, make_pipeline):
    mappings = {"defaults": {"action": "passthrough"}}
    [result] = make_pipeline(integration(box, mappings=mappings)).send(track("Product Viewed", "x"))
    assert result.status is Status.DROPPED
    assert "use PAGE or CONVERSION" in result.reason
    assert box.requests == []


def test_custom_event_mapped_to_conversion(box, make_pipeline):
    mappings = {
        "events": {
            "Trial Started": {"vendor_event": "conversion", "values": {"kameleoon_goal_id": 11}}
        }
    }
    make_pipeline(integration(box, mappings=mappings)).send(track("Trial Started", "t-1"))
    [event] = events(box.requests[0])
    assert (event["eventType"], event["goalId"]) == ("CONVERSION", 11)


def test_disabled_event_in_mappings(box, make_pipeline):
    mappings = {"events": {"page": {"enabled": False}}}
    [result] = make_pipeline(integration(box, mappings=mappings)).send(page())
    assert result.status is Status.DROPPED
    assert box.requests == []


def test_default_consent_category_is_analytics(box, make_pipeline):
    denied = purchase()
    denied["context"]["consent"] = {"categories": {"analytics": False, "marketing": True}}
    [skipped] = make_pipeline(integration(box)).send(denied)
    assert skipped.status is Status.SKIPPED
    assert "analytics" in skipped.reason
    [sent] = make_pipeline(integration(box, consent_categories=[])).send(denied)
    assert sent.status is Status.DELIVERED
    assert len(box.requests) == 1
