"""One echo event, byte for byte, as the vendor's server receives it."""

from __future__ import annotations

import json

from signal_core import Status
from signal_core.events import normalize
from signal_core.testing import Reply
from signal_e2e_kit import decode_query, echo, track

SECRET = "k3y/+&=?#% ü~"
RAW_SECRET = "k3y%2F%2B%26%3D%3F%23%25%20%C3%BC~"


def test_exact_wire_of_one_echo_event_with_key_in_query(box, make_pipeline, clock):
    pipeline = make_pipeline([echo(box, api_key=SECRET)])
    event = track(properties={"order_id": "ORD-1042", "revenue": 89.99, "currency": "USD"})
    message_id = normalize(event).message_id
    [result] = pipeline.send(event)

    assert (result.integration, result.vendor, result.status) == ("echo", "echo", Status.DELIVERED)
    assert (result.attempts, result.http_status, result.reason) == (1, 204, "204 No Content")
    assert result.event_id == message_id
    assert clock.sleeps == []

    [got] = box.requests
    body = json.dumps(
        {
            "event": "purchase",
            "id": message_id,
            "user": "anon_1",
            "order_id": "ORD-1042",
            "revenue": 89.99,
            "currency": "USD",
        },
        separators=(",", ":"),
    ).encode()
    assert got.method == "POST"
    assert got.path == "/collect"
    assert got.raw_query == f"key={RAW_SECRET}"
    assert decode_query(got.raw_query) == [("key", SECRET)]
    assert got.query == [("key", SECRET)]
    assert got.headers == {
        "Host": box.url.removeprefix("http://"),
        "User-Agent": "signal-core/0.1.0",
        "Accept-Encoding": "identity",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
    }
    assert got.body == body


def test_exact_wire_with_key_in_authorization_header(box, make_pipeline):
    pipeline = make_pipeline([echo(box, api_key="tok_hdr_123", config={"mode": "header"})])
    [result] = pipeline.send(track(event="Order Completed"))
    assert result.status is Status.DELIVERED
    [got] = box.requests
    assert got.target == "/collect"
    assert got.raw_query == ""
    assert got.headers["Authorization"] == "Bearer tok_hdr_123"
    assert set(got.headers) == {
        "Host",
        "User-Agent",
        "Accept-Encoding",
        "Content-Type",
        "Content-Length",
        "Authorization",
    }


def test_user_agent_and_keep_alive_connection_reuse(box, make_pipeline):
    pipeline = make_pipeline([echo(box)])
    for n in range(3):
        pipeline.send(track(properties={"n": n}))
    assert [r.headers["User-Agent"] for r in box.requests] == ["signal-core/0.1.0"] * 3
    assert [json.loads(r.body)["n"] for r in box.requests] == [0, 1, 2]


def test_page_event_goes_out_under_its_preset_name(box, make_pipeline):
    pipeline = make_pipeline([echo(box)])
    [result] = pipeline.send({"type": "page", "userId": "user_8842", "timestamp": 1749200400})
    assert result.status is Status.DELIVERED
    data = json.loads(box.requests[0].body)
    assert (data["event"], data["user"]) == ("page", "user_8842")


def test_a_redirect_is_not_followed(make_box, make_pipeline, clock):
    elsewhere = make_box()
    box = make_box(Reply(302, {"Location": f"{elsewhere.url}/collect?stolen=1"}))
    pipeline = make_pipeline([echo(box)])
    [result] = pipeline.send(track())
    assert result.status is Status.FAILED
    assert (result.attempts, result.http_status) == (1, 302)
    assert "redirects are not followed" in result.reason
    assert len(box.requests) == 1
    assert elsewhere.requests == []
    assert clock.sleeps == []


def test_a_307_redirect_on_post_is_not_followed(make_box, make_pipeline):
    elsewhere = make_box()
    box = make_box(Reply(307, {"Location": f"{elsewhere.url}/collect"}))
    [result] = make_pipeline([echo(box)]).send(track())
    assert (result.status, result.http_status) == (Status.FAILED, 307)
    assert elsewhere.requests == []
