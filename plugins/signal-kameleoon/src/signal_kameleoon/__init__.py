"""signal-kameleoon: page views and conversion goals to the Kameleoon Data API.

Installed, it registers the ``kameleoon`` vendor with signal-core through the
``signal_core.plugins`` entry point. See the README for configuration.
"""

from __future__ import annotations

from .hooks import (
    authorize_request,
    build_request,
    classify_response,
    declare_vendors,
    map_event,
)
from .mapping import nonce_for
from .vendor import KAMELEOON

__version__ = "0.1.0"

__all__ = [
    "KAMELEOON",
    "__version__",
    "authorize_request",
    "build_request",
    "classify_response",
    "declare_vendors",
    "map_event",
    "nonce_for",
]
