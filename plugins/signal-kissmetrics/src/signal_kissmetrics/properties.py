"""Kissmetrics rules for property names and values, applied before sending.

* Names: snake_case / lower-case keys become readable (``order_id`` ->
  ``Order ID``); any other key is kept as written (a rename from the
  mappings such as ``Order Number`` stays as is). Commas and colons become
  spaces, surrounding blanks and leading underscores (reserved for
  Kissmetrics' own ``_k``, ``_p``... parameters) are removed, and a name is
  cut to 255 characters.
* Values: strings as given, booleans ``true`` / ``false``, integers as
  digits, floats with at least two decimals (``7.2`` -> ``7.20``) and all the
  digits needed to give the number back, never an exponent. Nested objects
  are flattened under dotted names (``Shipping.City``), arrays joined with
  ``", "``, nulls (and empty arrays and objects) omitted. A value is cut to
  8 KiB of UTF-8.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

MAX_NAME_CHARS = 255
MAX_VALUE_BYTES = 8192
ARRAY_SEPARATOR = ", "

_SNAKE = re.compile(r"[a-z0-9_]+")
_FORBIDDEN = str.maketrans({",": " ", ":": " "})
# Words written in capitals once a snake_case key is made readable.
_ACRONYMS = {
    "id": "ID",
    "ids": "IDs",
    "url": "URL",
    "urls": "URLs",
    "uri": "URI",
    "sku": "SKU",
    "skus": "SKUs",
    "ip": "IP",
    "utm": "UTM",
    "uuid": "UUID",
    "api": "API",
}


@lru_cache(maxsize=8192)
def humanize(key: str) -> str:
    """``order_id`` -> ``Order ID``; keys that are not snake_case are kept."""
    if not _SNAKE.fullmatch(key):
        return key
    words = [w for w in key.split("_") if w]
    return " ".join(_ACRONYMS.get(w) or w[0].upper() + w[1:] for w in words)


@lru_cache(maxsize=8192)
def clean_name(name: str) -> tuple[str, str | None]:
    """Apply Kissmetrics' name rules; returns the name to send (``""`` to
    drop it) and a note when the name had to change beyond the usual rules."""
    cleaned = name.translate(_FORBIDDEN).strip()
    notes = []
    if cleaned.startswith("_"):
        cleaned = cleaned.lstrip("_ ")
        notes.append(f"starts with '_' (reserved by Kissmetrics): sent as {_short(cleaned)}")
    if not cleaned:
        return "", f"name {_short(name)} is empty under Kissmetrics' name rules: dropped"
    if len(cleaned) > MAX_NAME_CHARS:
        cleaned = cleaned[:MAX_NAME_CHARS].rstrip()
        notes.append(f"is longer than {MAX_NAME_CHARS} characters: truncated")
    if not notes:
        return cleaned, None
    return cleaned, f"name {_short(name)} " + " and ".join(notes)


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def render_float(number: float) -> str:
    """Shortest round-trip digits, at least two decimals, no exponent."""
    text = repr(number)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    whole, _, frac = text.partition(".")
    if len(frac) < 2:
        frac = frac.ljust(2, "0")
    return f"{whole}.{frac}"


def render_scalar(value: Any) -> str:
    """One scalar as Kissmetrics text (strings unchanged)."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return render_float(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _render_item(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return render_scalar(value)


class PropertyWriter:
    """Collects ``(name, value)`` pairs under the rules above, in order.

    Names are compared case-insensitively (Kissmetrics does): the first
    value written for a name wins and the later one is noted and dropped.
    """

    __slots__ = ("_seen", "notes", "pairs")

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs
        self.notes: list[str] = []
        self._seen: set[str] = set()

    def add_all(self, items: Iterable[tuple[str, Any]]) -> None:
        """Add each ``(key, value)`` under the key's readable name."""
        for key, value in items:
            if value is not None:
                self._add(humanize(key), value)

    def add_missing(self, name: str, value: Any) -> None:
        """Add ``name`` (kept as written) unless a value for it was already written."""
        if value is not None and name.lower() not in self._seen:
            self._add(name, value)

    def _add(self, name: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                if inner is not None:
                    self._add(f"{name}.{humanize(key)}", inner)
            return
        if isinstance(value, (list, tuple)):
            text = ARRAY_SEPARATOR.join(_render_item(v) for v in value if v is not None)
            if not text:
                return
        else:
            text = render_scalar(value)
        final, note = clean_name(name)
        if note is not None:
            self.notes.append(f"property {note}")
        if not final:
            return
        folded = final.lower()
        if folded in self._seen:
            self.notes.append(f"property {_short(final)} given twice: kept the first value")
            return
        self._seen.add(folded)
        if len(text) > MAX_VALUE_BYTES // 4:
            text = self._limit(final, text)
        self.pairs.append((final, text))

    def _limit(self, name: str, text: str) -> str:
        data = text.encode("utf-8")
        if len(data) <= MAX_VALUE_BYTES:
            return text
        self.notes.append(
            f"property {_short(name)} value of {len(data)} bytes truncated to "
            f"{MAX_VALUE_BYTES} (Kissmetrics' limit)"
        )
        return data[:MAX_VALUE_BYTES].decode("utf-8", errors="ignore")
