"""signal-knorex: Knorex XPO server-to-server conversion postbacks for the Signal SDK.

Registered through the ``signal_core.plugins`` entry point ``knorex``; this
module is the plugin object, so it exposes the hook implementations.
"""

from __future__ import annotations

from .hooks import build_request, classify_response, declare_vendors, map_event
from .mapping import render_number
from .template import PLACEHOLDERS, PostbackTemplate, compile_template
from .vendor import KNOREX

__version__ = "0.1.0"

__all__ = [
    "KNOREX",
    "PLACEHOLDERS",
    "PostbackTemplate",
    "__version__",
    "build_request",
    "classify_response",
    "compile_template",
    "declare_vendors",
    "map_event",
    "render_number",
]
