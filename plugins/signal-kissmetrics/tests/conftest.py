"""Shared fixtures: a recording loopback sandbox answering like Kissmetrics
(200 + a 1x1 GIF), a fake clock, and a factory for pipelines pointed at it."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from signal_core import Pipeline
from signal_core.testing import FakeClock, Reply, Sandbox

GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
    b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


@pytest.fixture
def api_key() -> str:
    # A canary: distinctive enough that finding it anywhere is a leak.
    return "KMcanary0f3c9a71b2e4"


@pytest.fixture
def gif_reply() -> Reply:
    return Reply(200, {"Content-Type": "image/gif"}, GIF)


@pytest.fixture(scope="session")
def _sandboxes() -> Iterator[list[Sandbox]]:
    # Stopping a sandbox waits for its server's poll interval (about 0.5 s), so
    # every sandbox is stopped at the end of the session, all at once.
    started: list[Sandbox] = []
    yield started
    with ThreadPoolExecutor(max_workers=max(1, min(32, len(started)))) as pool:
        list(pool.map(Sandbox.stop, started))


@pytest.fixture
def new_box(_sandboxes: list[Sandbox], gif_reply: Reply) -> Callable[..., Sandbox]:
    """A fresh started sandbox; ``new_box(503, 200)`` scripts its first replies."""

    def make(*replies: Reply | int) -> Sandbox:
        sandbox = Sandbox(replies, default=gif_reply).start()
        _sandboxes.append(sandbox)
        return sandbox

    return make


@pytest.fixture
def box(new_box: Callable[..., Sandbox]) -> Sandbox:
    return new_box()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_pipeline(
    box: Sandbox, clock: FakeClock, api_key: str
) -> Iterator[Callable[..., Pipeline]]:
    """``make_pipeline(config={...}, **integration_keys)``: one Kissmetrics
    integration sending to the sandbox (``base_url=None`` to keep the host)."""
    made: list[Pipeline] = []

    def make(config: dict[str, Any] | None = None, **keys: Any) -> Pipeline:
        integration: dict[str, Any] = {
            "vendor": "kissmetrics",
            "name": "Kissmetrics",
            "config": {"api_key": api_key, **(config or {})},
            "base_url": box.url,
        }
        integration.update(keys)
        if integration["base_url"] is None:
            del integration["base_url"]
        pipeline = Pipeline([integration], clock=clock)
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.close()


@pytest.fixture
def seed_event() -> dict[str, Any]:
    """The seed's Order Completed example."""
    return {
        "type": "track",
        "event": "Order Completed",
        "message_id": "0f8e6a52-3b8e-4f59-9d7e-2a1c5e4b7d10",
        "timestamp": "2025-06-06T09:00:00Z",
        "anonymous_id": "anon_abc123",
        "user_id": "user_8842",
        "properties": {
            "order_id": "ORD-1042",
            "revenue": 89.99,
            "currency": "USD",
            "tax": 7.20,
            "coupon": "WELCOME10",
        },
    }
