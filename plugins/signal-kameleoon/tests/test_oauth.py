"""Optional OAuth: token flow against a loopback token endpoint, caching, refresh on
401, failures of the token endpoint, and that neither secret nor token leaks."""

from __future__ import annotations

import logging
import socket
import threading
from urllib.parse import parse_qsl

import pytest
from kameleoon_testkit import CLIENT_ID, SECRET, events, integration, page, purchase, token_reply
from signal_core import ConfigError, Pipeline, Request, Status
from signal_core.testing import Reply, Sandbox
from signal_kameleoon import auth

TOKEN = "canary-token-Zx81Qw"
TOKEN_2 = "canary-token-second-77"


def oauth(box=None, **extra):
    return integration(box, client_id=CLIENT_ID, client_secret=SECRET, **extra)


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def token_clock(monkeypatch) -> ManualClock:
    manual = ManualClock()
    monkeypatch.setattr(auth, "clock", manual)
    return manual


def assert_token_request(req) -> None:
    assert req.method == "POST"
    assert req.path == "/oauth/token"
    assert req.raw_query == ""
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(req.body.decode()) == [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
    ]
    assert req.body == (
        b"grant_type=client_credentials&client_id=signal-client"
        b"&client_secret=canary-Secret%2F9f8e%2B7d%26%3Dx"
    )
    assert "Authorization" not in req.headers


def test_token_is_fetched_once_and_sent_as_bearer(box, make_pipeline, clock):
    box.script(token_reply(TOKEN))
    pipeline = make_pipeline(oauth(box))
    [first] = pipeline.send(purchase())
    [second] = pipeline.send(page())
    assert first.status is second.status is Status.DELIVERED
    assert (first.attempts, second.attempts) == (1, 1)
    token_req, data_1, data_2 = box.requests
    assert_token_request(token_req)
    for req in (data_1, data_2):
        assert req.path == "/visit/events"
        assert req.raw_query == "siteCode=f17c21u1ag&json=true"
        assert req.headers["Authorization"] == f"Bearer {TOKEN}"
        assert req.headers["Content-Type"] == "application/json"
    assert events(data_1)[0]["eventType"] == "CONVERSION"
    assert clock.sleeps == []


def test_without_credentials_no_token_and_no_authorization(box, make_pipeline):
    make_pipeline(integration(box)).send(purchase())
    [req] = box.requests
    assert req.path == "/visit/events"
    assert "Authorization" not in req.headers


def test_token_request_goes_to_kameleoon_without_base_url():
    import signal_kameleoon
    from signal_core.integration import load_integration

    loaded = load_integration(oauth(), {"kameleoon": signal_kameleoon.KAMELEOON})
    req = auth.token_request(loaded, CLIENT_ID, SECRET)
    assert req.url == "https://api.kameleoon.com/oauth/token"
    assert req.method == "POST"
    assert SECRET not in repr(req)


def test_token_is_refreshed_shortly_before_expiry(box, make_pipeline, token_clock):
    box.script(token_reply(TOKEN, expires_in=120), 204, 204, token_reply(TOKEN_2, "120"), 204)
    pipeline = make_pipeline(oauth(box))
    pipeline.send(purchase())
    token_clock.now += 107  # refresh margin: a tenth of 120 s, so valid until +108 s
    pipeline.send(purchase())
    token_clock.now += 2
    pipeline.send(purchase())
    paths = [r.path for r in box.requests]
    assert paths == [
        "/oauth/token",
        "/visit/events",
        "/visit/events",
        "/oauth/token",
        "/visit/events",
    ]
    auths = [r.headers.get("Authorization") for r in box.requests if r.path == "/visit/events"]
    assert auths == [f"Bearer {TOKEN}", f"Bearer {TOKEN}", f"Bearer {TOKEN_2}"]


def test_long_lived_token_is_refreshed_a_minute_early(box, make_pipeline, token_clock):
    box.script(token_reply(TOKEN, expires_in=3600), 204, 204, token_reply(TOKEN_2), 204)
    pipeline = make_pipeline(oauth(box))
    pipeline.send(purchase())
    token_clock.now += 3539
    pipeline.send(purchase())
    token_clock.now += 2
    pipeline.send(purchase())
    assert [r.path for r in box.requests].count("/oauth/token") == 2


