"""The Kargo ID sync (puid), checked on the wire against loopback servers."""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import signal_kargo
from kargo_testkit import SEED_BODY, TOKEN, integration, purchase
from signal_core import ConfigError, Pipeline, Status
from signal_core.testing import FakeClock, Reply, Sandbox

SYNC_URL = "https://crb.kargo.com/api/v1/id?site=s1"
PUID = "efaa6e95-8f9e-25bf-d0ec-6bbbcf92ce59"
OTHER_PUID = "0b6f1c2e-1111-4a4a-9c9c-2d2d2d2d2d2d"
DAY = 86400.0
HOUR = 3600.0
TCF = "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA"
GPP = "DBABMA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA"

LANDING: dict[str, Any] = {
    "type": "page",
    "message_id": "msg-landing",
    "anonymous_id": "anon_abc123def456",
    "context": {
        "ip": "203.0.113.50",
        "user_agent": "Mozilla/5.0 ...",
        "page": {"url": "https://shop.example/landing?utm_source=kargo&kgid=kg_click_xyz789"},
    },
}


def puid_reply(puid: str = PUID) -> Reply:
    body = json.dumps({"puid": puid}).encode()
    return Reply(200, {"Content-Type": "application/json"}, body)


def with_puid(body: bytes, puid: str = PUID) -> bytes:
    """The seed body with ``puid`` as its last key (the plugin's documented key order)."""
    assert body.endswith(b"}")
    return body[:-1] + b',"puid":' + json.dumps(puid).encode() + b"}"


def landing(**context: Any) -> dict[str, Any]:
    event = copy.deepcopy(LANDING)
    event["context"].update(context)
    return event


def syncs(box: Sandbox) -> list[Any]:
    return [r for r in box.requests if r.method == "GET"]


def conversions(box: Sandbox) -> list[Any]:
    return [r for r in box.requests if r.method == "POST"]


# -- the happy path and the cache -------------------------------------------------


def test_landing_event_syncs_once_and_later_events_carry_the_puid(
    box: Sandbox, make_pipeline: Any, clock: FakeClock
) -> None:
    pipeline = make_pipeline(sync_url=SYNC_URL)
    box.script(puid_reply())

    [landed] = pipeline.send(LANDING)
    assert landed.status is Status.DROPPED  # page views are not sent to Kargo...
    [sync] = box.requests  # ...but they do resolve the puid
    assert sync.method == "GET"
    assert sync.path == "/api/v1/id"
    assert sync.raw_query == "site=s1"  # the event carries no privacy parameters
    assert sync.body == b""
    assert sync.headers["Accept"] == "application/json"
    assert sync.headers["X-Forwarded-For"] == "203.0.113.50"
    assert sync.headers["User-Agent"] == "Mozilla/5.0 ..."
    assert "Authorization" not in sync.headers
    assert "Cookie" not in sync.headers
    assert TOKEN not in sync.target
    assert TOKEN not in str(sync.headers)

    [bought] = pipeline.send(purchase())
    assert bought.status is Status.DELIVERED
    assert len(syncs(box)) == 1  # cached: no second sync for the same visitor
    [sent] = conversions(box)
    assert sent.path == "/data/c"
    assert sent.body == with_puid(SEED_BODY)

    viewed = purchase(event="Product Viewed", message_id="msg-0002")
    [again] = pipeline.send(viewed)
    assert again.status is Status.DELIVERED
    assert len(syncs(box)) == 1
    assert json.loads(conversions(box)[-1].body)["puid"] == PUID
    assert clock.sleeps == []


def test_each_visitor_gets_its_own_sync(box: Sandbox, make_pipeline: Any) -> None:
    pipeline = make_pipeline(sync_url=SYNC_URL)
    box.script(puid_reply(PUID), 204, puid_reply(OTHER_PUID), 204)
    pipeline.send(purchase())
    pipeline.send(purchase(anonymous_id="anon_second", message_id="msg-0002"))
    assert [r.method for r in box.requests] == ["GET", "POST", "GET", "POST"]
    first, second = conversions(box)
    assert json.loads(first.body)["puid"] == PUID
    assert json.loads(second.body)["puid"] == OTHER_PUID
    assert json.loads(second.body)["external_id"] == "anon_second"


def test_no_sync_url_means_no_sync(box: Sandbox, make_pipeline: Any) -> None:
    pipeline = make_pipeline()
    pipeline.send(LANDING)
    [result] = pipeline.send(purchase())
    assert result.status is Status.DELIVERED
    assert syncs(box) == []
    assert conversions(box)[0].body == SEED_BODY


