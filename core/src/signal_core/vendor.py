"""What a vendor plugin declares about its vendor: config fields, presets, limits."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

Validator = Callable[[Any], Any]
"""Takes the raw value, returns the value to use, or raises ``ValueError``."""

MIN_SECRET_LENGTH = 4


@dataclass(frozen=True)
class ConfigField:
    """One key of an integration's ``config``.

    ``choices`` and ``pattern`` (a full-match regex) cover the common cases;
    ``validator`` anything else. A ``secret`` field is redacted as ``***``
    everywhere and must not carry surrounding whitespace or line breaks.
    """

    name: str
    required: bool = False
    secret: bool = False
    default: Any = None
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    validator: Validator | None = None
    kind: type = str
    description: str = ""

    def check(self, value: Any) -> Any:
        """Validate and normalise ``value``; raise ``ValueError`` naming no secret."""
        if self.kind is bool:
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
        elif self.kind in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"must be a number, got {type(value).__name__}")
            value = self.kind(value)
        elif self.kind is str:
            if not isinstance(value, str):
                raise ValueError(f"must be a string, got {type(value).__name__}")
            if self.secret and value != value.strip():
                raise ValueError("secret has surrounding whitespace or a line break")
            if self.secret and len(value) < MIN_SECRET_LENGTH:
                # A one-letter "secret" would turn every such letter in logs into ***.
                raise ValueError(f"secret is shorter than {MIN_SECRET_LENGTH} characters")
            if any(ch in value for ch in "\r\n\x00"):
                raise ValueError("must not contain line breaks or NUL")
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(repr(c) for c in self.choices)
            shown = "value" if self.secret else repr(value)
            raise ValueError(f"{shown} is not one of {allowed}")
        if self.pattern is not None and not re.fullmatch(self.pattern, str(value)):
            shown = "value" if self.secret else repr(value)
            raise ValueError(f"{shown} does not match {self.pattern}")
        if self.validator is not None:
            value = self.validator(value)
        return value


@dataclass(frozen=True)
class Vendor:
    """A vendor's declaration, returned by a plugin's ``declare_vendors`` hook.

    ``presets`` maps a preset name to its event table (source event name to a
    rule such as ``{"vendor_event": "conversion"}``); ``default_preset`` is
    used when an integration names none. ``max_batch_size`` above 1 lets
    ``send_many`` put several events in one request. ``click_ids`` are the
    landing-URL query parameters the vendor attributes by. ``hosts`` are the
    hosts its requests may go to. ``dedups`` says the vendor de-duplicates
    repeated events, so a request that may have reached it can be retried.
    """

    name: str
    config: tuple[ConfigField, ...] = ()
    presets: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    default_preset: str | None = None
    consent_categories: tuple[str, ...] = ()
    max_batch_size: int = 1
    max_batch_bytes: int | None = None
    click_ids: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    dedups: bool = False
    unmapped: str = "drop"
    description: str = ""
    validate: Callable[[Mapping[str, Any]], None] | None = None
    """Cross-field check on the validated config; raises ``ValueError`` (no secret in it)."""

    def field_named(self, name: str) -> ConfigField | None:
        for f in self.config:
            if f.name == name:
                return f
        return None

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.config if f.secret)
