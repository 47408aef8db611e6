"""Bad input: host tricks rejected at load, hostile values byte-exact on the wire,
header injection stopped before a byte is sent, no forged log or CLI lines."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import pytest
from faultserver import reply
from reliability_kit import TOKEN_PATH, integration, order
from signal_core import ConfigError, Pipeline, Status, hookimpl
from signal_core.cli.main import main
from signal_core.errors import InvalidRequestError
from signal_core.plugins import get_plugin_manager
from signal_core.transport import RequestsTransport
from signal_core.wire import Request, Timeout

# RELIABILITY.md's region / site-code corpus, plus a few more of the same kind.
HOST_CORPUS = [
    "evil.com/",
    "x@attacker.com:443/#",
    "169.254.169.254#",
    "us\n",
    "eu.evil.com",
    "eu%2Eevil.com",
    "",
    "eu\r\nHost: evil.com",
    "\r\n",
    "eu\n",
    " eu",
    "eu/",
    "eu#",
    "eu?x=",
    "eu@evil.com",
    "eu:443",
    "f17c21u1ag.evil.com",
    "f17c21u1ag/",
    "f17c21u1ag\n",
    "f17c21u1ag#",
    "\uff45\uff55",  # fullwidth "eu"
    "eu\x00",
    "eu\\evil.com",
]


def _loads(data: dict) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        Pipeline([data]).close()
    return info.value


@pytest.mark.parametrize("field", ["region", "site_code"])
@pytest.mark.parametrize("value", HOST_CORPUS, ids=repr)
def test_kameleoon_region_and_site_code_corpus_is_rejected_at_load(field, value, fault_server):
    server = fault_server()
    data = integration("kameleoon", server.url)
    data["config"][field] = value
    error = _loads(data)
    assert (error.integration, error.field) == ("kameleoon", f"config.{field}")
    assert server.connections == 0


def test_the_host_a_kameleoon_request_goes_to_is_looked_up_not_built(pipelines, fault_server):
    server = fault_server()
    pipeline = pipelines([integration("kameleoon", server.url)])
    [preview] = pipeline.preview(order())
    assert preview.url.startswith(f"{server.url}/visit/events?siteCode=f17c21u1ag&json=true")
    plain = Pipeline([{**integration("kameleoon", server.url), "base_url": None}])
    [real] = plain.preview(order())
    plain.close()
    assert real.url.startswith("https://eu-data.kameleoon.io/visit/events?")


KNOREX_TRICKS = [
    "https://x@attacker.com:443/#?kcid={kcid}",
    "https://postback.knorex.example@attacker.com/conv?kcid={kcid}",
    "https://169.254.169.254#@postback.knorex.example/conv?kcid={kcid}",
    "https://postback.knorex.example#.evil.com/conv?kcid={kcid}",
    "https://eu%2Eevil.com/conv?kcid={kcid}",
    "https://postback.knorex.example\\@evil.com/conv?kcid={kcid}",
    "https://postback.knorex.example\n.evil.com/conv?kcid={kcid}",
    "https://postback.knorex.example\r\nHost: evil.com/conv?kcid={kcid}",
    "https://{kcid}.evil.com/conv?kcid={kcid}",
    "https://{token}/conv?kcid={kcid}",
    "https://evil.com/{kcid}?kcid={kcid}",
    "https:///conv?kcid={kcid}",
    "https://:443/conv?kcid={kcid}",
    "http://postback.knorex.example/conv?kcid={kcid}",
    "//evil.com/conv?kcid={kcid}",
    "https://evil.com:99999/conv?kcid={kcid}",
    "https://evil.com:0/conv?kcid={kcid}",
    "https://[::1/conv?kcid={kcid}",
    "https://exa mple.com/conv?kcid={kcid}",
    "https://evil.com%00.good.example/c?kcid={kcid}",
    "https://good.example%2F@evil.com/c?kcid={kcid}",
    "https://good.example:443@evil.com/c?kcid={kcid}",
    "https://0x7f.1/c?kcid={kcid}",  # getaddrinfo: 127.0.0.1
    "https://2130706433/c?kcid={kcid}",  # 127.0.0.1 as one number
    "https://good.example.0x7f/c?kcid={kcid}",
    "https://good..example/c?kcid={kcid}",
    "https://good.example/c?kcid={kcid}#",
    "javascript:alert(1)//?kcid={kcid}",
    "",
]


@pytest.mark.parametrize("url", KNOREX_TRICKS, ids=repr)
def test_knorex_postback_url_host_tricks_are_rejected_at_load(url, fault_server):
    server = fault_server()
    data = integration("knorex", server.url)
    data["config"]["postback_url"] = url
    error = _loads(data)
    assert error.integration == "knorex"
    assert error.field in ("config.postback_url", "config")
    assert server.connections == 0


KARGO_TRICKS = [
    "https://krxd.net@evil.com/data/c",
    "https://krxd.net#@evil.com/data/c",
    "https://krxd.net\\@evil.com/data/c",
    "https://krxd.net%2Eevil.com/data/c",
    "https://krxd.net\r\nHost: evil.com/data/c",
    "https://krxd.net /data/c",
    "https://krxd.net/data/c?x=1",
    "http://evil.com/data/c",
    "https://169.254.169.254#/data/c",
    "//evil.com/data/c",
    "https://evil.com:0/",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "https://krxd.net/data/c?auth_token=x",
    "https://[::1]:99999/",
    "https://krxd.net:443:80/data/c",
    "https://x@attacker.com:443/#",
    "https://169.254.169.254#",
    "https://krxd.net/data/c#",
    "https://krxd.net/data/c\n",
    "https://evil.com./data/c\n",
    "https://\u00e9vil.com/data/c",
    "https:///data/c",
    "https://:443/data/c",
]


@pytest.mark.parametrize("url", KARGO_TRICKS, ids=repr)
def test_kargo_endpoint_host_tricks_are_rejected_at_load(url, fault_server):
    server = fault_server()
    data = integration("kargo", server.url)
    data["config"]["endpoint"] = url
    error = _loads(data)
    assert (error.integration, error.field) == ("kargo", "config.endpoint")
    assert server.connections == 0


# -- hostile values arrive byte-exact ---------------------------------------------------
HOSTILE = [
    "a&b=c",
    "k=v",
    "#frag",
    "?x=1&y=2",
    "100%",
    "%41%2F%zz",
    "a+b",
    "a b",
    "/x/../y",
    "a\\b",
    "a\rb",
    "a\nb",
    "\r\nHost: evil.example",
    "caf\u00e9 \u2615 \U0001d11e \u65e5\u672c",
    "&=#?%+/\r\n",
]


def split_query(raw: str) -> list[tuple[str, str]]:
    """Split on & and = only, then percent-decode (a ``+`` stays a ``+``)."""
    return [tuple(unquote(p) for p in pair.split("=", 1)) for pair in raw.split("&")]  # type: ignore[misc]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_hostile_query_values_arrive_byte_exact(value, fault_server, pipelines):
    server = fault_server()
    pipeline = pipelines(
        [
            integration("kissmetrics", server.url),
            integration("knorex", server.url),
            integration("kargo", server.url),
        ]
    )
    event = order(0)
    event["properties"].update(note=value, kcid=f"k{value}k", kargo_campaign_id=f"c{value}c")
    results = pipeline.send(event)
    assert [r.status for r in results] == [Status.DELIVERED] * 3, [r.reason for r in results]
    by_path = {h.path: h for h in server.requests}
    kiss = split_query(by_path["/e"].raw_query)
    assert ("Note", value) in kiss
    knorex = split_query(by_path["/conv"].raw_query)
    assert ("kcid", f"k{value}k") in knorex
    kargo = split_query(by_path["/data/c"].raw_query)
    assert ("campaign_id", f"c{value}c") in kargo
    # nothing outside its own parameter: no extra pairs, no fragment, no header
    for hit in server.requests:
        assert "#" not in hit.target
        assert "\r" not in hit.target
        assert "\n" not in hit.target
        assert "host" in hit.headers
        assert "evil" not in hit.headers["host"]
    assert len(kargo) == 3
    assert [k for k, _ in kargo] == [
        "advertiser_id",
        "campaign_id",
        "auth_token",
    ]


# -- CR/LF in header values: nothing reaches the server -----------------------------------
class HeaderFromEvent:
    """A test vendor that puts the event's ``note`` property in a header."""

    @hookimpl
    def declare_vendors(self):  # type: ignore[no-untyped-def]
        from signal_core import Vendor

        return [Vendor(name="header_note", unmapped="passthrough")]

    @hookimpl
    def map_event(self, event, rule, integration):  # type: ignore[no-untyped-def]
        from signal_core import Payload

        if integration.vendor != "header_note":
            return None
        return [Payload({"note": event.properties.get("note")})]

    @hookimpl
    def build_request(self, payloads, integration):  # type: ignore[no-untyped-def]
        if integration.vendor != "header_note":
            return None
        return Request(
            "POST", "https://h.example/h", (), {"X-Note": payloads[0].data["note"]}, b"{}"
        )


