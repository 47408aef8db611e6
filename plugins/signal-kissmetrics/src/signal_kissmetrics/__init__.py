"""signal-kissmetrics: deliver Signal events to the Kissmetrics tracking API.

Registered through the ``signal_core.plugins`` entry point ``kissmetrics``.
"""

from __future__ import annotations

from .hooks import build_request, classify_response, declare_vendors, map_event
from .vendor import VENDOR

__version__ = "0.1.0"

__all__ = [
    "VENDOR",
    "__version__",
    "build_request",
    "classify_response",
    "declare_vendors",
    "map_event",
]
