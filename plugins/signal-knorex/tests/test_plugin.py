"""The plugin as the core sees it: discovery, declaration, routing, config cross-checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import signal_knorex
from signal_core import ConfigError, Pipeline, Status, Vendor
from signal_core.events import normalize
from signal_core.integration import load_integration
from signal_core.mapping import EventRule
from signal_core.plugins import get_plugin_manager
from signal_core.testing import Sandbox
from signal_core.wire import Request, Response


def test_entry_point_declares_the_knorex_vendor() -> None:
    pm = get_plugin_manager()
    assert not [e for e in pm.load_errors if e.name == "knorex"]
    vendor = pm.vendors()["knorex"]
    assert vendor is signal_knorex.KNOREX
    assert vendor.click_ids == ("kcid",)
    assert vendor.consent_categories == ("marketing",)
    assert (vendor.hosts, vendor.dedups, vendor.max_batch_size) == ((), False, 1)
    assert vendor.secret_fields == ("token",)
    assert vendor.default_preset == "default"
    assert {k: dict(v) for k, v in vendor.presets["default"].items()} == {
        "Order Completed": {"vendor_event": "conversion"},
        "Signed Up": {"vendor_event": "conversion"},
    }
    [info] = [i for i in pm.describe() if i.name == "knorex"]
    assert info.distribution == "signal-knorex"
    assert info.vendors == ("knorex",)
    assert set(info.hooks) == {"declare_vendors", "map_event", "build_request", "classify_response"}


def test_hooks_answer_only_for_knorex_integrations() -> None:
    other = load_integration({"vendor": "other"}, {"other": Vendor("other")})
    event = normalize(
        {
            "type": "track",
            "event": "Order Completed",
            "anonymous_id": "a",
            "properties": {"kcid": "k"},
        }
    )
    assert signal_knorex.map_event(event, EventRule("Order Completed", "x"), other) is None
    assert signal_knorex.build_request([], other) is None
    request = Request("GET", "https://other.example/x")
    assert signal_knorex.classify_response(request, Response(400), None, other) is None


def test_consent_category_can_be_overridden(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    denied = {"consent": {"categories": {"marketing": False, "ads": True}}}
    [result] = knorex(consent_categories=["ads"]).send(order(context=denied))
    assert result.status is Status.DELIVERED


def test_token_placeholder_without_a_token_is_rejected_at_load(
    knorex: Callable[..., Pipeline], box: Sandbox
) -> None:
    with pytest.raises(ConfigError) as info:
        knorex({"token": None})
    assert info.value.field == "config"
    assert "postback_url has a {token} placeholder but config.token is not set" in str(info.value)
    assert box.requests == []


def test_post_without_kcid_placeholder_is_fine(
    knorex: Callable[..., Pipeline], order: Callable[..., dict[str, Any]], box: Sandbox
) -> None:
    config = {"postback_url": "https://s2s.knorex.example/pb", "method": "POST", "token": None}
    [result] = knorex(config).send(order())
    assert result.status is Status.DELIVERED
    assert b'"kcid":"kc_abc123"' in box.requests[0].body