@pytest.mark.parametrize(
    "note", ["a\r\nX-Injected: 1", "line\nbreak", "cr\ronly", "nul\x00", "\r\n\r\nGET / HTTP/1.1"]
)
def test_cr_lf_in_a_header_value_sends_not_a_byte(note, fault_server, pipelines, clock):
    pm = get_plugin_manager()
    pm.register(HeaderFromEvent(), name="header-note-test")
    server = fault_server()
    pipeline = pipelines(
        [{"vendor": "header_note", "name": "h", "base_url": server.url}], plugin_manager=pm
    )
    event = order(0)
    event["properties"]["note"] = note
    [result] = pipeline.send(event)
    assert result.status is Status.FAILED
    assert result.attempts == 1
    assert result.reason.startswith("invalid request: header 'X-Note'")
    assert clock.sleeps == []
    assert server.connections == 0
    event["properties"]["note"] = "clean"
    assert pipeline.send(event)[0].status is Status.DELIVERED  # the setup can send
    assert server.requests[0].headers["x-note"] == "clean"


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": "Bearer a\r\nX-Evil: 1"}, {"X-A": "b\n"}, {"X-\nB": "v"}, {"X B": "v"}],
)
def test_the_transport_refuses_cr_lf_before_connecting(headers, fault_server):
    server = fault_server()
    transport = RequestsTransport()
    with pytest.raises(InvalidRequestError):
        transport.send(Request("POST", f"{server.url}/x", (), headers, b"{}"), Timeout(1, 1, 1))
    transport.close()
    assert server.connections == 0


