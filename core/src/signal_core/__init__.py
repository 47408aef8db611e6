"""signal-core: deliver first-party events to vendors, server to server."""

from __future__ import annotations

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
from .pipeline import Pipeline
from .results import DeliveryResult, SendSummary, Status
from .retry import RetryPolicy
from .vendor import ConfigField, Vendor
from .wire import Request, Response, Timeout

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
