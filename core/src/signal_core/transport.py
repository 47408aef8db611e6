"""The transport seam: one method, ``send(request, timeout) -> Response``.

Implementations raise :class:`~signal_core.errors.TransportError` subclasses
whose messages never contain the URL, and read at most a bounded number of
response bytes. They never follow redirects and never retry on their own:
the core owns the one retry loop.
"""

from __future__ import annotations

import http.cookiejar
import socket
import time
from typing import Any, Protocol, runtime_checkable

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from . import __version__
from .errors import (
    ConnectError,
    ConnectionLost,
    ConnectTimeout,
    DeadlineExceeded,
    InvalidRequestError,
    ReadTimeout,
    TLSError,
    TransportError,
)
from .watchdog import POOL_CLASSES, watching
from .wire import Request, Response, Timeout

USER_AGENT = f"signal-core/{__version__}"
_CHUNK = 64 * 1024


@runtime_checkable
class Transport(Protocol):
    def send(self, request: Request, timeout: Timeout) -> Response: ...


def check_request(request: Request) -> None:
    """Reject what must never reach the wire: CR/LF/NUL in headers, odd schemes."""
    if not request.url.startswith(("http://", "https://")):
        raise InvalidRequestError("URL scheme must be http or https")
    for name, value in request.headers.items():
        if not isinstance(value, str) or any(c in value for c in "\r\n\x00"):
            raise InvalidRequestError(f"header {name!r} has a line break or is not text")
        if not name or any(c in name for c in "\r\n\x00: "):
            raise InvalidRequestError("a header name is empty or has a forbidden character")


def _reason(exc: BaseException) -> object:
    """The urllib3 error inside a requests exception (unwrapping ``MaxRetryError``)."""
    inner: object = exc.args[0] if exc.args else None
    if isinstance(inner, urllib3.exceptions.MaxRetryError):
        inner = inner.reason
    return inner


def _map_requests_error(exc: requests.RequestException) -> TransportError:
    # Decided by exception types, never by text a server could have sent.
    reason = _reason(exc)
    if isinstance(exc, requests.exceptions.SSLError) or isinstance(
        reason, urllib3.exceptions.SSLError
    ):
        return TLSError("certificate or handshake rejected")
    if isinstance(reason, urllib3.exceptions.ProxyError) and isinstance(
        reason.original_error, urllib3.exceptions.NewConnectionError
    ):
        return ConnectError("proxy refused or unreachable")  # nothing was sent
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return ConnectError("refused or unreachable")
    if isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(
        reason, urllib3.exceptions.ConnectTimeoutError
    ):
        return ConnectTimeout()
    if isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(
        reason, urllib3.exceptions.ReadTimeoutError
    ):
        # With urllib3 retries off, a read timeout on GET arrives as ConnectionError.
        return ReadTimeout()
    if isinstance(
        exc,
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidHeader,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ),
    ):
        return InvalidRequestError(type(exc).__name__)
    if isinstance(exc, requests.exceptions.ConnectionError):
        if isinstance(reason, str) and (
            "NewConnectionError" in reason or "NameResolution" in reason
        ):
            return ConnectError("refused or unreachable")  # text-only errors (mocks)
        return ConnectionLost("closed, reset or answered with garbage")
    return ConnectionLost(type(exc).__name__)