@pytest.mark.parametrize(
    ("config", "lifetime"),
    [
        ({}, 365 * DAY),
        ({"sync_lifetime_days": 2}, 2 * DAY),
        ({"sync_lifetime_days": 0.5}, 0.5 * DAY),
    ],
)
def test_puid_expires_after_its_lifetime(
    box: Sandbox, make_pipeline: Any, clock: FakeClock, config: dict[str, Any], lifetime: float
) -> None:
    pipeline = make_pipeline(sync_url=SYNC_URL, **config)
    box.script(puid_reply(PUID))
    pipeline.send(LANDING)
    assert len(syncs(box)) == 1

    clock.advance(lifetime - 60)
    pipeline.send(purchase())
    assert len(syncs(box)) == 1
    assert conversions(box)[-1].body == with_puid(SEED_BODY, PUID)

    clock.advance(120)  # now past the lifetime: sync again, keep the new puid
    box.script(puid_reply(OTHER_PUID))
    pipeline.send(purchase(message_id="msg-0002"))
    assert len(syncs(box)) == 2
    assert json.loads(conversions(box)[-1].body)["puid"] == OTHER_PUID


# -- failures and the failure marker ------------------------------------------------

FAILURES = {
    "500": Reply(500, {"Content-Type": "application/json"}, b'{"puid":"' + PUID.encode() + b'"}'),
    "404": Reply(404),
    "204 no body": Reply(204),
    "not json": Reply(200, {"Content-Type": "text/html"}, b"<html>ok</html>"),
    "truncated json": Reply(200, {}, b'{"puid":"efaa6e95'),
    "json array": Reply(200, {}, b'["' + PUID.encode() + b'"]'),
    "no puid": Reply(200, {}, b'{"id":"' + PUID.encode() + b'"}'),
    "empty puid": Reply(200, {}, b'{"puid":""}'),
    "blank puid": Reply(200, {}, b'{"puid":"   "}'),
    "null puid": Reply(200, {}, b'{"puid":null}'),
    "number puid": Reply(200, {}, b'{"puid":12345}'),
    "object puid": Reply(200, {}, b'{"puid":{"v":"x"}}'),
    "control char puid": Reply(200, {}, b'{"puid":"ab\\u0000cd"}'),
    "over-long puid": Reply(200, {}, json.dumps({"puid": "x" * 257}).encode()),
    "not utf-8": Reply(200, {}, b'{"puid":"\xff\xfe"}'),
}


@pytest.mark.parametrize("reply", list(FAILURES.values()), ids=list(FAILURES))
def test_failed_sync_sets_a_marker_for_a_day(
    box: Sandbox, make_pipeline: Any, clock: FakeClock, reply: Reply
) -> None:
    pipeline = make_pipeline(sync_url=SYNC_URL)
    box.script(reply)
    [first] = pipeline.send(purchase())
    assert first.status is Status.DELIVERED  # the event still goes out, without puid
    assert [r.method for r in box.requests] == ["GET", "POST"]
    assert conversions(box)[0].body == SEED_BODY
    assert first.attempts == 1
    assert clock.sleeps == []  # the sync is one attempt, never retried

    clock.advance(DAY - 60)  # the marker holds: no sync on the following events
    [second] = pipeline.send(purchase(message_id="msg-0002"))
    [third] = pipeline.send(LANDING)
    assert second.status is Status.DELIVERED
    assert third.status is Status.DROPPED
    assert len(syncs(box)) == 1
    assert conversions(box)[-1].body == SEED_BODY

    clock.advance(120)  # the marker expired: one new attempt, which now succeeds
    box.script(puid_reply())
    [fourth] = pipeline.send(purchase(message_id="msg-0003"))
    assert fourth.status is Status.DELIVERED
    assert len(syncs(box)) == 2
    assert conversions(box)[-1].body == with_puid(SEED_BODY)


def test_failure_marker_ttl_is_configurable(
    box: Sandbox, make_pipeline: Any, clock: FakeClock
) -> None:
    pipeline = make_pipeline(sync_url=SYNC_URL, sync_failure_ttl_hours=2)
    box.script(Reply(503))
    pipeline.send(LANDING)
    clock.advance(2 * HOUR - 30)
    pipeline.send(LANDING)
    assert len(syncs(box)) == 1
    clock.advance(60)
    box.script(puid_reply())
    pipeline.send(purchase())
    assert len(syncs(box)) == 2
    assert conversions(box)[-1].body == with_puid(SEED_BODY)


