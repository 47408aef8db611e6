"""GET postbacks on the wire: the exact URL, hostile values, kcid, goal id and value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from signal_core import Pipeline, Status
from signal_core.testing import Sandbox

ENCODED_TOKEN = "tok-Kx9%2FCanary%2BSecret%3D42"
KEYS = ["kcid", "goal", "value", "currency", "order", "eid", "ts", "token"]


def test_order_completed_becomes_the_exact_postback_url(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    [result] = knorex().send(order())
    assert result.status is Status.DELIVERED, result.reason
    assert (result.attempts, result.http_status, result.event_id) == (1, 204, "msg-1")
    [sent] = box.requests
    assert sent.method == "GET"
    assert sent.target == (
        "/xpo/postback?kcid=kc_abc123&goal=G-100&value=89.99&currency=USD&order=ORD-1042"
        f"&eid=msg-1&ts=1749200400&token={ENCODED_TOKEN}"
    )
    assert sent.query == [
        ("kcid", "kc_abc123"),
        ("goal", "G-100"),
        ("value", "89.99"),
        ("currency", "USD"),
        ("order", "ORD-1042"),
        ("eid", "msg-1"),
        ("ts", "1749200400"),
        ("token", "tok-Kx9/Canary+Secret=42"),
    ]
    assert sent.body == b""
    assert "Content-Type" not in sent.headers
    assert sent.headers["Host"] == urlsplit(box.url).netloc


def test_signed_up_is_a_conversion_too_and_missing_values_are_empty(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    event = order("Signed Up", revenue=None, currency=None, order_id=None)
    [result] = knorex().send(event)
    assert result.status is Status.DELIVERED, result.reason
    assert box.requests[0].target == (
        "/xpo/postback?kcid=kc_abc123&goal=G-100&value=&currency=&order="
        f"&eid=msg-1&ts=1749200400&token={ENCODED_TOKEN}"
    )


def test_fixed_query_text_of_the_template_is_kept_verbatim(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    url = "https://s2s.knorex.example/a/b%20c/pb?src=s2s&list=a,b;c&kcid={kcid}&v={value}"
    knorex({"postback_url": url, "token": None}).send(order())
    assert box.requests[0].target == "/a/b%20c/pb?src=s2s&list=a,b;c&kcid=kc_abc123&v=89.99"


HOSTILE = [
    "a&b=c",
    "x#frag",
    "../../admin",
    "/evil.com/",
    "?inject=1&kcid=forged",
    "spa ce",
    "\u00fcn\u00efc\u00f8d\u00e9",
    "\u65e5\u672c\u8a9e",
    "100%",
    "%2F%3F%23",
    "a+b",
    "a\r\nX-Injected: 1",
    "@evil.com:443",
    "evil.com/#",
    "\\\\evil\\x",
    "'\"<>`{kcid}",
    "\U0001f600",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_values_are_percent_encoded_and_cannot_change_path_or_params(
    hostile: str,
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
) -> None:
    event = order(kcid=hostile, order_id=hostile, currency=hostile, knorex_goal_id=hostile)
    [result] = knorex().send(event)
    assert result.status is Status.DELIVERED, result.reason
    [sent] = box.requests
    assert sent.path == "/xpo/postback"
    assert [k for k, _ in sent.query] == KEYS
    decoded = dict(sent.query)
    assert decoded["kcid"] == decoded["goal"] == decoded["currency"] == decoded["order"] == hostile
    encoded = quote(hostile, safe="")
    assert sent.raw_query == (
        f"kcid={encoded}&goal={encoded}&value=89.99&currency={encoded}&order={encoded}"
        f"&eid=msg-1&ts=1749200400&token={ENCODED_TOKEN}"
    )


def test_one_hostile_value_spelled_out_byte_for_byte(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    knorex({"postback_url": "https://s2s.knorex.example/pb?k={kcid}"}).send(
        order(kcid="a&b=c#d/e?f g%+\u00e9\r\n\U0001f600")
    )
    assert box.requests[0].target == (
        "/pb?k=a%26b%3Dc%23d%2Fe%3Ff%20g%25%2B%C3%A9%0D%0A%F0%9F%98%80"
    )


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_values_leave_scheme_host_and_path_of_the_template(
    hostile: str, knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]]
) -> None:
    pipeline = knorex(base_url=None)  # the account's own URL, previewed, never sent
    [preview] = pipeline.preview(order(kcid=hostile, order_id=hostile))
    parts = urlsplit(preview.url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "s2s.knorex.example",
        "/xpo/postback",
    )
    assert parts.fragment == ""


# -- kcid ---------------------------------------------------------------------


def test_kcid_property_wins_over_the_page_url(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    page = {"page": {"url": "https://shop.example/landing?kcid=from-url"}}
    [result] = knorex().send(order(kcid="from-prop", context=page))
    assert dict(box.requests[0].query)["kcid"] == "from-prop"
    assert result.notes == ()
    assert result.reason == "204 No Content"


def test_kcid_falls_back_to_the_page_url_query(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    page = {"page": {"url": "https://shop.example/landing?utm_source=x&kcid=kc%2F%C3%A9+1#top"}}
    [result] = knorex().send(order(kcid=None, context=page))
    assert result.status is Status.DELIVERED, result.reason
    assert box.requests[0].raw_query.startswith("kcid=kc%2F%C3%A9%201&goal=G-100&")
    assert result.notes == ("kcid read from context.page.url",)
    assert result.reason == "204 No Content; kcid read from context.page.url"


def test_a_whole_number_kcid_is_sent_as_digits(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    knorex().send(order(kcid=123456789))
    assert dict(box.requests[0].query)["kcid"] == "123456789"


@pytest.mark.parametrize(
    ("kcid", "page_url"),
    [
        (None, None),
        ("", None),
        ("   ", "https://shop.example/landing?kcid="),
        ({"id": "x"}, "https://shop.example/landing?other=1"),
        (None, "https://shop.example/landing#kcid=in-fragment"),
        (None, "http://[broken/landing?kcid=x"),
    ],
)
def test_a_conversion_without_kcid_is_dropped_and_never_sent(
    kcid: Any,
    page_url: str | None,
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
) -> None:
    context = {"page": {"url": page_url}} if page_url else None
    [result] = knorex().send(order(kcid=kcid, context=context))
    assert result.status is Status.DROPPED
    assert result.reason.startswith("no kcid: Knorex attributes a conversion only through")
    assert result.attempts == 0
    assert box.requests == []


def test_kcid_filled_in_by_the_core_click_id_store(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    [result] = knorex().send(order(kcid=None, context={"click_ids": {"kcid": "kc-stored"}}))
    assert result.status is Status.DELIVERED, result.reason
    assert dict(box.requests[0].query)["kcid"] == "kc-stored"
    assert result.notes == ("kcid from the visitor's stored click id (context.click_ids)",)


# -- goal id --------------------------------------------------------------------


def test_goal_id_property_then_mappings_then_config(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    mappings = {"events": {"Signed Up": {"values": {"knorex_goal_id": "G-signup"}}}}
    pipeline = knorex(mappings=mappings)
    pipeline.send(order("Signed Up", knorex_goal_id="G-own"))
    pipeline.send(order("Signed Up"))
    pipeline.send(order("Order Completed"))
    pipeline.send(order("Order Completed", knorex_goal_id=4711))
    goals = [dict(r.query)["goal"] for r in box.requests]
    assert goals == ["G-own", "G-signup", "G-100", "4711"]


def test_no_goal_id_anywhere_sends_it_empty_with_a_note(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    [result] = knorex({"goal_id": None}).send(order())
    assert result.status is Status.DELIVERED
    assert dict(box.requests[0].query)["goal"] == ""
    assert result.notes == (
        "no goal id: set a knorex_goal_id property, a mappings value or config.goal_id "
        "(sent empty)",
    )


def test_no_goal_note_when_the_template_has_no_goal_placeholder(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    url = "https://s2s.knorex.example/pb?goal=fixed-by-account&kcid={kcid}"
    [result] = knorex({"postback_url": url, "goal_id": None, "token": None}).send(order())
    assert result.notes == ()
    assert box.requests[0].target == "/pb?goal=fixed-by-account&kcid=kc_abc123"


# -- value ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "value", "notes"),
    [
        ({"revenue": 89.99}, "89.99", ()),
        ({"revenue": 10}, "10", ()),
        ({"revenue": 10.0}, "10", ()),
        ({"revenue": 0.1 + 0.2}, "0.3", ()),
        ({"revenue": "89.990"}, "89.99", ()),
        ({"revenue": None, "total": 120}, "120", ()),
        ({"revenue": 5, "total": 120}, "5", ()),
        (
            {"revenue": "n/a", "total": 50.5},
            "50.5",
            ("revenue is not a number, so it was not sent as the value",),
        ),
        ({"revenue": True}, "", ("revenue is not a number, so it was not sent as the value",)),
        ({"revenue": None}, "", ()),
    ],
)
def test_value_comes_from_revenue_then_total_without_float_noise(
    props: dict[str, Any],
    value: str,
    notes: tuple[str, ...],
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
) -> None:
    [result] = knorex().send(order(**props))
    assert dict(box.requests[0].query)["value"] == value
    assert result.notes == notes


# -- what is not a conversion -------------------------------------------------------


def test_unmapped_events_and_pages_are_dropped_without_a_request(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    pipeline = knorex()
    [viewed] = pipeline.send(order("Product Viewed"))
    [page] = pipeline.send({"type": "page", "anonymous_id": "a", "properties": {"kcid": "k"}})
    assert viewed.status is page.status is Status.DROPPED
    assert "not mapped" in viewed.reason
    assert box.requests == []


def test_marketing_consent_denied_skips_the_postback(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    denied = {"consent": {"categories": {"marketing": False, "analytics": True}}}
    [result] = knorex().send(order(context=denied))
    assert result.status is Status.SKIPPED
    assert box.requests == []


def test_send_many_delivers_each_conversion_in_its_own_request(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    events = [
        {**order(kcid=f"kc-{i}"), "message_id": f"m-{i}", "anonymous_id": f"a-{i}"}
        for i in range(5)
    ]
    events.append({**order(kcid=None), "message_id": "m-x", "anonymous_id": "a-x"})
    summary = knorex().send_many(events, workers=2)
    assert summary.total(Status.DELIVERED) == 5
    assert summary.total(Status.DROPPED) == 1
    assert sorted(dict(r.query)["kcid"] for r in box.requests) == [f"kc-{i}" for i in range(5)]


def test_kcid_remembered_from_the_landing_page_by_the_core(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    pytest.importorskip("signal_core.clickids")  # the core's click-id store
    pipeline = knorex()
    landing = {"page": {"url": "https://shop.example/landing?kcid=kc-landed"}}
    [page] = pipeline.send({"type": "page", "anonymous_id": "anon_abc123", "context": landing})
    assert page.status is Status.DROPPED
    [result] = pipeline.send(order(kcid=None))
    assert result.status is Status.DELIVERED, result.reason
    assert dict(box.requests[0].query)["kcid"] == "kc-landed"
    assert result.notes == ("kcid from the visitor's stored click id (context.click_ids)",)