def test_401_refreshes_the_token_and_retries_once(box, make_pipeline, clock):
    box.script(token_reply(TOKEN), 401, token_reply(TOKEN_2))
    pipeline = make_pipeline(oauth(box))
    [result] = pipeline.send(purchase())
    assert (result.status, result.attempts, result.http_status) == (Status.DELIVERED, 2, 204)
    token_1, refused, token_2, accepted = box.requests
    assert [r.path for r in (token_1, token_2)] == ["/oauth/token"] * 2
    assert refused.headers["Authorization"] == f"Bearer {TOKEN}"
    assert accepted.headers["Authorization"] == f"Bearer {TOKEN_2}"
    assert refused.body == accepted.body  # same events, same nonces
    assert clock.sleeps == [0.0]  # the refresh is immediate, no backoff
    # the fresh token is cached for the next event
    pipeline.send(page())
    assert len(box.requests) == 5
    assert box.requests[4].headers["Authorization"] == f"Bearer {TOKEN_2}"


def test_a_second_401_fails_without_another_refresh(box, make_pipeline, clock):
    box.script(token_reply(TOKEN), 401, token_reply(TOKEN_2), 401, 204)
    [result] = make_pipeline(oauth(box)).send(purchase())
    assert result.status is Status.FAILED
    assert (result.attempts, result.http_status) == (2, 401)
    assert "refused a freshly fetched OAuth token" in result.reason
    assert [r.path for r in box.requests] == [
        "/oauth/token",
        "/visit/events",
        "/oauth/token",
        "/visit/events",
    ]
    assert clock.sleeps == [0.0]


def test_a_replay_after_a_double_401_may_refresh_again(box, make_pipeline, token_clock):
    box.script(token_reply(TOKEN), 401, token_reply(TOKEN_2), 401, 401, token_reply("t3"))
    pipeline = make_pipeline(oauth(box))
    [failed] = pipeline.send(purchase())
    assert failed.status is Status.FAILED
    token_clock.now += 61  # past the 60 s window: a replay may refresh again
    [replayed] = pipeline.send(purchase())
    assert replayed.status is Status.DELIVERED
    assert box.requests[-1].headers["Authorization"] == "Bearer t3"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (
            Reply(401, {"Content-Type": "application/json"}, b'{"error":"invalid_client"}'),
            "OAuth token request refused: HTTP 401 (invalid_client): check client_id and "
            "client_secret",
        ),
        (
            Reply(400, {}, b"<html>" + SECRET.encode() + b"</html>"),
            "OAuth token request refused: HTTP 400: check client_id and client_secret",
        ),
        (
            Reply(200, {"Content-Type": "application/json"}, b'{"token_type":"Bearer"}'),
            "OAuth token request refused: the token endpoint answered without a usable "
            "access_token",
        ),
        (
            Reply(200, {}, b'{"access_token":"bad token\\r\\nX: 1"}'),
            "OAuth token request refused: the token endpoint answered without a usable "
            "access_token",
        ),
        (
            Reply(302, {"Location": "http://127.0.0.1:9/"}, b""),
            "OAuth token request refused: HTTP 302 from the token endpoint",
        ),
    ],
)
def test_token_endpoint_refusal_fails_without_touching_the_data_api(
    box, make_pipeline, clock, reply, expected
):
    box.script(reply)
    [result] = make_pipeline(oauth(box)).send(purchase())
    assert result.status is Status.FAILED
    assert result.reason == expected
    assert result.attempts == 1
    assert [r.path for r in box.requests] == ["/oauth/token"]
    assert clock.sleeps == []


def test_token_endpoint_outage_is_retried(box, make_pipeline, clock):
    box.script(503, Reply(429, {"Retry-After": "1"}), 502, token_reply(TOKEN))
    [result] = make_pipeline(oauth(box)).send(purchase())
    assert result.status is Status.FAILED  # all 3 attempts spent on the token endpoint
    assert result.reason == (
        "gave up after 3 attempts: OAuth token endpoint unavailable: HTTP 502 from the "
        "token endpoint"
    )
    assert [r.path for r in box.requests] == ["/oauth/token"] * 3
    assert clock.sleeps == [0.5, 1.0]


