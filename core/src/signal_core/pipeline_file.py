"""Reading a pipeline file (TOML or JSON) into ``Pipeline`` keyword arguments."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PIPELINE_KEYS = frozenset({"integrations", "retry", "timeout", "consent", "state"})


def read_pipeline_file(path: str | Path) -> dict[str, Any]:
    """Parse ``path``; ``.json`` files as JSON, anything else as TOML."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read pipeline file {str(path)!r}: {exc.strerror}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if path.suffix.lower() == ".json" else "TOML"
        raise ConfigError(f"{path.name} is not valid {kind}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name} must hold an object at the top level")
    unknown = sorted(set(data) - PIPELINE_KEYS)
    if unknown:
        raise ConfigError(
            f"{path.name}: unknown key(s) {unknown}; allowed: {sorted(PIPELINE_KEYS)}"
        )
    integrations = data.get("integrations")
    if not isinstance(integrations, list) or not integrations:
        raise ConfigError(f"{path.name}: 'integrations' must be a non-empty list")
    return data
