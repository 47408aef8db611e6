"""signal-kargo: deliver conversion events to Kargo server to server.

Registered through the ``kargo`` entry point of the ``signal_core.plugins``
group; the hook implementations live in :mod:`signal_kargo.hooks`.
"""

from __future__ import annotations

from .hooks import build_request, classify_response, declare_vendors, id_sync, map_event
from .mapping import KargoPayload
from .vendor import DEFAULT_ENDPOINT, KARGO

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_ENDPOINT",
    "KARGO",
    "KargoPayload",
    "__version__",
    "build_request",
    "classify_response",
    "declare_vendors",
    "id_sync",
    "map_event",
]
