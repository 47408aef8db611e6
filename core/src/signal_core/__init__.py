"""signal-core: deliver first-party events to vendors, server to server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .errors import (
    ConfigError,
    DropEvent,
    InvalidEventError,
    SignalError,
    TransportError,
)
from .events import Event
from .hookspecs import hookimpl
from .integration import Integration
from .mapping import EventRule
from .outcome import Outcome, Verdict
from .payload import Payload
from .results import DeliveryResult, SendSummary, Status
from .retry import RetryPolicy
from .vendor import ConfigField, Vendor
from .wire import Request, Response, Timeout

if TYPE_CHECKING:
    from .pipeline import Pipeline


def __getattr__(name: str) -> Any:
    # PEP 562: the pipeline (and with it the HTTP stack) is imported on first use,
    # so plugins and `signal plugins` start without importing requests/urllib3.
    if name == "Pipeline":
        from .pipeline import Pipeline

        globals()["Pipeline"] = Pipeline
        return Pipeline
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "ConfigField",
    "DeliveryResult",
    "DropEvent",
    "Event",
    "EventRule",
    "Integration",
    "InvalidEventError",
    "Outcome",
    "Payload",
    "Pipeline",
    "Request",
    "Response",
    "RetryPolicy",
    "SendSummary",
    "SignalError",
    "Status",
    "Timeout",
    "TransportError",
    "Vendor",
    "Verdict",
    "__version__",
    "hookimpl",
]
