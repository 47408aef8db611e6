"""signal-core: deliver first-party events to vendors, server to server."""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    ConfigError,
    DropEvent,
    InvalidEventError,
    SignalError,
    TransportError,
)
from .events import Event  # noqa: E402
from .hookspecs import hookimpl  # noqa: E402
from .wire import Request, Response, Timeout  # noqa: E402
from .integration import Integration  # noqa: E402
from .mapping import EventRule  # noqa: E402
from .outcome import Outcome, Verdict  # noqa: E402
from .payload import Payload  # noqa: E402
from .pipeline import Pipeline  # noqa: E402
from .results import DeliveryResult, SendSummary, Status  # noqa: E402
from .retry import RetryPolicy  # noqa: E402
from .vendor import ConfigField, Vendor  # noqa: E402

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