# -- the attempt deadline: see watchdog.py ----------------------------------------
def read_body(raw: Any, deadline: float, limit: int) -> tuple[bytes, bool]:
    """Read at most ``limit`` bytes of a streamed urllib3 response before ``deadline``.

    Returns the bytes and whether the body ended (so the connection may go
    back to the pool). Raises ``DeadlineExceeded``, ``ReadTimeout`` or
    ``ConnectionLost`` (truncated or reset), never a urllib3 error.
    """
    chunks: list[bytes] = []
    size = 0
    complete = False
    failure: TransportError | None = None
    read1 = getattr(raw, "read1", None) or raw.read
    try:
        while size <= limit:
            if time.monotonic() > deadline:
                failure = DeadlineExceeded("while reading the response body")
                break
            chunk = read1(_CHUNK)
            if not chunk:
                complete = True
                break
            chunks.append(chunk)
            size += len(chunk)
    except Exception as exc:  # urllib3 protocol/timeout errors while streaming
        timed_out = isinstance(
            exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError, socket.timeout)
        )
        failure = ReadTimeout() if timed_out else ConnectionLost("body truncated or reset")
    if failure is not None:
        raise failure
    if not chunks:
        return b"", complete
    return b"".join(chunks)[:limit], complete


class _WatchedAdapter(HTTPAdapter):
    """An adapter whose connections register their sockets with the watchdog."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOL_CLASSES

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if hasattr(manager, "pool_classes_by_scheme"):
            manager.pool_classes_by_scheme = POOL_CLASSES
        return manager


class RequestsTransport:
    """A pooled ``requests.Session``: keep-alive, TLS verified, explicit timeouts.

    Redirects are not followed, urllib3's own retries are off, proxy and
    netrc settings from the environment are ignored (``trust_env = False``;
    pass ``proxies`` explicitly), and at most ``max_response_bytes`` of a
    body are read. ``timeout.total`` bounds the whole attempt in wall time,
    status line and headers included: a watchdog shuts the socket down when
    it runs out (the TLS handshake is bounded by the connect timeout).
    """

    def __init__(
        self,
        *,
        pool_maxsize: int = 32,
        max_response_bytes: int = 1024 * 1024,
        verify: bool | str = True,
        proxies: dict[str, str] | None = None,
    ) -> None:
        session = requests.Session()
        session.trust_env = False
        session.verify = verify
        session.headers.clear()
        session.headers["User-Agent"] = USER_AGENT
        # A vendor's Set-Cookie must never ride along with other visitors' events.
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        if proxies:
            session.proxies.update(proxies)
        no_retry = Retry(total=0, redirect=0, raise_on_redirect=False, raise_on_status=False)
        adapter = _WatchedAdapter(
            pool_connections=16, pool_maxsize=pool_maxsize, max_retries=no_retry
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._session = session
        self.max_response_bytes = max_response_bytes

    def send(self, request: Request, timeout: Timeout) -> Response:
        check_request(request)
        started = time.monotonic()
        deadline = started + timeout.total
        failure: TransportError | None = None
        resp: Any = None
        with watching(deadline) as attempt:
            try:
                resp = self._session.request(
                    request.method,
                    request.full_url,
                    headers=dict(request.headers),
                    data=request.body,
                    timeout=(timeout.connect, timeout.read),
                    allow_redirects=False,
                    stream=True,
                )
            except requests.RequestException as exc:
                failure = _map_requests_error(exc)
            except (ValueError, UnicodeError):
                failure = InvalidRequestError("URL or header cannot be encoded")
            except Exception as exc:  # whatever else a broken connection raises
                failure = ConnectionLost(f"unexpected {type(exc).__name__}")
        if failure is not None:
            if attempt.finish():  # the watchdog cut the attempt short
                failure = DeadlineExceeded("no complete response before the deadline")
            raise failure  # raised outside the except block: no URL-bearing __context__
        complete = False
        expired = False
        try:
            body, complete = read_body(resp.raw, deadline, self.max_response_bytes)
        except TransportError as exc:
            failure = exc
        finally:
            expired = attempt.finish()
            if complete and not expired:
                resp.raw.release_conn()  # back to the pool: keep-alive
            else:
                resp.close()  # oversized, truncated, timed out or shut down: drop it
        if expired:
            failure = DeadlineExceeded("while reading the response")
        if failure is not None:
            raise failure
        headers = {k.lower(): v for k, v in resp.headers.items()}
        return Response(resp.status_code, headers, body)

    def close(self) -> None:
        self._session.close()