@pytest.mark.parametrize("token", ["tok\r\nX-Evil: 1", "tok en", "tok\n", ""])
def test_a_kameleoon_access_token_with_a_line_break_is_never_sent(token, fault_server, pipelines):
    body = json.dumps({"access_token": token, "expires_in": 60}).encode()
    server = fault_server(routes={TOKEN_PATH: reply(200, body)})
    pipeline = pipelines([integration("kameleoon", server.url, oauth=True)])
    [result] = pipeline.send(order(0))
    assert result.status is Status.FAILED
    assert "without a usable access_token" in result.reason
    assert [h.path for h in server.requests] == [TOKEN_PATH]


# -- log lines and CLI lines cannot be forged ---------------------------------------------
FORGERS = [
    "Order\nCompleted",
    "x\r\nINFO signal_core.pipeline forged line",
    "\x1b[31mFORGED\x1b[0m",
    "x\nfailed: echo event FORGED: fake (attempts 1)",
    "\x1b]0;title\x07",
    "tab\there\u2028sep\u0085nel",
]
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


def forging_events() -> list[dict]:
    events = []
    for i, name in enumerate(FORGERS):
        events.append(order(i, event=name))
        events.append(order(100 + i, event="Order Completed", anonymous_id=name, user_id=name))
        events.append(order(200 + i, message_id=f"id-{i}-{name}"))
    return events


def mapped(data: dict) -> dict:
    # map the hostile names too, so they travel the whole way (and fail at the server)
    data["mappings"] = {"events": {n: {"vendor_event": "conversion"} for n in FORGERS}}
    return data


def test_event_names_cannot_forge_log_lines(fault_server, pipelines, debug_logs):
    server = fault_server(default=reply(500))
    vendors = ["echo", "kargo", "kissmetrics", "knorex"]
    pipeline = pipelines([mapped(integration(v, server.url)) for v in vendors])
    for event in forging_events():
        pipeline.send(event)
    assert server.requests  # they were delivered as far as the server
    ours = [r for r in debug_logs.records if r.name.startswith("signal")]
    assert ours  # the core did log (DEBUG)
    for record in debug_logs.records:
        message = record.getMessage()
        assert not CONTROL.search(message), (record.name, message)
        assert "\x1b" not in message


def test_event_names_cannot_forge_cli_lines(tmp_path, capsys, fault_server, monkeypatch):
    monkeypatch.setenv("SIGNAL_STATE", f"sqlite:///{tmp_path / 'state.db'}")
    server = fault_server(default=reply(500))
    config = {
        "integrations": [mapped(integration(v, server.url)) for v in ("echo", "kargo", "knorex")],
        "retry": {"attempts": 1},
    }
    cfg = tmp_path / "pipeline.json"
    cfg.write_text(json.dumps(config))
    lines = tmp_path / "events.jsonl"
    bad_lines = ['{"type": "track", "event": "\\u001b[31mX", "anonymous_id": 5.5}']
    lines.write_text("\n".join([*(json.dumps(e) for e in forging_events()), *bad_lines]) + "\n")
    outputs = []
    for argv in (
        ["send", "-c", str(cfg), str(lines)],
        ["send", "-c", str(cfg), "--dry-run", str(lines)],
        ["dead-letter", "list", "-c", str(cfg)],
    ):
        main(argv)
        out, err = capsys.readouterr()
        outputs.append((argv[:2], out + err))
    assert "failed:" in outputs[0][1]  # the failures were printed
    for argv, text in outputs:
        assert "\x1b" not in text, argv
        for line in text.splitlines():
            assert not CONTROL.search(line), (argv, line)
            assert not line.startswith(("INFO", "failed: echo event FORGED", "Completed")), (
                argv,
                line,
            )
