"""What the webhook sends, byte for byte, against a loopback sandbox."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Callable

import pytest
import signal_webhook
from signal_core import Pipeline
from signal_core.testing import FakeClock, Reply, Sandbox, identify, track

SECRET = "whsec_test_5f1c0e"
BARE = {"ip": None, "user_agent": None, "page": None}  # no default context


def webhook(box: Sandbox, **config: Any) -> dict[str, Any]:
    extra = {k: config.pop(k) for k in ("mappings",) if k in config}
    return {"vendor": "webhook", "config": {"url": f"{box.url}/hooks/signal", **config}, **extra}


def test_one_event_is_one_post_with_the_exact_body(signal_sandbox: Sandbox, fake_clock: FakeClock):
    event = track("Order Completed", message_id="msg-1", user_id="user_8842", context=BARE)
    with Pipeline([webhook(signal_sandbox)], clock=fake_clock) as pipeline:
        [result] = pipeline.send(event)

    assert (result.status, result.attempts, result.http_status) == ("delivered", 1, 204)
    [request] = signal_sandbox.requests
    assert (request.method, request.target) == ("POST", "/hooks/signal")
    assert request.headers["Content-Type"] == "application/json"
    assert "X-Signal-Signature" not in request.headers  # no secret, no signature
    assert request.body == (
        b'{"events":[{"event":"Order Completed","type":"track","message_id":"msg-1",'
        b'"timestamp":"2025-06-06T09:00:00.000Z","user_id":"user_8842",'
        b'"anonymous_id":"anon_abc123",'
        b'"properties":{"order_id":"ORD-1042","revenue":89.99,"currency":"USD"},'
        b'"traits":{},"context":{}}]}'
    )


def test_the_signature_is_hmac_sha256_of_the_exact_body(signal_sandbox: Sandbox):
    with Pipeline([webhook(signal_sandbox, secret=SECRET)], clock=FakeClock()) as pipeline:
        pipeline.send(identify(message_id="msg-2", context=BARE))

    [request] = signal_sandbox.requests
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Signal-Signature"] == f"sha256={expected}"
    assert signal_webhook.verify(SECRET, request.body, request.headers["X-Signal-Signature"])
    assert not signal_webhook.verify(SECRET, request.body + b" ", f"sha256={expected}")
    assert not signal_webhook.verify("another-secret", request.body, f"sha256={expected}")
    body = json.loads(request.body)
    assert body["events"][0]["event"] == "identify"
    assert body["events"][0]["traits"] == {"email": "ada@example.com", "name": "Ada Lovelace"}
    assert SECRET.encode() not in request.body


def test_send_many_batches_up_to_100_events_per_signed_request(signal_sandbox: Sandbox):
    events = [track("Page Scrolled", {"n": i}, message_id=f"m{i}") for i in range(150)]
    with Pipeline([webhook(signal_sandbox, secret=SECRET)], clock=FakeClock()) as pipeline:
        summary = pipeline.send_many(events, workers=1)

    assert summary.total("delivered") == 150
    assert [len(json.loads(r.body)["events"]) for r in signal_sandbox.requests] == [100, 50]
    sent = [e["message_id"] for r in signal_sandbox.requests for e in json.loads(r.body)["events"]]
    assert sent == [f"m{i}" for i in range(150)]
    for request in signal_sandbox.requests:
        assert signal_webhook.verify(SECRET, request.body, request.headers["X-Signal-Signature"])


def test_a_batch_over_one_megabyte_is_split(signal_sandbox: Sandbox):
    blob = "x" * 300_000
    events = [track("Upload", {"blob": blob}, message_id=f"big{i}") for i in range(4)]
    with Pipeline([webhook(signal_sandbox)], clock=FakeClock()) as pipeline:
        summary = pipeline.send_many(events, workers=1)

    assert summary.total("delivered") == 4
    assert [len(json.loads(r.body)["events"]) for r in signal_sandbox.requests] == [2, 2]
    assert all(len(r.body) <= signal_webhook.MAX_BATCH_BYTES for r in signal_sandbox.requests)


def test_every_event_passes_through_under_its_name_unless_mapped(signal_sandbox: Sandbox):
    mappings = {
        "events": {
            "Order Completed": {"vendor_event": "purchase", "rename": {"revenue": "amount"}},
            "Debug Ping": {"enabled": False},
        }
    }
    with Pipeline([webhook(signal_sandbox, mappings=mappings)], clock=FakeClock()) as pipeline:
        results = [
            pipeline.send(track(name, context=BARE))[0]
            for name in ("Order Completed", "Debug Ping", "Newsletter Subscribed")
        ]

    assert [r.status for r in results] == ["delivered", "dropped", "delivered"]
    names = [json.loads(r.body)["events"][0]["event"] for r in signal_sandbox.requests]
    assert names == ["purchase", "Newsletter Subscribed"]
    first = json.loads(signal_sandbox.requests[0].body)["events"][0]
    assert first["properties"] == {"order_id": "ORD-1042", "amount": 89.99, "currency": "USD"}


@pytest.mark.parametrize(
    ("status", "secret", "reason"),
    [
        (
            401,
            SECRET,
            "401: the receiver refused the request; check that `secret` is the "
            "receiver's signing secret",
        ),
        (
            403,
            None,
            "403: the receiver refused the request; the receiver wants a signature: set `secret`",
        ),
        (410, None, "410 Gone: the webhook was removed; update or disable the url"),
    ],
)
def test_refusals_say_what_to_fix(
    signal_sandbox_factory: Callable[..., Sandbox], status: int, secret: Any, reason: str
):
    box = signal_sandbox_factory(Reply(status))
    config = {"secret": secret} if secret else {}
    with Pipeline([webhook(box, **config)], clock=FakeClock()) as pipeline:
        [result] = pipeline.send(track("Signed Up"))

    assert (result.status, result.attempts, result.reason) == ("failed", 1, reason)
    assert len(box.requests) == 1
