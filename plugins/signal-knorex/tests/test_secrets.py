"""The token is sent to Knorex and shown nowhere else."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from signal_core import ConfigError, Pipeline, Status
from signal_core.testing import Reply, Sandbox


def leaks(text: str, token: str) -> bool:
    return any(v in text for v in (token, quote(token, safe=""), quote_plus(token)))


def test_token_reaches_the_wire_but_not_the_preview(
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
    token: str,
) -> None:
    pipeline = knorex()
    [preview] = pipeline.preview(order())
    assert not leaks(str(preview), token)
    assert not leaks(repr(preview.to_dict()), token)
    assert preview.url.endswith("&ts=1749200400&token=***")
    assert box.requests == []
    pipeline.send(order())
    assert dict(box.requests[0].query)["token"] == token


def test_token_is_masked_in_repr_and_describe(knorex: Callable[..., Pipeline], token: str) -> None:
    pipeline = knorex()
    integration = pipeline.integrations[0]
    assert integration.describe()["config"]["token"] == "***"
    for text in (
        repr(pipeline),
        repr(integration),
        repr(integration.config),
        str(integration.describe()),
    ):
        assert not leaks(text, token)


def test_token_in_post_preview_url_is_masked(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], token: str
) -> None:
    pipeline = knorex({"postback_url": "https://s2s.knorex.example/pb?t={token}", "method": "POST"})
    [preview] = pipeline.preview(order())
    assert preview.url.endswith("/pb?t=***")
    assert preview.body is not None
    assert not leaks(preview.body, token)


def test_token_never_in_results_logs_or_exceptions_across_outcomes(
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
    token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    box.script(204, 400, 401, Reply(429, {"Retry-After": "1"}), 503, 500, 500, 500, 500)
    pipeline = knorex()
    results = [pipeline.send(order(kcid=f"kc-{i}"))[0] for i in range(5)]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    results += knorex(base_url=f"http://127.0.0.1:{port}").send(order())
    statuses = [r.status for r in results]
    assert statuses == [
        Status.DELIVERED,
        Status.FAILED,
        Status.FAILED,
        Status.FAILED,
        Status.FAILED,
        Status.FAILED,
    ]
    assert len(box.requests) == 9
    for result in results:
        assert not leaks(str(result.to_dict()), token)
        assert not leaks(repr(result), token)
    records = caplog.records
    assert any(r.name.startswith("urllib3") for r in records)  # the request lines were logged
    for record in records:
        assert not leaks(record.getMessage(), token)
        assert not leaks(str(record.exc_text or ""), token)


def test_config_problem_reported_without_the_token(
    knorex: Callable[..., Pipeline],
    order: Callable[..., dict[str, Any]],
    box: Sandbox,
    token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = "https://s2s.knorex.example/pb?goal={goal_id}&t={token}"  # no {kcid} for a GET
    with pytest.raises(ConfigError) as info:
        knorex({"postback_url": url})
    assert info.value.field == "config"
    assert "postback_url has no {kcid} placeholder" in str(info.value)
    assert box.requests == []
    assert not leaks(str(info.value), token)
    assert all(not leaks(r.getMessage(), token) for r in caplog.records)
