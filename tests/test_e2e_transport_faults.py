"""Refused connections, header injection and hostile query values, on loopback."""

from __future__ import annotations

import pytest
from signal_core import ConfigError, Status
from signal_core.errors import ConnectError, InvalidRequestError
from signal_core.transport import RequestsTransport
from signal_core.wire import Request, Timeout, encode_query
from signal_e2e_kit import QueryAndHeaderPlugin, closed_port, decode_query, echo, track

SECRET = "CANARY_refused_9/+x"


class Nowhere:
    """Stands in for a Sandbox whose URL nobody listens on."""

    def __init__(self) -> None:
        self.url = f"http://127.0.0.1:{closed_port()}"


def test_connection_refused_is_retried_then_failed_without_url_or_secret(make_pipeline, clock):
    nowhere = Nowhere()
    [result] = make_pipeline([echo(nowhere, api_key=SECRET)]).send(track())
    assert result.status is Status.FAILED
    assert (result.attempts, result.http_status) == (3, None)
    assert clock.sleeps == [0.5, 1.0]
    assert result.reason == "gave up after 3 attempts: connection failed: refused or unreachable"
    for forbidden in (
        SECRET,
        "CANARY",
        "127.0.0.1",
        nowhere.url.rsplit(":", 1)[1],
        "key=",
        "/collect",
    ):
        assert forbidden not in result.reason


def test_transport_raises_connect_error_for_a_refused_port():
    transport = RequestsTransport()
    url = f"http://127.0.0.1:{closed_port()}/collect"
    with pytest.raises(ConnectError) as info:
        transport.send(Request("POST", url, (("key", SECRET),), {}, b"{}"), Timeout(1, 1, 1))
    transport.close()
    exc = info.value
    assert exc.sent is False
    assert exc.__context__ is None
    assert exc.__cause__ is None
    for text in (str(exc), repr(exc)):
        assert SECRET not in text
        assert "127.0.0.1" not in text


@pytest.mark.parametrize("bad", ["tok\nX-Evil: 1", "tok\r\n", "tok\rx", " tok"])
def test_a_header_secret_with_cr_lf_is_rejected_at_load(box, make_pipeline, bad):
    with pytest.raises(ConfigError) as info:
        make_pipeline([echo(box, api_key=bad, config={"mode": "header"})])
    assert (info.value.integration, info.value.field) == ("echo", "config.api_key")
    assert "tok" not in str(info.value)
    assert box.requests == []


@pytest.mark.parametrize("note", ["a\r\nX-Injected: 1", "line\nbreak", "cr\ronly", "nul\x00"])
def test_a_header_value_with_cr_lf_from_event_data_sends_nothing(
    box, make_pipeline, register_plugin, clock, note
):
    pm = register_plugin(QueryAndHeaderPlugin(), "query-header-test")
    pipeline = make_pipeline([{"vendor": "header_echo", "base_url": box.url}], plugin_manager=pm)
    [result] = pipeline.send(track(properties={"note": note}))
    assert result.status is Status.FAILED
    assert result.attempts == 1
    assert result.reason == "invalid request: header 'X-Note' has a line break or is not text"
    assert box.requests == []
    assert clock.sleeps == []
    # a clean value goes through, proving the setup sends when it may
    [ok] = pipeline.send(track(properties={"note": "fine"}))
    assert ok.status is Status.DELIVERED
    assert box.requests[0].headers["X-Note"] == "fine"


def test_transport_check_request_sends_nothing(box):
    transport = RequestsTransport()
    request = Request("POST", f"{box.url}/collect", (), {"X-Note": "a\r\nX-Evil: 1"}, b"{}")
    with pytest.raises(InvalidRequestError):
        transport.send(request, Timeout(1, 1, 1))
    transport.close()
    assert box.requests == []


HOSTILE = [
    ("amp", "a&b"),
    ("eq", "k=v"),
    ("hash", "#frag"),
    ("question", "?x=1"),
    ("percent", "100%"),
    ("encoded", "%41%2F"),
    ("plus", "a+b"),
    ("space", "a b"),
    ("slash", "/x/../y"),
    ("backslash", "a\\b"),
    ("cr", "a\rb"),
    ("lf", "a\nb"),
    ("crlf", "\r\nHost: evil.example"),
    ("unicode", "café ☕ 𝄞 日本"),
    ("empty", ""),
    ("k&e=y#?", "v"),
]


def test_hostile_query_values_arrive_byte_exact(box, make_pipeline, register_plugin):
    pm = register_plugin(QueryAndHeaderPlugin(), "query-header-test")
    pipeline = make_pipeline([{"vendor": "query_echo", "base_url": box.url}], plugin_manager=pm)
    [result] = pipeline.send(track(properties={"pairs": HOSTILE}))
    assert result.status is Status.DELIVERED, result.reason
    [got] = box.requests
    assert got.method == "GET"
    assert got.path == "/q"
    assert got.raw_query == encode_query(HOSTILE)
    assert decode_query(got.raw_query) == HOSTILE
    assert got.query == HOSTILE
    assert got.body == b""
