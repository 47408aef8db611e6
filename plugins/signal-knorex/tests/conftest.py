"""Fixtures for the signal-knorex tests: a loopback sandbox and a pipeline factory."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from signal_core import Pipeline
from signal_core.testing import FakeClock, Sandbox

TOKEN = "tok-Kx9/Canary+Secret=42"
TEMPLATE = (
    "https://s2s.knorex.example/xpo/postback?kcid={kcid}&goal={goal_id}&value={value}"
    "&currency={currency}&order={order_id}&eid={event_id}&ts={timestamp}&token={token}"
)


@pytest.fixture
def token() -> str:
    return TOKEN


@pytest.fixture
def template() -> str:
    return TEMPLATE


@pytest.fixture
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox().start()
    yield sandbox
    # Sandbox.stop() waits out the server's 0.5 s poll; stop in the background so
    # each test keeps its own fresh server without paying that wait.
    threading.Thread(target=sandbox.stop, daemon=True).start()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def knorex(box: Sandbox, clock: FakeClock) -> Iterator[Callable[..., Pipeline]]:
    """``knorex(config_overrides, **integration_keys)`` -> a Pipeline aimed at the sandbox."""
    made: list[Pipeline] = []

    def make(config: dict[str, Any] | None = None, **integration: Any) -> Pipeline:
        cfg: dict[str, Any] = {"postback_url": TEMPLATE, "token": TOKEN, "goal_id": "G-100"}
        cfg.update(config or {})
        for key in [k for k, v in cfg.items() if v is None]:
            del cfg[key]
        spec: dict[str, Any] = {
            "vendor": "knorex",
            "name": "Knorex",
            "config": cfg,
            "base_url": box.url,
        }
        spec.update(integration)
        pipeline = Pipeline([spec], clock=clock)
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.close()


@pytest.fixture
def order() -> Callable[..., dict[str, Any]]:
    """``order(**properties)`` -> an Order Completed event (properties merged in)."""

    def make(
        event: str = "Order Completed", context: dict[str, Any] | None = None, **properties: Any
    ) -> dict[str, Any]:
        props: dict[str, Any] = {
            "kcid": "kc_abc123",
            "revenue": 89.99,
            "currency": "USD",
            "order_id": "ORD-1042",
        }
        props.update(properties)
        return {
            "type": "track",
            "event": event,
            "message_id": "msg-1",
            "timestamp": "2025-06-06T09:00:00Z",
            "anonymous_id": "anon_abc123",
            "properties": {k: v for k, v in props.items() if v is not None},
            "context": context or {},
        }

    return make
