"""Presets and per-integration overrides: which events go out, under what name.

Every plugin gets the same semantics from here:

* a rule names the ``vendor_event`` for a source event (a track event's name,
  or ``page`` / ``identify``);
* ``rename`` renames event properties before the plugin sees them;
* ``values`` fills properties the event does not carry (a fixed goal id...);
* ``enabled: false`` drops the event;
* ``defaults.action`` says what happens to unmapped events: ``drop`` or
  ``passthrough`` (send under the source name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .errors import ConfigError

ACTIONS = ("drop", "passthrough")
_RULE_KEYS = frozenset({"vendor_event", "values", "rename", "enabled"})
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class EventRule:
    """How one source event is delivered by one integration."""

    source: str
    vendor_event: str
    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    rename: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    enabled: bool = True

    def apply(self, properties: Mapping[str, Any]) -> dict[str, Any]:
        """Rename properties, then fill in fixed values the event lacks."""
        if not self.rename and not self.values:
            return properties if isinstance(properties, dict) else dict(properties)
        out: dict[str, Any] = {}
        for key, value in properties.items():
            out[self.rename.get(key, key)] = value
        for key, value in self.values.items():
            out.setdefault(key, value)
        return out


@dataclass(frozen=True)
class MappingTable:
    """The resolved rules of one integration."""

    rules: Mapping[str, EventRule]
    default_action: str = "drop"

    def rule_for(self, source: str) -> EventRule | None:
        rule = self.rules.get(source)
        if rule is None and self.default_action == "passthrough":
            return EventRule(source, source)
        return rule


def _parse_rule(source: str, spec: Any, base: EventRule | None, where: str) -> EventRule:
    if not isinstance(spec, Mapping):
        raise ConfigError("must be an object", field=where)
    unknown = set(spec) - _RULE_KEYS
    if unknown:
        raise ConfigError(
            f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_RULE_KEYS)}", field=where
        )
    vendor_event = spec.get("vendor_event", base.vendor_event if base else source)
    if not isinstance(vendor_event, str) or not vendor_event:
        raise ConfigError("vendor_event must be a non-empty string", field=where)
    values = dict(base.values) if base else {}
    new_values = spec.get("values", {})
    if not isinstance(new_values, Mapping):
        raise ConfigError("values must be an object", field=where)
    values.update(new_values)
    rename = dict(base.rename) if base else {}
    new_rename = spec.get("rename", {})
    if not isinstance(new_rename, Mapping) or not all(
        isinstance(v, str) and v for v in new_rename.values()
    ):
        raise ConfigError("rename must map property names to new names", field=where)
    rename.update(new_rename)
    enabled = spec.get("enabled", base.enabled if base else True)
    if not isinstance(enabled, bool):
        raise ConfigError("enabled must be true or false", field=where)
    return EventRule(
        source,
        vendor_event,
        MappingProxyType(values),
        MappingProxyType(rename),
        enabled,
    )


def build_table(
    presets: Mapping[str, Mapping[str, Mapping[str, Any]]],
    preset: str | None,
    overrides: Any,
    *,
    vendor_default_action: str = "drop",
    integration: str | None = None,
) -> MappingTable:
    """Resolve ``preset`` plus the integration's ``mappings`` into a table."""
    rules: dict[str, EventRule] = {}
    if preset is not None:
        if preset not in presets:
            known = ", ".join(sorted(presets)) or "none"
            raise ConfigError(
                f"unknown preset {preset!r} (known: {known})",
                integration=integration,
                field="preset",
            )
        for source, spec in presets[preset].items():
            rules[source] = _parse_rule(source, spec, None, f"preset {preset}.{source}")
    overrides = overrides or {}
    if not isinstance(overrides, Mapping):
        raise ConfigError("must be an object", integration=integration, field="mappings")
    unknown = set(overrides) - {"events", "defaults"}
    if unknown:
        raise ConfigError(
            f"unknown key(s) {sorted(unknown)}; allowed: events, defaults",
            integration=integration,
            field="mappings",
        )
    events = overrides.get("events", {})
    if not isinstance(events, Mapping):
        raise ConfigError("must be an object", integration=integration, field="mappings.events")
    for source, spec in events.items():
        try:
            rules[source] = _parse_rule(
                source, spec, rules.get(source), f"mappings.events.{source}"
            )
        except ConfigError as exc:
            raise ConfigError(exc.problem, integration=integration, field=exc.field) from None
    defaults = overrides.get("defaults", {})
    if not isinstance(defaults, Mapping):
        raise ConfigError("must be an object", integration=integration, field="mappings.defaults")
    action = defaults.get("action", vendor_default_action)
    if action not in ACTIONS:
        raise ConfigError(
            f"must be one of {', '.join(ACTIONS)}",
            integration=integration,
            field="mappings.defaults.action",
        )
    return MappingTable(MappingProxyType(rules), action)
