"""Consent: may this event go to this integration?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError
from .events import Event


@dataclass(frozen=True)
class ConsentSettings:
    """``required``: an event without consent data is skipped instead of delivered."""

    required: bool = False

    @classmethod
    def from_config(cls, raw: Any) -> ConsentSettings:
        if raw is None:
            return cls()
        if isinstance(raw, ConsentSettings):
            return raw
        if not isinstance(raw, Mapping):
            raise ConfigError("must be a table", field="consent")
        unknown = set(raw) - {"required"}
        if unknown:
            raise ConfigError(f"unknown key(s) {sorted(unknown)}", field="consent")
        required = raw.get("required", False)
        if not isinstance(required, bool):
            raise ConfigError("must be true or false", field="consent.required")
        return cls(required=required)

    def skip_reason(self, event: Event, categories: tuple[str, ...]) -> str | None:
        """Why the event must be skipped, or ``None`` when it may be delivered."""
        if not categories:
            return None
        consent = event.context.get("consent")
        granted = consent.get("categories") if isinstance(consent, dict) else None
        if not isinstance(granted, dict):
            if self.required:
                return "no consent data on the event and the pipeline requires consent"
            return None
        denied = [c for c in categories if granted.get(c) is False]
        if denied:
            return f"consent denied for {', '.join(denied)}"
        if self.required:
            missing = [c for c in categories if granted.get(c) is not True]
            if missing:
                return f"consent not granted for {', '.join(missing)} (consent is required)"
        return None