def test_token_endpoint_503_then_success(box, make_pipeline, clock):
    box.script(503, token_reply(TOKEN))
    [result] = make_pipeline(oauth(box)).send(purchase())
    assert (result.status, result.attempts) == (Status.DELIVERED, 2)
    assert [r.path for r in box.requests] == ["/oauth/token", "/oauth/token", "/visit/events"]
    assert clock.sleeps == [0.5]


def test_unreachable_token_endpoint_is_retried_then_fails(make_pipeline, clock):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    probe.close()  # nothing listens there now: connection refused
    [result] = make_pipeline(oauth(base_url=closed)).send(purchase())
    assert result.status is Status.FAILED
    assert result.attempts == 3
    assert result.reason == (
        "gave up after 3 attempts: OAuth token endpoint unavailable: connection failed"
    )
    assert clock.sleeps == [0.5, 1.0]


def test_concurrent_attempts_share_one_token_fetch(box, make_pipeline):
    box.script(token_reply(TOKEN))
    pipeline = make_pipeline(oauth(box))
    integ = pipeline.integrations[0]
    start = threading.Barrier(8)
    seen: list[str] = []

    def attempt() -> None:
        start.wait()
        req = pipeline.hooks.authorize_request(
            Request("POST", f"{box.url}/visit/events"), integ, pipeline.transport
        )
        seen.append(req.headers["Authorization"])

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert seen == [f"Bearer {TOKEN}"] * 8
    assert [r.path for r in box.requests] == ["/oauth/token"]
    assert auth.cache_for(integ).fetches == 1


def test_tokens_are_cached_per_integration(box, make_pipeline):
    other = Sandbox().start()
    try:
        box.script(token_reply(TOKEN))
        other.script(token_reply(TOKEN_2))
        pipeline = make_pipeline(oauth(box), oauth(other, name="Kameleoon NA", region="na"))
        pipeline.send(purchase())
        pipeline.send(page())
        for sandbox, token in ((box, TOKEN), (other, TOKEN_2)):
            assert [r.path for r in sandbox.requests] == [
                "/oauth/token",
                "/visit/events",
                "/visit/events",
            ]
            assert {r.headers.get("Authorization") for r in sandbox.requests[1:]} == {
                f"Bearer {token}"
            }
    finally:
        threading.Thread(target=other.stop, daemon=True).start()


def test_secret_and_token_never_leak(box, make_pipeline, caplog, token_clock):
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    # token flow, a 401 refresh, a refused token endpoint, then an outage
    box.script(
        token_reply(TOKEN),
        401,
        token_reply(TOKEN_2),
        204,
        Reply(401, {}, b'{"error":"invalid_client","secret":"' + SECRET.encode() + b'"}'),
        503,
        503,
        503,
    )
    pipeline = make_pipeline(oauth(box))
    integ = pipeline.integrations[0]
    results = pipeline.send(purchase())
    auth.cache_for(integ).invalidate()
    results += pipeline.send(page())  # token endpoint refuses
    results += pipeline.send(page())  # token endpoint down
    assert [r.status for r in results] == [Status.DELIVERED, Status.FAILED, Status.FAILED]
    for r in results:
        texts += [r.reason, repr(r), str(r.to_dict())]
    for preview in pipeline.preview(purchase()):
        texts += [str(preview), repr(preview), str(preview.to_dict())]
    texts += [
        repr(integ),
        repr(integ.config),
        str(integ.describe()),
        repr(pipeline),
        repr(auth.cache_for(integ)),
    ]
    texts += [rec.getMessage() for rec in caplog.records] + [caplog.text]
    assert any("delivered" in t for t in texts)
    blob = "\n".join(texts)
    for secret in (SECRET, TOKEN, TOKEN_2, "canary-Secret%2F9f8e%2B7d%26%3Dx"):
        assert secret not in blob
    assert "***" in str(integ.describe())


def test_half_configured_credentials_never_show_the_secret(box, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(box, client_secret=SECRET)])
    assert SECRET not in str(info.value) + repr(info.value) + caplog.text
    assert box.requests == []
