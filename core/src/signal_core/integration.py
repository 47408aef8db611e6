"""Integrations: one configured destination, loaded and validated against its vendor."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigError
from .mapping import MappingTable, build_table
from .redact import MASK, Redactor, register_secrets
from .retry import RetryPolicy
from .vendor import MIN_SECRET_LENGTH, Vendor

INTEGRATION_KEYS = frozenset(
    {
        "vendor",
        "name",
        "enabled",
        "config",
        "consent_categories",
        "preset",
        "mappings",
        "base_url",
        "retry",
        "source_id",
        "click_id_ttl_days",
        "batch_size",
    }
)
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Config(Mapping[str, Any]):
    """An integration's validated ``config``; its repr masks secret fields."""

    __slots__ = ("_data", "_secret")

    def __init__(self, data: Mapping[str, Any], secret_fields: frozenset[str]) -> None:
        self._data = dict(data)
        self._secret = secret_fields

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def redacted(self) -> dict[str, Any]:
        return {k: (MASK if k in self._secret and v else v) for k, v in self._data.items()}

    def __repr__(self) -> str:
        return f"Config({self.redacted()!r})"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("integration config is not picklable (it may hold secrets)")


@dataclass(frozen=True, eq=False)
class Integration:
    """One configured destination. Plugins read ``vendor``, ``config``, ``rules``."""

    name: str
    vendor: str
    spec: Vendor
    config: Config
    enabled: bool
    consent_categories: tuple[str, ...]
    mapping: MappingTable
    base_url: str | None
    retry: RetryPolicy
    redact: Redactor
    click_id_ttl_days: float = 30.0
    max_events_per_request: int | None = None

    @property
    def batch_size(self) -> int:
        """Events per request: the integration's ``batch_size``, at most the vendor's."""
        limit = max(1, self.spec.max_batch_size)
        own = self.max_events_per_request
        return limit if own is None else min(own, limit)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(str(self.config[f]) for f in self.spec.secret_fields if self.config.get(f))

    def with_retry(self, policy: RetryPolicy) -> Integration:
        return replace(self, retry=policy)

    def describe(self) -> dict[str, Any]:
        """A redacted view, safe to print."""
        return {
            "name": self.name,
            "vendor": self.vendor,
            "enabled": self.enabled,
            "config": self.config.redacted(),
            "consent_categories": list(self.consent_categories),
            "base_url": self.base_url,
            "mapped_events": {
                k: r.vendor_event for k, r in self.mapping.rules.items() if r.enabled
            },
            "unmapped": self.mapping.default_action,
        }

    def __repr__(self) -> str:
        return f"<Integration {self.name!r} vendor={self.vendor}>"


def expand_env(
    value: Any, *, where: str, integration: str | None, environ: Mapping[str, str] | None = None
) -> Any:
    """Expand ``${VAR}`` and ``${VAR:-default}`` in strings, recursively."""
    env = os.environ if environ is None else environ
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigError(
                f"environment variable {name} is not set", integration=integration, field=where
            )

        return _ENV.sub(sub, value)
    if isinstance(value, Mapping):
        return {
            k: expand_env(v, where=f"{where}.{k}", integration=integration, environ=env)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            expand_env(v, where=f"{where}[{i}]", integration=integration, environ=env)
            for i, v in enumerate(value)
        ]
    return value


def _validate_config(spec: Vendor, raw: Any, name: str) -> Config:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError("must be an object", integration=name, field="config")
    known = {f.name for f in spec.config}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"unknown field(s) {unknown} for vendor {spec.name!r}; known: {sorted(known)}",
            integration=name,
            field="config",
        )
    values: dict[str, Any] = {}
    for f in spec.config:
        where = f"config.{f.name}"
        value = expand_env(raw.get(f.name), where=where, integration=name)
        if value is None or value == "":
            if f.required:
                raise ConfigError("is required", integration=name, field=where)
            if f.default is not None:
                values[f.name] = f.default
            continue
        try:
            values[f.name] = f.check(value)
        except ValueError as exc:
            message = str(exc)
            if f.secret and isinstance(value, str) and len(value.strip()) >= MIN_SECRET_LENGTH:
                message = message.replace(value, MASK).replace(value.strip(), MASK)
            raise ConfigError(message, integration=name, field=where) from None
    if spec.validate is not None:
        try:
            spec.validate(values)
        except ValueError as exc:
            message = Redactor(str(values[f]) for f in spec.secret_fields if values.get(f))(
                str(exc)
            )
            raise ConfigError(message, integration=name, field="config") from None
    return Config(values, frozenset(spec.secret_fields))


