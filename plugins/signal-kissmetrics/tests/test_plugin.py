"""Discovery, the vendor declaration, hook routing and send_many."""

from __future__ import annotations

import importlib.metadata as md
import sys

import pytest
import signal_kissmetrics
from signal_core import Payload, Response, Status, Vendor
from signal_core.events import normalize
from signal_core.integration import load_integration
from signal_core.plugins import get_plugin_manager
from signal_core.wire import Request
from signal_kissmetrics import VENDOR


def test_entry_point_is_discovered():
    eps = md.distribution("signal-kissmetrics").entry_points
    assert [(e.group, e.name, e.value) for e in eps] == [
        ("signal_core.plugins", "kissmetrics", "signal_kissmetrics")
    ]
    pm = get_plugin_manager()
    assert pm.vendors()["kissmetrics"] is VENDOR
    [info] = [i for i in pm.describe() if i.name == "kissmetrics"]
    assert md.version("signal-kissmetrics") == "0.1.0"
    if sys.version_info >= (3, 10):  # Python 3.9 entry points do not name their distribution
        assert (info.distribution, info.version) == ("signal-kissmetrics", "0.1.0")
    assert set(info.hooks) == {"declare_vendors", "map_event", "build_request", "classify_response"}
    assert not [e for e in pm.load_errors if e.name == "kissmetrics"]


def test_vendor_declaration():
    assert VENDOR.name == "kissmetrics"
    assert VENDOR.dedups is True
    assert VENDOR.max_batch_size == 1
    assert VENDOR.consent_categories == ("analytics",)
    assert VENDOR.hosts == ("trk.kissmetrics.io", "trk.kissmetrics.com")
    assert VENDOR.default_preset == "default"
    assert VENDOR.unmapped == "drop"
    assert VENDOR.secret_fields == ("api_key",)
    host = VENDOR.field_named("host")
    assert host is not None
    assert host.choices == ("https://trk.kissmetrics.io", "https://trk.kissmetrics.com")
    assert host.default == "https://trk.kissmetrics.io"
    alias = VENDOR.field_named("alias_on_identify")
    assert alias is not None
    assert (alias.kind, alias.default) == (bool, False)


def test_hooks_answer_only_for_kissmetrics():
    other = load_integration({"vendor": "other", "config": {}}, {"other": Vendor(name="other")})
    ev = normalize({"type": "track", "event": "Order Completed", "user_id": "u"})
    rule = other.mapping.rule_for("x")
    assert rule is None
    from signal_core import EventRule

    assert signal_kissmetrics.map_event(ev, EventRule("x", "x"), other) is None
    payload = Payload({"path": "/e", "method": "GET", "params": ()})
    assert signal_kissmetrics.build_request([payload], other) is None
    request = Request("GET", "https://trk.kissmetrics.io/e")
    assert signal_kissmetrics.classify_response(request, Response(400), None, other) is None


def test_build_request_takes_one_payload(make_pipeline):
    integration = make_pipeline().integrations[0]
    payload = Payload({"path": "/e", "method": "GET", "params": ()})
    with pytest.raises(ValueError, match="one payload per request"):
        signal_kissmetrics.build_request([payload, payload], integration)


def test_send_many_sends_one_request_per_event(make_pipeline, box):
    events = [
        {
            "type": "track",
            "event": "Product Viewed",
            "user_id": f"user_{i}",
            "timestamp": 1749200400 + i,
            "properties": {"sku": f"P-{i}"},
        }
        for i in range(12)
    ] + [{"type": "track", "event": "Unmapped Thing", "user_id": "u"}, {"type": "nope"}]
    results = []
    summary = make_pipeline().send_many(events, workers=4, on_result=results.append)
    assert summary.events == 14
    assert summary.invalid == 1
    assert summary.total(Status.DELIVERED) == 12
    assert summary.total(Status.DROPPED) == 1
    assert len(box.requests) == 12
    queries = [dict(r.query) for r in box.requests]
    sent = sorted((q["_p"], q["_t"], q["SKU"]) for q in queries)
    assert sent == sorted((f"user_{i}", str(1749200400 + i), f"P-{i}") for i in range(12))
