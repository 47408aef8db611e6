"""signal-webhook: deliver events as JSON to any HTTPS endpoint, optionally signed.

An example third-party plugin, written from ``docs/plugins.md`` and the public
API of ``signal-core`` only. Registered through the ``webhook`` entry point of
the ``signal_core.plugins`` group.
"""

from __future__ import annotations

from .hooks import build_request, classify_response, declare_vendors, map_event
from .signing import SIGNATURE_HEADER, sign, verify
from .vendor import MAX_BATCH_BYTES, MAX_BATCH_SIZE, SPEC, VENDOR

__version__ = "0.1.0"

__all__ = [
    "MAX_BATCH_BYTES",
    "MAX_BATCH_SIZE",
    "SIGNATURE_HEADER",
    "SPEC",
    "VENDOR",
    "__version__",
    "build_request",
    "classify_response",
    "declare_vendors",
    "map_event",
    "sign",
    "verify",
]