def _validate_base_url(raw: Any, name: str) -> str | None:
    if raw is None:
        return None
    base = expand_env(raw, where="base_url", integration=name)
    if not isinstance(base, str):
        raise ConfigError("must be a string", integration=name, field="base_url")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("must be an http(s) URL with a host", integration=name, field="base_url")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ConfigError(
            "must be scheme, host and port only (path and query come from the vendor)",
            integration=name,
            field="base_url",
        )
    return f"{parts.scheme}://{parts.netloc}"


def load_integration(
    data: Any,
    vendors: Mapping[str, Vendor],
    *,
    retry: RetryPolicy | None = None,
    index: int = 0,
) -> Integration:
    """Validate one integration object (the Management API body shape)."""
    label = f"#{index + 1}"
    if not isinstance(data, Mapping):
        raise ConfigError("must be an object", integration=label)
    raw_name = data.get("name")
    name = raw_name if isinstance(raw_name, str) and raw_name else None
    label = name or f"#{index + 1}"
    vendor = data.get("vendor")
    if not isinstance(vendor, str) or not vendor:
        raise ConfigError("is required", integration=label, field="vendor")
    if name is None:
        name = vendor if index == 0 else f"{vendor}-{index + 1}"
        label = name
    unknown = sorted(set(data) - INTEGRATION_KEYS)
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown}; allowed: {sorted(INTEGRATION_KEYS)}", integration=label
        )
    spec = vendors.get(vendor)
    if spec is None:
        known = ", ".join(sorted(vendors)) or "none installed"
        raise ConfigError(
            f"unknown vendor {vendor!r} (installed: {known})", integration=label, field="vendor"
        )
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError("must be true or false", integration=label, field="enabled")
    config = _validate_config(spec, data.get("config"), label)
    consent = data.get("consent_categories", list(spec.consent_categories))
    if not isinstance(consent, (list, tuple)) or not all(isinstance(c, str) and c for c in consent):
        raise ConfigError(
            "must be a list of category names", integration=label, field="consent_categories"
        )
    preset = data.get("preset", spec.default_preset)
    if preset is not None and not isinstance(preset, str):
        raise ConfigError("must be a string", integration=label, field="preset")
    mapping = build_table(
        spec.presets,
        preset,
        data.get("mappings"),
        vendor_default_action=spec.unmapped,
        integration=label,
    )
    policy = retry or RetryPolicy()
    if data.get("retry") is not None:
        try:
            policy = policy.merged(data["retry"])
        except ConfigError as exc:
            raise ConfigError(exc.problem, integration=label, field=exc.field) from None
    ttl_days = data.get("click_id_ttl_days", 30.0)
    if isinstance(ttl_days, bool) or not isinstance(ttl_days, (int, float)) or ttl_days <= 0:
        raise ConfigError(
            "must be a positive number of days", integration=label, field="click_id_ttl_days"
        )
    batch_size = data.get("batch_size")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ConfigError(
            "must be a whole number of at least 1", integration=label, field="batch_size"
        )
    if batch_size is not None and batch_size > max(1, spec.max_batch_size):
        raise ConfigError(
            f"{batch_size} is more than {spec.name} accepts per request ({spec.max_batch_size})",
            integration=label,
            field="batch_size",
        )
    secrets = [str(config[f]) for f in spec.secret_fields if config.get(f)]
    register_secrets(secrets)
    return Integration(
        name=name,
        vendor=vendor,
        spec=spec,
        config=config,
        enabled=enabled,
        consent_categories=tuple(consent),
        mapping=mapping,
        base_url=_validate_base_url(data.get("base_url"), label),
        retry=policy,
        redact=Redactor(secrets),
        click_id_ttl_days=float(ttl_days),
        max_events_per_request=batch_size,
    )
