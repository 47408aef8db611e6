"""Optional OAuth (client credentials) for the Data API: fetch, cache, refresh.

With ``client_id`` and ``client_secret`` configured, every attempt carries
``Authorization: Bearer <token>``. The token is fetched from Kameleoon's token
endpoint (through the integration's ``base_url`` when it has one), cached per
integration until shortly before ``expires_in`` runs out, and dropped when the
Data API answers 401 so the retry fetches a fresh one.

Neither the secret nor the token ever appears in an exception message, a
result, a log record or a repr: messages are built here from fixed text, HTTP
status codes and, at most, the OAuth ``error`` code of the token endpoint.
"""

from __future__ import annotations

import json
import re
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from signal_core import Integration, Request, Timeout, TransportError

if TYPE_CHECKING:  # the transport module imports requests: keep start-up light
    from signal_core.transport import Transport

TOKEN_URL = "https://api.kameleoon.com/oauth/token"  # noqa: S105 - a URL, not a secret
DEFAULT_LIFETIME = 300.0
"""Seconds a token is kept when the token endpoint gives no usable ``expires_in``."""
REFRESH_MARGIN = 60.0
"""Refresh this long before expiry (at most a tenth of the token's lifetime)."""

_TOKEN = re.compile(r"[\x21-\x7e]{1,8192}")
_OAUTH_ERROR = re.compile(r"[a-z_]{1,40}")

clock: Callable[[], float] = time.monotonic
"""Time source for token expiry (tests replace it)."""


class KameleoonAuthError(TransportError):
    """No token could be obtained; the Data API request was not sent."""

    kind = "Kameleoon OAuth error"
    sent = False
    retryable = False


class TokenUnavailable(KameleoonAuthError):
    """The token endpoint was unreachable, timed out, throttled or failed (retryable)."""

    kind = "OAuth token endpoint unavailable"
    retryable = True


class TokenRejected(KameleoonAuthError):
    """The token endpoint refused the credentials or answered nonsense (not retried)."""

    kind = "OAuth token request refused"


class IncompleteCredentials(KameleoonAuthError):
    """Only one of ``client_id`` and ``client_secret`` is configured."""

    kind = "OAuth credentials incomplete"


def credentials(integration: Integration) -> tuple[str, str] | None:
    """``(client_id, client_secret)``, ``None`` without OAuth; raise when half set."""
    config = integration.config
    client_id = config.get("client_id")
    secret = config.get("client_secret")
    if client_id and secret:
        return str(client_id), str(secret)
    if client_id or secret:
        raise IncompleteCredentials("set both client_id and client_secret, or neither")
    return None


def token_request(integration: Integration, client_id: str, secret: str) -> Request:
    body = urlencode(
        (
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        )
    ).encode("ascii")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    request = Request("POST", TOKEN_URL, (), headers, body)
    if integration.base_url:
        request = request.with_base_url(integration.base_url)
    return request


def _lifetime(value: Any) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return DEFAULT_LIFETIME
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return DEFAULT_LIFETIME
    if not 0 < value < 10 * 365 * 86400:
        return DEFAULT_LIFETIME
    return float(value)


def _oauth_error(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    code = data.get("error") if isinstance(data, dict) else None
    if isinstance(code, str) and _OAUTH_ERROR.fullmatch(code):
        return f" ({code})"
    return ""


def fetch_token(integration: Integration, transport: Transport) -> tuple[str, float]:
    """Ask the token endpoint; return the token and its lifetime in seconds."""
    creds = credentials(integration)
    if creds is None:  # pragma: no cover - callers check first
        raise IncompleteCredentials("no client credentials configured")
    request = token_request(integration, *creds)
    policy = integration.retry
    timeout = Timeout(
        connect=policy.connect_timeout,
        read=policy.read_timeout,
        total=min(policy.deadline, policy.connect_timeout + policy.read_timeout),
    )
    failure: TokenUnavailable | None = None
    try:
        response = transport.send(request, timeout)
    except TransportError as exc:
        failure = TokenUnavailable(exc.kind)
    if failure is not None:
        raise failure  # outside the except block: no chained transport error
    status = response.status
    if status == 408 or status == 429 or status >= 500:
        raise TokenUnavailable(f"HTTP {status} from the token endpoint")
    if status in (400, 401, 403):
        raise TokenRejected(
            f"HTTP {status}{_oauth_error(response.body)}: check client_id and client_secret"
        )
    if not 200 <= status < 300:
        raise TokenRejected(f"HTTP {status} from the token endpoint")
    try:
        data = json.loads(response.body)
    except ValueError:
        data = None
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise TokenRejected("the token endpoint answered without a usable access_token")
    return token, _lifetime(data.get("expires_in"))


class TokenCache:
    """One integration's token; thread-safe, one fetch at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.fetches = 0

    def get(self, fetch: Callable[[], tuple[str, float]]) -> str:
        with self._lock:
            if self._token is not None and clock() < self._expires_at:
                return self._token
            self._token = None
            token, lifetime = fetch()
            self.fetches += 1
            margin = min(REFRESH_MARGIN, lifetime / 10)
            self._token, self._expires_at = token, clock() + lifetime - margin
            return token

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def __repr__(self) -> str:  # never show the token
        return f"<TokenCache cached={self._token is not None}>"


_caches: weakref.WeakKeyDictionary[Integration, TokenCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(integration: Integration) -> TokenCache:
    with _caches_lock:
        cache = _caches.get(integration)
        if cache is None:
            cache = _caches[integration] = TokenCache()
        return cache


def authorize(request: Request, integration: Integration, transport: Transport) -> Request:
    """``request`` with a bearer token when OAuth is configured, else unchanged."""
    if credentials(integration) is None:
        return request
    token = cache_for(integration).get(lambda: fetch_token(integration, transport))
    return request.with_headers({"Authorization": f"Bearer {token}"})
