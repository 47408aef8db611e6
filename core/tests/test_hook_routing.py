"""Hook calls are routed to the plugins of the integration's vendor (plugins.Hooks)."""

from __future__ import annotations

import json

import pytest
from signal_core import ConfigField, Payload, Pipeline, Request, Vendor, hookimpl
from signal_core.plugins import get_plugin_manager

EVENT = {
    "type": "track",
    "event": "Order Completed",
    "anonymous_id": "anon_1",
    "timestamp": "2025-06-06T09:00:00Z",
    "properties": {"revenue": 10},
}


class GreedyOtherVendor:
    """Declares vendor ``other``, but (wrongly) answers map_event for every vendor."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def declare_vendors(self):
        return [
            Vendor(name="other", config=(ConfigField("endpoint", default="https://o.example/"),))
        ]

    @hookimpl(tryfirst=True)
    def map_event(self, event, rule, integration):
        self.calls.append(integration.vendor)
        return [Payload({"greedy": integration.vendor})]

    @hookimpl
    def build_request(self, payloads, integration):
        if integration.vendor != "other":
            return None
        return Request(
            "POST", integration.config["endpoint"], body=json.dumps(payloads[0].data).encode()
        )


@pytest.fixture
def plugin_manager():
    return get_plugin_manager()


def previews(pm, *integrations):
    with Pipeline(list(integrations), plugin_manager=pm) as pipeline:
        return {p.integration: json.loads(p.body) for p in pipeline.preview(EVENT)}


ECHO = {"vendor": "echo", "name": "echo", "config": {"api_key": "key_routing_test"}}
OTHER = {
    "vendor": "other",
    "name": "other",
    "mappings": {"events": {"Order Completed": {"vendor_event": "buy"}}},
}


def test_a_plugin_is_not_asked_for_a_vendor_it_does_not_declare(plugin_manager):
    greedy = GreedyOtherVendor()
    plugin_manager.register(greedy, name="greedy")
    got = previews(plugin_manager, ECHO, OTHER)
    assert "greedy" not in got["echo"]  # the echo plugin answered for echo
    assert got["other"] == {"greedy": "other"}
    assert greedy.calls == ["other"]


def test_routes_follow_register_and_unregister(plugin_manager):
    before = previews(plugin_manager, ECHO)
    greedy = GreedyOtherVendor()
    plugin_manager.register(greedy, name="greedy")
    assert previews(plugin_manager, ECHO) == before
    plugin_manager.unregister(name="greedy")
    with pytest.raises(Exception, match="other"):
        previews(plugin_manager, OTHER)  # vendor gone with its plugin
    assert previews(plugin_manager, ECHO) == before


def test_hook_call_monitoring_still_sees_routed_calls(plugin_manager):
    seen: list[str] = []
    undo = plugin_manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: seen.append(f"{name}:{len(impls)}"),
        lambda outcome, name, impls, kwargs: None,
    )
    try:
        got = previews(plugin_manager, ECHO)
    finally:
        undo()
    assert got["echo"]["event"] == "purchase"
    assert "map_event:1" in seen  # only the echo plugin's map_event
    assert any(s.startswith("build_request:") for s in seen)


def test_implemented_for_reflects_the_vendor_plugins(plugin_manager):
    from signal_echo import idsync

    hooks = plugin_manager.hooks
    plugin_manager.register(GreedyOtherVendor(), name="greedy")
    assert hooks.implemented_for("classify_response", "other")  # the core's default
    assert not hooks.implemented_for("authorize_request", "other")
    assert not hooks.implemented_for("id_sync", "echo")
    plugin_manager.register(idsync, name="echo_idsync")  # declares no vendor: asked for all
    assert hooks.implemented_for("id_sync", "echo")
    assert hooks.implemented_for("id_sync", "other")
