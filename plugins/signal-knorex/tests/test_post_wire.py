"""POST postbacks on the wire: the template URL plus an exact JSON body."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from signal_core import Pipeline, Status
from signal_core.testing import Sandbox

POST_URL = "https://s2s.knorex.example/xpo/conversions?token={token}"


def test_post_sends_the_exact_json_body(
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
    token: str,
) -> None:
    [result] = knorex({"postback_url": POST_URL, "method": "POST"}).send(order())
    assert result.status is Status.DELIVERED, result.reason
    [sent] = box.requests
    assert sent.method == "POST"
    assert sent.target == "/xpo/conversions?token=tok-Kx9%2FCanary%2BSecret%3D42"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body == (
        b'{"kcid":"kc_abc123","goal_id":"G-100","value":89.99,"currency":"USD",'
        b'"order_id":"ORD-1042","event_id":"msg-1","timestamp":1749200400}'
    )
    assert token.encode() not in sent.body


def test_post_leaves_out_missing_fields(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    event = order("Signed Up", revenue=None, currency=None, order_id=None)
    [result] = knorex(
        {
            "postback_url": "https://s2s.knorex.example/pb",
            "method": "POST",
            "goal_id": None,
            "token": None,
        }
    ).send(event)
    assert box.requests[0].target == "/pb"
    assert box.requests[0].body == b'{"kcid":"kc_abc123","event_id":"msg-1","timestamp":1749200400}'
    assert result.notes == (
        "no goal id: set a knorex_goal_id property, a mappings value or config.goal_id "
        "(sent empty)",
    )


def test_post_body_values_round_trip_and_the_url_placeholders_are_filled(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    hostile = 'a"b\\c\r\n\u00e9\U0001f600</script>'
    url = "https://s2s.knorex.example/pb?kcid={kcid}&goal={goal_id}"
    knorex({"postback_url": url, "method": "POST", "token": None}).send(
        order(kcid=hostile, order_id=hostile, revenue="1e3")
    )
    [sent] = box.requests
    assert sent.path == "/pb"
    assert sent.query == [("kcid", hostile), ("goal", "G-100")]
    assert sent.body.isascii()
    body = json.loads(sent.body)
    assert body["kcid"] == body["order_id"] == hostile
    assert body["value"] == 1000
    assert b'"value":1000,' in sent.body
