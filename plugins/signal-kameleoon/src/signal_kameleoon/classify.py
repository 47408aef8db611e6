"""What is special about Kameleoon's answers; everything else is the core default.

413 is never answered here: the core's default splits the batch.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from signal_core import Integration, Outcome, Request, Response
from signal_core.errors import TransportError

from . import auth

REFRESH_WINDOW = 60.0
"""A second 401 for the same request within this many seconds fails it."""
_MAX_TRACKED = 1024

_REASONS = {
    400: "400 Bad Request: nonce or eventType missing or body malformed (check the event mapping)",
    403: (
        "403 Forbidden: Kameleoon refused the request (it rejects bot and spider user "
        "agents, or access to the project is denied); not retried"
    ),
}

# Requests answered 401 once already: (integration, URL, body) -> when.
_refreshed: OrderedDict[tuple[str, str, bytes | None], float] = OrderedDict()
_refreshed_lock = threading.Lock()


def _key(request: Request, integration: Integration) -> tuple[str, str, bytes | None]:
    return (integration.name, request.full_url, request.body)


def _forget(request: Request, integration: Integration) -> None:
    if _refreshed:  # cheap check first: empty unless a 401 is being retried
        with _refreshed_lock:
            _refreshed.pop(_key(request, integration), None)


def _first_401(request: Request, integration: Integration) -> bool:
    """Record a 401; ``True`` unless the same request already got one just now."""
    key = _key(request, integration)
    now = auth.clock()
    with _refreshed_lock:
        seen = _refreshed.pop(key, None)
        if seen is not None and now - seen < REFRESH_WINDOW:
            return False
        _refreshed[key] = now
        while len(_refreshed) > _MAX_TRACKED:
            _refreshed.popitem(last=False)
        return True


def _unauthorized(request: Request, integration: Integration) -> Outcome:
    try:
        oauth = auth.credentials(integration) is not None
    except auth.KameleoonAuthError:
        oauth = False
    if not oauth:
        return Outcome.failed(
            "401 Unauthorized: Kameleoon asked for a token; configure client_id and "
            "client_secret for this integration"
        )
    if _first_401(request, integration):
        auth.cache_for(integration).invalidate()
        return Outcome.retry(
            "401 Unauthorized: the OAuth token was refused; retrying once with a fresh token",
            retry_after=0.0,
        )
    return Outcome.failed(
        "401 Unauthorized: Kameleoon refused a freshly fetched OAuth token too; check that "
        "client_id and client_secret belong to this project"
    )


def classify(
    request: Request,
    response: Response | None,
    error: TransportError | None,
    integration: Integration,
) -> Outcome | None:
    if error is not None:
        if isinstance(error, auth.KameleoonAuthError):
            if error.retryable:
                return Outcome.retry(str(error))
            return Outcome.failed(str(error))
        return None
    if response is None:
        return None
    status = response.status
    if status == 401:
        return _unauthorized(request, integration)
    _forget(request, integration)
    if status == 404:
        config = integration.config
        return Outcome.failed(
            "404 Not Found: the data region is wrong: is the account on eu or na? "
            f"(configured: region {config.get('region')!r}, "
            f"domain kameleoon.{config.get('domain_tld') or 'io'})"
        )
    if status == 429:
        hint = (
            "even with OAuth; ask Kameleoon to raise the limit"
            if integration.config.get("client_id")
            else "configure client_id and client_secret: the optional OAuth JWT raises the limit"
        )
        return Outcome.retry(
            f"429 Too Many Requests: Kameleoon rate limit reached ({hint})", throttled=True
        )
    reason = _REASONS.get(status)
    return Outcome.failed(reason) if reason is not None else None
