"""A vendor payload produced by ``map_event``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Payload:
    """One vendor-shaped record plus notes for the delivery result.

    ``data`` is what the vendor expects (a JSON object, query parameters...);
    ``notes`` are human remarks carried to the result ("no kgid: Kargo will
    likely not attribute this conversion"). ``event_id`` is filled by the core.
    """

    data: dict[str, Any]
    notes: tuple[str, ...] = ()
    event_id: str = field(default="", compare=False)
