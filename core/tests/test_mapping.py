"""The mapping engine: presets, overrides, values, rename, enabled, default action."""

from __future__ import annotations

import pytest
from signal_core import ConfigError
from signal_core.mapping import EventRule, build_table

PRESETS = {
    "retail": {
        "Order Completed": {"vendor_event": "purchase", "values": {"currency": "USD"}},
        "Product Viewed": {"vendor_event": "view", "rename": {"sku": "item_id"}},
        "page": {},
    },
    "quiet": {},
}


def test_preset_rules():
    table = build_table(PRESETS, "retail", None)
    rule = table.rule_for("Order Completed")
    assert (rule.source, rule.vendor_event, rule.enabled) == ("Order Completed", "purchase", True)
    assert dict(rule.values) == {"currency": "USD"}
    assert table.rule_for("page").vendor_event == "page"  # empty rule: same name
    assert table.default_action == "drop"


def test_no_preset_and_no_overrides_maps_nothing():
    table = build_table(PRESETS, None, None)
    assert table.rules == {}
    assert table.rule_for("Order Completed") is None


def test_override_of_vendor_event_keeps_the_preset_values():
    table = build_table(
        PRESETS, "retail", {"events": {"Order Completed": {"vendor_event": "conversion"}}}
    )
    rule = table.rule_for("Order Completed")
    assert rule.vendor_event == "conversion"
    assert dict(rule.values) == {"currency": "USD"}


def test_override_adds_values_and_renames_to_the_preset_ones():
    table = build_table(
        PRESETS,
        "retail",
        {
            "events": {
                "Order Completed": {"values": {"goal_id": 42}},
                "Product Viewed": {"rename": {"price": "amount"}},
            }
        },
    )
    assert dict(table.rule_for("Order Completed").values) == {"currency": "USD", "goal_id": 42}
    assert dict(table.rule_for("Product Viewed").rename) == {"sku": "item_id", "price": "amount"}


def test_values_fill_missing_properties_and_event_property_wins():
    rule = EventRule("Order Completed", "purchase", values={"currency": "USD", "goal_id": 42})
    assert rule.apply({"currency": "EUR", "revenue": 9.5}) == {
        "currency": "EUR",
        "revenue": 9.5,
        "goal_id": 42,
    }


def test_rename_then_fill():
    rule = EventRule("X", "x", values={"item_id": "fallback"}, rename={"sku": "item_id"})
    assert rule.apply({"sku": "SKU-1", "qty": 2}) == {"item_id": "SKU-1", "qty": 2}
    assert rule.apply({"qty": 2}) == {"qty": 2, "item_id": "fallback"}


def test_apply_does_not_mutate_the_event_properties():
    props = {"sku": "S"}
    EventRule("X", "x", values={"a": 1}, rename={"sku": "id"}).apply(props)
    assert props == {"sku": "S"}


def test_enabled_false_overrides_a_preset_rule():
    table = build_table(PRESETS, "retail", {"events": {"page": {"enabled": False}}})
    assert table.rule_for("page").enabled is False
    assert table.rule_for("Order Completed").enabled is True


def test_new_event_in_overrides_defaults_vendor_event_to_source():
    table = build_table(PRESETS, "quiet", {"events": {"Signed Up": {}}})
    assert table.rule_for("Signed Up").vendor_event == "Signed Up"


def test_unmapped_is_dropped_by_default_and_passthrough_sends_under_source_name():
    assert build_table(PRESETS, "retail", None).rule_for("Cart Viewed") is None
    table = build_table(PRESETS, "retail", {"defaults": {"action": "passthrough"}})
    rule = table.rule_for("Cart Viewed")
    assert (rule.source, rule.vendor_event, rule.enabled) == ("Cart Viewed", "Cart Viewed", True)
    assert table.rule_for("Order Completed").vendor_event == "purchase"


def test_vendor_default_action_applies_unless_overridden():
    table = build_table(PRESETS, None, None, vendor_default_action="passthrough")
    assert table.rule_for("Anything").vendor_event == "Anything"
    table = build_table(
        PRESETS, None, {"defaults": {"action": "drop"}}, vendor_default_action="passthrough"
    )
    assert table.rule_for("Anything") is None


@pytest.mark.parametrize(
    ("preset", "overrides", "field", "words"),
    [
        ("nope", None, "preset", ["unknown preset 'nope'", "quiet", "retail"]),
        (None, ["x"], "mappings", ["object"]),
        (None, {"event": {}}, "mappings", ["'event'"]),
        (None, {"events": []}, "mappings.events", ["object"]),
        (None, {"events": {"A": "purchase"}}, "mappings.events.A", ["object"]),
        (None, {"events": {"A": {"vendor": "x"}}}, "mappings.events.A", ["'vendor'"]),
        (None, {"events": {"A": {"vendor_event": ""}}}, "mappings.events.A", ["vendor_event"]),
        (None, {"events": {"A": {"values": [1]}}}, "mappings.events.A", ["values"]),
        (None, {"events": {"A": {"rename": {"a": 1}}}}, "mappings.events.A", ["rename"]),
        (None, {"events": {"A": {"enabled": "no"}}}, "mappings.events.A", ["enabled"]),
        (
            None,
            {"defaults": {"action": "send"}},
            "mappings.defaults.action",
            ["drop", "passthrough"],
        ),
        (None, {"defaults": "drop"}, "mappings.defaults", ["object"]),
    ],
)
def test_bad_mappings_are_config_errors(preset, overrides, field, words):
    with pytest.raises(ConfigError) as info:
        build_table(PRESETS, preset, overrides, integration="Shop")
    assert info.value.integration == "Shop"
    assert info.value.field == field
    for word in words:
        assert word in str(info.value)
