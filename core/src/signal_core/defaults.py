"""The core's own hook implementations, registered like any plugin."""

from __future__ import annotations

from http import HTTPStatus

from .errors import ConnectError, ConnectTimeout, TransportError
from .hookspecs import hookimpl
from .integration import Integration
from .outcome import Outcome
from .wire import Request, Response


def status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


@hookimpl(trylast=True)
def classify_response(
    request: Request,
    response: Response | None,
    error: TransportError | None,
    integration: Integration,
) -> Outcome:
    """Default classification, used for whatever a vendor plugin leaves unanswered."""
    policy = integration.retry
    if error is not None or response is None:
        err = error or TransportError("no response")
        if isinstance(err, (ConnectError, ConnectTimeout)):
            return Outcome.retry(str(err))
        if err.sent and integration.spec.dedups:
            return Outcome.retry(f"{err} (safe to retry: {integration.vendor} de-duplicates)")
        if err.sent:
            return Outcome.failed(
                f"{err} after the request was sent; not retried because "
                f"{integration.vendor} may have received it and does not de-duplicate"
            )
        return Outcome.failed(str(err))
    status = response.status
    text = status_text(status)
    if 200 <= status < 300:
        return Outcome.delivered(f"{text}")
    if 300 <= status < 400:
        return Outcome.failed(f"{text}: redirects are not followed (check the endpoint)")
    if status == 413:
        return Outcome.failed(f"{text}: request too large", split=True)
    if policy.is_retryable_status(status):
        return Outcome.retry(f"{text} from {integration.vendor}", throttled=status == 429)
    return Outcome.failed(f"{text} from {integration.vendor}")
