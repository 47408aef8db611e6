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

PIPELINE_KEYS = frozenset({"integrations", "retry", "timeout", "consent"})


def read_pipeline_file(path: str | Path) -> dict[str, Any]:
    """Parse ``path``; ``.json`` files as JSON, anything else as TOML."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read pipeline file {str(path)!r}: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path.name} is not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from None
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
