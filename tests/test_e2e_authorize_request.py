"""The authorize_request hook: credentials added before each attempt."""

from __future__ import annotations

import itertools

from signal_core import Request, Status, Timeout, hookimpl
from signal_core.errors import ConnectError
from signal_core.testing import Reply
from signal_e2e_kit import echo, track


class TokenPlugin:
    """Fetches a fresh token from a token server before every echo attempt."""

    def __init__(self, token_url):
        self.token_url = token_url
        self.numbers = itertools.count(1)

    @hookimpl
    def authorize_request(self, request, integration, transport):
        if integration.vendor != "echo":
            return None
        answer = transport.send(Request("POST", self.token_url, (), {}, b""), Timeout(1, 1, 1))
        token = f"{answer.body.decode()}-{next(self.numbers)}"
        return request.with_headers({"Authorization": f"Bearer {token}"})


def test_each_attempt_is_authorized_and_the_body_stays_the_same(
    make_box, make_pipeline, register_plugin, clock
):
    tokens = make_box(default=Reply(200, body=b"tok"))
    box = make_box(503)
    pm = register_plugin(TokenPlugin(f"{tokens.url}/token"), "tokens")
    pipeline = make_pipeline([echo(box)], plugin_manager=pm)
    [result] = pipeline.send(track())
    assert (result.status, result.attempts) == (Status.DELIVERED, 2)
    assert [r.headers["Authorization"] for r in box.requests] == ["Bearer tok-1", "Bearer tok-2"]
    assert box.requests[0].body == box.requests[1].body
    assert [r.path for r in tokens.requests] == ["/token", "/token"]
    # a preview never fetches a token
    [preview] = pipeline.preview(track())
    assert "Authorization" not in preview.headers
    assert len(tokens.requests) == 2


def test_a_token_endpoint_that_is_down_is_a_retried_transport_error(
    make_box, make_pipeline, register_plugin, clock
):
    class Down:
        @hookimpl
        def authorize_request(self, request, integration, transport):
            raise ConnectError("token endpoint refused")

    box = make_box()
    pm = register_plugin(Down(), "down")
    [result] = make_pipeline([echo(box)], plugin_manager=pm).send(track())
    assert result.status is Status.FAILED
    assert result.attempts == 3
    assert "token endpoint refused" in result.reason
    assert box.requests == []
    assert clock.sleeps == [0.5, 1.0]
