"""The hooks called directly: routing, purity and speed."""

from __future__ import annotations

import time
from typing import Any

import pytest
import signal_kargo
from kargo_testkit import SEED_BODY, integration, purchase
from signal_core import EventRule, Integration, Payload, Pipeline
from signal_core.events import normalize
from signal_kargo.mapping import KargoPayload, kgid_from_url


@pytest.fixture
def kargo() -> Integration:
    return Pipeline([integration()]).integrations[0]


@pytest.fixture
def echo() -> Integration:
    spec = {"vendor": "echo", "config": {"api_key": "key-1"}}
    return Pipeline([spec]).integrations[0]


RULE = EventRule("Order Completed", "conversion")


def test_hooks_answer_only_for_kargo(echo: Integration) -> None:
    event = normalize(purchase())
    assert signal_kargo.map_event(event, RULE, echo) is None
    assert signal_kargo.build_request([Payload({})], echo) is None
    assert signal_kargo.classify_response(None, None, None, echo) is None


def test_map_then_build_is_pure_and_repeatable(kargo: Integration) -> None:
    event = normalize(purchase(properties={"campaign_id": "c9"}))
    [payload] = signal_kargo.map_event(event, RULE, kargo)
    assert isinstance(payload, KargoPayload)
    assert payload.campaign_id == "c9"
    first = signal_kargo.build_request([payload], kargo)
    second = signal_kargo.build_request([payload], kargo)
    assert first == second
    assert first.body == SEED_BODY
    assert first.url == "https://krxd.net/data/c"
    assert event.properties == {
        "order_id": "ORD-001",
        "revenue": 129.99,
        "currency": "USD",
        "campaign_id": "c9",
    }


def test_plain_payload_from_a_wrapping_plugin_uses_config_campaign(kargo: Integration) -> None:
    request = signal_kargo.build_request([Payload({"event": "conversion"})], kargo)
    assert request.query == (
        ("advertiser_id", "kg_adv_12345"),
        ("campaign_id", "kg_camp_67890"),
        ("auth_token", "kg_token_secret_abc123"),
    )
    assert request.body == b'{"event":"conversion"}'


def test_build_refuses_batches(kargo: Integration) -> None:
    with pytest.raises(ValueError, match="one event per request"):
        signal_kargo.build_request([Payload({}), Payload({})], kargo)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, None),
        ("", None),
        ("https://s.example/", None),
        ("https://s.example/?kgid=abc", "abc"),
        ("https://s.example/?kgid=+abc+", "abc"),
        ("https://s.example/?a=1&KGID=abc", None),
        ("https://[bad/?kgid=abc", None),
        ("/relative?kgid=abc", "abc"),
    ],
)
def test_kgid_from_url(url: Any, expected: Any) -> None:
    assert kgid_from_url(url) == expected


def test_map_and_build_are_fast(kargo: Integration) -> None:
    event = normalize(purchase(context={"providers": {"kargo": {"puid": "p-1"}}}))
    n = 2000
    started = time.perf_counter()
    for _ in range(n):
        payloads = signal_kargo.map_event(event, RULE, kargo)
        signal_kargo.build_request(payloads, kargo)
    per_event = (time.perf_counter() - started) / n
    # Target is < 20 us on a developer machine; the bound leaves room for slow CI.
    assert per_event < 200e-6, f"{per_event * 1e6:.1f} us per event"