def test_unreachable_sync_endpoint_is_a_failure(box: Sandbox, clock: FakeClock) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there: connection refused
    cfg = integration(
        None,
        endpoint=f"{box.url}/data/c",
        sync_url=f"http://127.0.0.1:{port}/id",
        sync_timeout_ms=500,
    )
    with Pipeline([cfg], clock=clock) as pipeline:
        [result] = pipeline.send(purchase())
        assert result.status is Status.DELIVERED
        assert box.requests[0].body == SEED_BODY
        assert pipeline.store.get("idsync:Kargo Production:anon_abc123def456:failed") is not None


class SlowServer:
    """A loopback server that accepts, reads the request, and then stalls.

    ``mode="hang"`` never answers; ``mode="drip"`` sends a valid status line and
    headers, then one body byte every 50 ms, so no single read ever times out;
    ``mode="drip-headers"`` sends the status line, then one header byte every 50 ms.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._stall, args=(conn,), daemon=True).start()

    def _stall(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2.0)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.requests.append(data)
            if self.mode == "drip":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n{")
            elif self.mode == "drip-headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not self._stop.wait(0.05):
                if self.mode != "hang":
                    try:
                        conn.sendall(b"a" if self.mode == "drip-headers" else b" ")
                    except OSError:
                        return

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()


@pytest.fixture(params=["hang", "drip", "drip-headers"])
def slow(request: pytest.FixtureRequest) -> Iterator[SlowServer]:
    server = SlowServer(request.param)
    yield server
    server.stop()


def test_slow_sync_gives_up_at_the_configured_timeout(
    box: Sandbox, clock: FakeClock, slow: SlowServer
) -> None:
    cfg = integration(
        None, endpoint=f"{box.url}/data/c", sync_url=f"{slow.url}/id", sync_timeout_ms=300
    )
    with Pipeline([cfg], clock=clock) as pipeline:
        started = time.monotonic()
        [result] = pipeline.send(purchase())
        elapsed = time.monotonic() - started
        assert elapsed <= 0.3 + 0.5, f"sync took {elapsed:.2f}s with a 300 ms limit"
        assert result.status is Status.DELIVERED
        assert [r.body for r in box.requests] == [SEED_BODY]
        assert len(slow.requests) == 1
        assert slow.requests[0].startswith(b"GET /id HTTP/1.1\r\n")

        started = time.monotonic()
        [again] = pipeline.send(purchase(message_id="msg-0002"))
        assert time.monotonic() - started < 0.3  # the failure marker: no second wait
        assert again.status is Status.DELIVERED
        assert len(slow.requests) == 1
        assert len(box.requests) == 2


# -- privacy: GDPR parameters and consent -----------------------------------------------


@pytest.mark.parametrize(
    ("context", "query"),
    [
        ({"gdpr": 1, "gdpr_consent": TCF}, f"site=s1&gdpr=1&gdpr_consent={TCF}"),
        ({"gdpr": True, "gdpr_consent": TCF}, f"site=s1&gdpr=1&gdpr_consent={TCF}"),
        ({"gdpr": "0"}, "site=s1&gdpr=0"),
        (
            {
                "privacy": {
                    "gpp_sid": "2,6",
                    "gpp": GPP,
                    "us_privacy": "1YNN",
                    "gdpr_consent": TCF,
                    "gdpr": 1,
                }
            },
            f"site=s1&gdpr=1&gdpr_consent={TCF}&us_privacy=1YNN&gpp={GPP}&gpp_sid=2%2C6",
        ),
        ({"privacy": {"us_privacy": "1YNN"}}, "site=s1&us_privacy=1YNN"),
        (
            {"gpp": GPP, "gpp_sid": "7", "privacy": {"gdpr": 1, "gdpr_consent": TCF}},
            f"site=s1&gdpr=1&gdpr_consent={TCF}&gpp={GPP}&gpp_sid=7",
        ),
        ({"gdpr": "", "gdpr_consent": ""}, "site=s1"),
    ],
)
def test_privacy_parameters_passed_exactly(
    box: Sandbox, make_pipeline: Any, context: dict[str, Any], query: str
) -> None:
    box.script(puid_reply())
    make_pipeline(sync_url=SYNC_URL).send(landing(**context))
    [sync] = syncs(box)
    assert sync.raw_query == query
    names = [k for k, _ in sync.query]
    for name in ("gdpr", "gdpr_consent", "us_privacy", "gpp", "gpp_sid"):
        assert names.count(name) == (1 if f"{name}=" in query else 0)


def test_privacy_parameters_without_a_fixed_query(box: Sandbox, make_pipeline: Any) -> None:
    box.script(puid_reply())
    pipeline = make_pipeline(sync_url="https://crb.kargo.com/id")
    pipeline.send(landing(gdpr=1, gdpr_consent=TCF, consent={"categories": {"marketing": True}}))
    [sync] = syncs(box)
    assert sync.target == f"/id?gdpr=1&gdpr_consent={TCF}"


def test_no_sync_when_consent_denies_marketing(box: Sandbox, make_pipeline: Any) -> None:
    pipeline = make_pipeline(sync_url=SYNC_URL)
    denied = {"categories": {"marketing": False, "analytics": True}}
    [landed] = pipeline.send(landing(consent=denied, gdpr=1, gdpr_consent=TCF))
    event = purchase()
    event["context"]["consent"] = denied
    [bought] = pipeline.send(event)
    assert landed.status is Status.SKIPPED
    assert bought.status is Status.SKIPPED
    assert box.requests == []  # no sync, no conversion

    # The denial left no failure marker: once marketing is granted, the sync runs.
    box.script(puid_reply())
    event["context"]["consent"] = {"categories": {"marketing": True}}
    event["message_id"] = "msg-0002"
    [granted] = pipeline.send(event)
    assert granted.status is Status.DELIVERED
    assert [r.method for r in box.requests] == ["GET", "POST"]
    assert json.loads(box.requests[1].body)["puid"] == PUID


def test_no_sync_when_consent_is_required_and_missing(box: Sandbox, clock: FakeClock) -> None:
    cfg = integration(box, sync_url=SYNC_URL)
    with Pipeline([cfg], clock=clock, consent={"required": True}) as pipeline:
        [result] = pipeline.send(purchase())
    assert result.status is Status.SKIPPED
    assert box.requests == []


def test_puid_already_on_the_event_is_used_without_a_sync(box: Sandbox, make_pipeline: Any) -> None:
    pipeline = make_pipeline(sync_url=SYNC_URL)
    event = purchase()
    event["context"]["providers"] = {"kargo": {"puid": "browser-puid-1"}}
    [result] = pipeline.send(event)
    assert result.status is Status.DELIVERED
    [sent] = box.requests
    assert sent.method == "POST"
    assert sent.body == with_puid(SEED_BODY, "browser-puid-1")


def test_unusable_ip_and_user_agent_are_left_out(box: Sandbox, make_pipeline: Any) -> None:
    box.script(puid_reply())
    event = landing(ip="not-an-ip", user_agent="Mozilla/5.0 (caf\u00e9)")
    make_pipeline(sync_url=SYNC_URL).send(event)
    [sync] = syncs(box)
    assert "X-Forwarded-For" not in sync.headers
    assert sync.headers["User-Agent"].startswith("signal-core/")  # the SDK's own


def test_ipv6_visitor_is_forwarded_normalised(box: Sandbox, make_pipeline: Any) -> None:
    box.script(puid_reply())
    make_pipeline(sync_url=SYNC_URL).send(landing(ip="2001:DB8::0:1"))
    assert syncs(box)[0].headers["X-Forwarded-For"] == "2001:db8::1"


# -- state backends -------------------------------------------------------------------


def test_sqlite_state_keeps_puid_and_marker_across_pipelines(
    box: Sandbox, clock: FakeClock, tmp_path: Path
) -> None:
    state = f"sqlite:///{tmp_path / 'state.db'}"
    cfg = integration(box, sync_url=SYNC_URL)
    box.script(puid_reply())
    with Pipeline([cfg], clock=clock, state=state) as first:
        first.send(LANDING)
    with Pipeline([cfg], clock=clock, state=state) as second:
        second.send(purchase())
    assert len(syncs(box)) == 1
    assert conversions(box)[-1].body == with_puid(SEED_BODY)

    box.script(Reply(500))
    other = purchase(anonymous_id="anon_failing", message_id="msg-0002")
    with Pipeline([cfg], clock=clock, state=state) as third:
        third.send(other)
    with Pipeline([cfg], clock=clock, state=state) as fourth:
        other["message_id"] = "msg-0003"
        fourth.send(other)
    assert len(syncs(box)) == 2  # the marker written by one process holds in the next


# -- the hook and the config -------------------------------------------------------------


def test_hook_answers_only_for_kargo_with_sync_url() -> None:
    from signal_core.events import normalize

    event = normalize(purchase())
    [kargo] = Pipeline([integration(sync_url=SYNC_URL)]).integrations
    spec = signal_kargo.id_sync(event, kargo, {"gdpr": "1"})
    assert spec is not None
    assert spec.request.method == "GET"
    assert spec.request.url == SYNC_URL
    assert spec.request.query == (("gdpr", "1"),)
    assert (spec.lifetime, spec.failure_ttl, spec.timeout) == (365 * DAY, DAY, 5.0)
    [bare] = Pipeline([integration()]).integrations
    assert signal_kargo.id_sync(event, bare, {}) is None
    [echo] = Pipeline(
        [{"vendor": "echo", "name": "e", "config": {"api_key": "echo-key-123"}}]
    ).integrations
    assert signal_kargo.id_sync(event, echo, {}) is None


def test_sync_config_defaults_and_overrides() -> None:
    [item] = Pipeline([integration()]).integrations
    assert item.config.get("sync_url") is None
    assert item.config["sync_lifetime_days"] == 365
    assert item.config["sync_timeout_ms"] == 5000
    assert item.config["sync_failure_ttl_hours"] == 24
    [custom] = Pipeline(
        [integration(sync_url=SYNC_URL, sync_lifetime_days=30, sync_timeout_ms=800.5)]
    ).integrations
    assert custom.config["sync_lifetime_days"] == 30.0
    assert custom.config["sync_timeout_ms"] == 800.5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://crb.kargo.com/api/v1/id", "https://crb.kargo.com/api/v1/id"),
        ("HTTPS://CRB.Kargo.com/id?site=s1&v=2", "https://crb.kargo.com/id?site=s1&v=2"),
        ("https://crb.kargo.com", "https://crb.kargo.com/"),
        ("http://127.0.0.1:8080/id", "http://127.0.0.1:8080/id"),
        ("http://localhost/id?x=1", "http://localhost/id?x=1"),
    ],
)
def test_sync_url_accepted(value: str, expected: str) -> None:
    [item] = Pipeline([integration(sync_url=value)]).integrations
    assert item.config["sync_url"] == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://crb.kargo.com/id", "must use https"),
        ("http://169.254.169.254/latest", "must use https"),
        ("ftp://crb.kargo.com/id", "must be an https:// URL"),
        ("crb.kargo.com/id", "must be an https:// URL"),
        ("https://user:pw@crb.kargo.com/id", "user info"),
        ("https://crb.kargo.com/id#frag", "fragment"),
        ("https://crb.kargo.com/id?x=1#", "fragment"),
        ("https://crb.kargo.com/id?gdpr=0", "must not set gdpr"),
        ("https://crb.kargo.com/id?a=1&gpp_sid=2", "must not set gpp_sid"),
        ("https://crb.kargo.com/id?us%5Fprivacy=1", "must not set us_privacy"),
        ("https://crb.kargo.com/id?a=<b>", "invalid query"),
        ("https://crb.kargo.com/i d", "whitespace"),
        ("https://crb.kargo.com:99999/id", "invalid port"),
        ("https://evil.com\\@crb.kargo.com/", "backslash"),
    ],
)
def test_sync_url_rejected(value: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(sync_url=value)])
    assert "config.sync_url" in str(info.value)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("sync_lifetime_days", 0, "must be more than 0"),
        ("sync_lifetime_days", -1, "must be more than 0"),
        ("sync_lifetime_days", 4000, "at most 3650 days"),
        ("sync_lifetime_days", "365", "must be a number"),
        ("sync_lifetime_days", True, "must be a number"),
        ("sync_timeout_ms", 0, "must be more than 0"),
        ("sync_timeout_ms", 60001, "at most 60000 ms"),
        ("sync_timeout_ms", float("inf"), "must be more than 0"),
        ("sync_timeout_ms", float("nan"), "must be more than 0"),
        ("sync_failure_ttl_hours", 0, "must be more than 0"),
        ("sync_failure_ttl_hours", 9000, "at most 8760 hours"),
    ],
)
def test_sync_numbers_rejected(field: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(sync_url=SYNC_URL, **{field: value})])
    assert f"config.{field}" in str(info.value)
    assert message in str(info.value)
