"""Exceptions raised by the core. Messages never carry URLs or secret values."""

from __future__ import annotations


class SignalError(Exception):
    """Base class of every error the SDK raises on purpose."""


class InvalidEventError(SignalError, ValueError):
    """An event that cannot be delivered as given; ``field`` names the culprit."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem

    def __reduce__(self) -> tuple[type[InvalidEventError], tuple[str, str]]:
        return (type(self), (self.field, self.problem))


class ConfigError(SignalError, ValueError):
    """A pipeline file or integration that cannot be loaded.

    ``integration`` and ``field`` locate the problem; the message never
    contains the value of a secret field.
    """

    def __init__(self, message: str, *, integration: str | None = None, field: str | None = None):
        where = []
        if integration is not None:
            where.append(f"integration {integration!r}")
        if field is not None:
            where.append(field)
        prefix = ": ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.integration = integration
        self.field = field
        self.problem = message

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_config_error, (self.problem, self.integration, self.field))


def _rebuild_config_error(message: str, integration: str | None, field: str | None) -> ConfigError:
    return ConfigError(message, integration=integration, field=field)


class DropEvent(SignalError):
    """Raised by a ``map_event`` implementation to drop an event with a reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransportError(SignalError):
    """A request that got no usable HTTP response.

    ``sent`` tells whether the request may have reached the server (so a
    retry could duplicate it). Messages name the failure, never the URL.
    """

    kind = "transport error"
    sent = True

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"{self.kind}: {detail}" if detail else self.kind)
        self.detail = detail

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.detail,))


class ConnectError(TransportError):
    kind = "connection failed"
    sent = False


class ConnectTimeout(TransportError):
    kind = "connect timeout"
    sent = False


class ReadTimeout(TransportError):
    kind = "read timeout"


class ConnectionLost(TransportError):
    """Reset, closed early, truncated body or garbage response after sending."""

    kind = "connection lost"


class TLSError(TransportError):
    kind = "TLS error"
    sent = False


class InvalidRequestError(TransportError):
    """The request itself is unsendable (bad URL, CR/LF in a header value...)."""

    kind = "invalid request"
    sent = False


class DeadlineExceeded(TransportError):
    kind = "deadline exceeded"
