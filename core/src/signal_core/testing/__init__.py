"""The test kit shipped with the core, for the core's tests and for plugin authors.

* :class:`FakeClock` never sleeps: ``sleep`` advances its time and records
  the duration, and ``random`` returns a pinned draw (1.0 by default), so
  backoff schedules are exact.
* :class:`Sandbox` is a recording HTTP server on 127.0.0.1 standing in for a
  vendor (``Reply`` scripts its answers, ``Recorded`` is what it saw).
* :func:`make_event`, :func:`track`, :func:`page`, :func:`identify` build
  valid events with sensible defaults.
* :class:`RecordingTransport` and :class:`NoNetworkTransport` record what a
  pipeline sends, or prove that it sends nothing.
* :class:`VendorConformance` is the generic test suite a vendor plugin's
  tests subclass (it needs pytest; imported on first use).

Installed with the core as a pytest plugin (entry point ``pytest11``:
:mod:`signal_core.testing.pytest_plugin`), which adds the fixtures
``signal_sandbox``, ``signal_sandbox_factory``, ``fake_clock``,
``make_event``, ``signal_plugin_manager``, ``register_plugin`` and
``signal_pipeline``. See ``docs/plugins.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..sandbox import Recorded, Reply, Sandbox
from .builders import identify, make_event, page, track
from .fakes import FakeClock, NoNetworkTransport, RecordingTransport, SentRequest, closed_port

if TYPE_CHECKING:
    from .conformance import VendorConformance

__all__ = [
    "FakeClock",
    "NoNetworkTransport",
    "Recorded",
    "RecordingTransport",
    "Reply",
    "Sandbox",
    "SentRequest",
    "VendorConformance",
    "closed_port",
    "identify",
    "make_event",
    "page",
    "track",
]


def __getattr__(name: str) -> Any:
    # The conformance suite needs pytest; FakeClock and Sandbox must not.
    if name == "VendorConformance":
        from .conformance import VendorConformance

        return VendorConformance
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
