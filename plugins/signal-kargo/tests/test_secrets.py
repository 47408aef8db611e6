"""The auth_token never shows up in results, previews, reprs, logs or errors."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from kargo_testkit import TOKEN, integration, purchase
from signal_core import ConfigError, Pipeline, Status
from signal_core.testing import FakeClock, Reply, Sandbox

MODES = ["query", "header"]


def assert_clean(text: str) -> None:
    assert TOKEN not in text
    assert TOKEN[4:-4] not in text


def check_everything(pipeline: Pipeline, results: Any, caplog: pytest.LogCaptureFixture) -> None:
    for result in results:
        assert_clean(result.reason)
        assert_clean(repr(result))
        assert_clean(str(result.to_dict()))
    for preview in pipeline.preview(purchase()):
        assert_clean(str(preview))
        assert_clean(repr(preview))
        assert_clean(str(preview.to_dict()))
    for item in pipeline.integrations:
        assert_clean(repr(item))
        assert_clean(repr(item.config))
        assert_clean(str(item.describe()))
    assert_clean(repr(pipeline))
    for record in caplog.records:
        assert_clean(record.getMessage())
        assert_clean(str(record.exc_text or ""))
    assert_clean(caplog.text)


@pytest.mark.parametrize("mode", MODES)
def test_preview_masks_token(box: Sandbox, make_pipeline: Any, mode: str) -> None:
    [preview] = make_pipeline(auth_mode=mode).preview(purchase())
    text = str(preview)
    assert_clean(text)
    if mode == "query":
        assert "auth_token=***" in preview.url
    else:
        assert preview.headers["Authorization"] == "Bearer ***"
        assert "auth_token" not in preview.url
    assert box.requests == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "replies",
    [
        [204],
        [401],
        [403],
        [Reply(400, {}, f"bad request auth_token={TOKEN}".encode())],
        [503, 503, 503],
        [Reply(429, {"Retry-After": "86400"})],
        [Reply(302, {"Location": f"http://127.0.0.1:9/?auth_token={TOKEN}"})],
    ],
)
def test_token_absent_everywhere(
    box: Sandbox,
    make_pipeline: Any,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    replies: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    box.script(*replies)
    pipeline = make_pipeline(auth_mode=mode)
    results = pipeline.send(purchase())
    assert len(box.requests) >= 1
    check_everything(pipeline, results, caplog)


@pytest.mark.parametrize("mode", MODES)
def test_token_absent_when_connection_refused(caplog: pytest.LogCaptureFixture, mode: str) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spec = integration(None, auth_mode=mode, endpoint=f"http://127.0.0.1:{port}/data/c")
    with Pipeline([spec], clock=FakeClock()) as pipeline:
        results = pipeline.send(purchase())
        assert results[0].status is Status.FAILED
        assert results[0].attempts == 3
        check_everything(pipeline, results, caplog)


@pytest.mark.parametrize("bad", [f" {TOKEN}", f"{TOKEN}\n", f"{TOKEN}\r\nX: y"])
def test_malformed_token_rejected_without_echo(bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(None, auth_token=bad)])
    assert "auth_token" in str(info.value)
    assert_clean(str(info.value))
    assert_clean(repr(info.value))


def test_missing_token_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"config\.auth_token: is required"):
        Pipeline([integration(None, auth_token=None)])
