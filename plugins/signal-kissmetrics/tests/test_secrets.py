"""The api_key (_k) goes on the wire and nowhere else."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import pytest
from signal_core import ConfigError, Status
from signal_core.testing import Reply


def event(pad: int = 0) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "user_id": "user_8842",
        "timestamp": 1749200400,
        "properties": {"order_id": "ORD-1042", "pad": "x" * pad},
    }


def identify() -> dict[str, Any]:
    return {
        "type": "identify",
        "user_id": "user_8842",
        "anonymous_id": "anon_abc123",
        "traits": {"plan": "pro"},
    }


def assert_clean(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text
        assert quote(secret, safe="") not in text


def test_key_is_on_the_wire_only(make_pipeline, new_box, api_key, caplog):
    caplog.set_level(logging.DEBUG)
    box = new_box(200, 401, 503, 503, 503, Reply(429, {"Retry-After": "86400"}))
    pipeline = make_pipeline(base_url=box.url, config={"alias_on_identify": True})
    results = [
        *pipeline.send(event()),  # 200
        *pipeline.send(event()),  # 401
        *pipeline.send(event()),  # 503 x3
        *pipeline.send(event()),  # 429 far in the future
        *pipeline.send(event(pad=3000)),  # POST
        *pipeline.send(identify()),
    ]
    assert [r.status for r in results] == [
        Status.DELIVERED,
        Status.FAILED,
        Status.FAILED,
        Status.FAILED,
        Status.DELIVERED,
        Status.DELIVERED,
    ]
    for req in box.requests:
        assert dict(req.query).get("_k") == api_key or api_key.encode() in req.body
    texts = [str(r) for r in results] + [repr(r.to_dict()) for r in results]
    texts += [str(p) for p in pipeline.preview(event())]
    texts += [str(p) for p in pipeline.preview(event(pad=3000))]
    texts += [repr(p.to_dict()) for p in pipeline.preview(identify())]
    texts += [repr(pipeline), repr(pipeline.integrations[0]), repr(pipeline.integrations[0].config)]
    texts += [repr(pipeline.integrations[0].describe())]
    texts += [caplog.text] + [r.getMessage() for r in caplog.records]
    for text in texts:
        assert_clean(text, api_key)
    assert any("verdict=failed" in r.getMessage() for r in caplog.records)  # logging did happen


def test_key_stays_out_of_network_errors(make_pipeline, api_key, closed_port, caplog):
    caplog.set_level(logging.DEBUG)
    [result] = make_pipeline(base_url=f"http://127.0.0.1:{closed_port}").send(event())
    assert result.status is Status.FAILED
    assert_clean(str(result), api_key)
    assert_clean(caplog.text, api_key)


def test_key_with_reserved_characters_is_encoded_and_still_hidden(make_pipeline, box, caplog):
    caplog.set_level(logging.DEBUG)
    key = "k&y=1/2?#%+ é"
    pipeline = make_pipeline(config={"api_key": key})
    [result] = pipeline.send(event())
    [req] = box.requests
    assert req.query[0] == ("_k", key)
    assert req.raw_query.startswith("_k=k%26y%3D1%2F2%3F%23%25%2B%20%C3%A9&_p=")
    assert_clean(str(pipeline.preview(event())[0]), key)
    assert_clean(str(result), key)


@pytest.mark.parametrize("bad", [" KMcanary0f3c9a71b2e4", "KMcanary0f3c9a71b2e4\n"])
def test_key_with_whitespace_is_rejected_without_echoing_it(make_pipeline, bad):
    with pytest.raises(ConfigError) as info:
        make_pipeline(config={"api_key": bad})
    assert "config.api_key" in str(info.value)
    assert "KMcanary0f3c9a71b2e4" not in str(info.value)


def test_key_from_the_environment(make_pipeline, box, monkeypatch):
    monkeypatch.setenv("KISSMETRICS_API_KEY", "from-env-key-91c2")
    pipeline = make_pipeline(config={"api_key": "${KISSMETRICS_API_KEY}"})
    pipeline.send(event())
    [req] = box.requests
    assert req.query[0] == ("_k", "from-env-key-91c2")
    assert "from-env-key-91c2" not in repr(pipeline.integrations[0].describe())


def test_payloads_never_hold_the_key(make_pipeline, api_key):
    from signal_core.events import normalize
    from signal_kissmetrics import map_event

    integration = make_pipeline(config={"alias_on_identify": True}).integrations[0]
    for raw in (event(), event(pad=3000), identify()):
        ev = normalize(raw)
        rule = integration.mapping.rule_for(ev.name)
        for payload in map_event(ev, rule, integration):
            assert_clean(repr(payload), api_key)
