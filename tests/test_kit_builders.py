"""Event builders and fakes of signal_core.testing."""

from __future__ import annotations

import pytest
import requests
from signal_core import InvalidEventError, Pipeline, Request, Timeout
from signal_core.errors import ConnectError
from signal_core.events import normalize
from signal_core.testing import (
    FakeClock,
    NoNetworkTransport,
    Recorded,
    RecordingTransport,
    Reply,
    Sandbox,
    closed_port,
    identify,
    make_event,
    page,
    track,
)

TIMEOUT = Timeout(connect=1.0, read=1.0, total=2.0)


def test_the_old_imports_still_work() -> None:
    import signal_core.testing as kit

    assert {"FakeClock", "Sandbox", "Reply", "Recorded", "VendorConformance"} <= set(kit.__all__)
    assert kit.Recorded is Recorded
    assert kit.Reply is Reply
    assert kit.VendorConformance.__name__ == "VendorConformance"
    with pytest.raises(AttributeError):
        kit.NoSuchThing


def test_track_defaults_to_an_order_that_normalizes() -> None:
    event = track()
    assert event["type"] == "track"
    assert event["event"] == "Order Completed"
    assert event["properties"] == {"order_id": "ORD-1042", "revenue": 89.99, "currency": "USD"}
    assert event["anonymous_id"] == "anon_abc123"
    assert event["timestamp"] == "2025-06-06T09:00:00Z"
    assert event["context"]["ip"] == "203.0.113.50"
    normalized = normalize(event)
    assert normalized.message_id == event["message_id"]
    assert normalized.page_url == "https://shop.example/checkout"


def test_other_track_events_have_no_properties_unless_given() -> None:
    assert track("Signed Up")["properties"] == {}
    assert track("Signed Up", {"plan": "pro"})["properties"] == {"plan": "pro"}


def test_message_ids_are_stable_and_differ_between_events() -> None:
    assert track()["message_id"] == track()["message_id"]
    assert track()["message_id"] != track("Signed Up")["message_id"]
    assert track(message_id="m-1")["message_id"] == "m-1"
    assert track()["message_id"].startswith("msg-")


def test_none_removes_a_field_and_context_merges() -> None:
    event = track("X", anonymous_id=None, user_id="u1", context={"ip": None, "locale": "fr"})
    assert "anonymous_id" not in event
    assert event["user_id"] == "u1"
    assert "ip" not in event["context"]
    assert event["context"]["locale"] == "fr"
    assert event["context"]["user_agent"].startswith("Mozilla/5.0")
    with pytest.raises(InvalidEventError):  # the builders do not hide invalid events
        normalize(track("X", anonymous_id=None))


def test_builders_never_share_state() -> None:
    first = track()
    first["properties"]["revenue"] = 0
    first["context"]["page"]["url"] = "changed"
    again = track()
    assert again["properties"]["revenue"] == 89.99
    assert again["context"]["page"]["url"] == "https://shop.example/checkout"


def test_page_and_identify() -> None:
    view = page("https://shop.example/p/1?kgid=kg_1", title=None, context={"page": {"x": 1}})
    assert view["type"] == "page"
    assert "event" not in view
    assert view["context"]["page"] == {
        "url": "https://shop.example/p/1?kgid=kg_1",
        "referrer": "https://search.example/",
        "x": 1,
    }
    assert normalize(view).click_id("kgid") == "kg_1"
    who = identify()
    assert (who["type"], who["user_id"]) == ("identify", "user_8842")
    assert who["traits"] == {"email": "ada@example.com", "name": "Ada Lovelace"}
    assert normalize(who).name == "identify"
    assert make_event("page", "Home")["event"] == "Home"


def test_recording_transport_records_then_sends() -> None:
    with Sandbox(default=Reply(200, body=b"ok")) as box:
        transport = RecordingTransport()
        request = Request("POST", f"{box.url}/in", (("a", "b c"),), {"X-K": "v"}, b"{}")
        response = transport.send(request, TIMEOUT)
        transport.close()
    assert (response.status, response.body) == (200, b"ok")
    [sent] = transport.sent
    assert (sent.method, sent.url, sent.headers, sent.body) == (
        "POST",
        f"{box.url}/in?a=b%20c",
        {"X-K": "v"},
        b"{}",
    )
    assert sent.host == "127.0.0.1"
    assert "?" not in repr(sent)
    assert box.requests[0].target == "/in?a=b%20c"


def test_no_network_transport_refuses_and_records() -> None:
    transport = NoNetworkTransport()
    with pytest.raises(ConnectError):
        transport.send(Request("GET", "https://vendor.example/x?token=s3cret"), TIMEOUT)
    assert transport.calls == ["GET vendor.example"]
    integration = {"vendor": "echo", "config": {"api_key": "k-1234"}}
    with Pipeline([integration], transport=transport, clock=FakeClock()) as pipeline:
        [result] = pipeline.send(track())
    assert result.status == "failed"
    assert len(transport.calls) == 1 + 3  # every attempt was refused, and recorded


def test_closed_port_refuses_connections() -> None:
    port = closed_port()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/", timeout=2)


def test_fake_clock_is_exact() -> None:
    clock = FakeClock(start=100.0, draw=0.25)
    clock.sleep(1.5)
    clock.advance(2.0)
    clock.sleep(-1)
    assert clock.sleeps == [1.5, -1]
    assert clock.monotonic() == 3.5
    assert clock.time() == 103.5
    assert clock.random() == 0.25
