"""A third-party plugin can wrap another vendor's hooks (seen through preview)."""

from __future__ import annotations

import json

import pytest
from signal_core import Payload, Pipeline, hookimpl
from signal_core.plugins import get_plugin_manager

EVENT = {
    "type": "track",
    "event": "Order Completed",
    "anonymous_id": "anon_1",
    "timestamp": "2025-06-06T09:00:00Z",
    "properties": {"revenue": 10},
}


class NewStyleEnricher:
    @hookimpl(wrapper=True)
    def map_event(self, event, rule, integration):
        payloads = yield
        if integration.vendor == "echo" and payloads:
            for payload in payloads:
                payload.data["enriched_by"] = "new-style wrapper"
        return payloads


class OldStyleEnricher:
    @hookimpl(hookwrapper=True)
    def map_event(self, event, rule, integration):
        outcome = yield
        payloads = outcome.get_result()
        if integration.vendor == "echo" and payloads:
            for payload in payloads:
                payload.data["enriched_by"] = "old-style hookwrapper"


class FirstAnswer:
    """tryfirst: answers for echo before the echo plugin (and only for echo)."""

    @hookimpl(tryfirst=True)
    def map_event(self, event, rule, integration):
        if integration.vendor != "echo":
            return None
        return [Payload({"event": rule.vendor_event, "replaced": True})]


@pytest.fixture
def plugin_manager():
    return get_plugin_manager()


@pytest.fixture
def register(plugin_manager):
    """Register plugin objects for one test; unregistered afterwards."""
    names = []

    def add(plugin, name):
        plugin_manager.register(plugin, name=name)
        names.append(name)
        return plugin_manager

    yield add
    for name in names:
        if plugin_manager.get_plugin(name) is not None:
            plugin_manager.unregister(name=name)


def bodies(pm):
    with Pipeline(
        [
            {"vendor": "echo", "name": "echo", "config": {"api_key": "key_wrapping_test"}},
            {"vendor": "echo_batch", "name": "echo_batch"},
        ],
        plugin_manager=pm,
    ) as pipeline:
        return {p.integration: json.loads(p.body) for p in pipeline.preview(EVENT)}


@pytest.mark.parametrize(
    ("plugin", "label"),
    [(NewStyleEnricher(), "new-style wrapper"), (OldStyleEnricher(), "old-style hookwrapper")],
)
def test_a_wrapper_enriches_only_the_echo_payload(plugin_manager, register, plugin, label):
    before = bodies(plugin_manager)
    assert "enriched_by" not in before["echo"]
    register(plugin, "enricher")
    after = bodies(plugin_manager)
    assert after["echo"] == {**before["echo"], "enriched_by": label}
    assert after["echo_batch"] == before["echo_batch"]  # another vendor: untouched


def test_tryfirst_plugin_answers_before_the_vendor_plugin(plugin_manager, register):
    register(FirstAnswer(), "first")
    got = bodies(plugin_manager)
    assert got["echo"] == {"event": "purchase", "replaced": True}
    assert got["echo_batch"][0]["event"] == "purchase"
    assert "replaced" not in got["echo_batch"][0]


def test_unregistering_restores_the_original_behaviour(plugin_manager):
    plugin_manager.register(NewStyleEnricher(), name="temp")
    assert "enriched_by" in bodies(plugin_manager)["echo"]
    plugin_manager.unregister(name="temp")
    assert "enriched_by" not in bodies(plugin_manager)["echo"]
