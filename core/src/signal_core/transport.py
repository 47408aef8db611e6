"""The transport seam: one method, ``send(request, timeout) -> Response``.

Implementations raise :class:`~signal_core.errors.TransportError` subclasses
whose messages never contain the URL, and read at most a bounded number of
response bytes. They never follow redirects and never retry on their own:
the core owns the one retry loop.
"""

from __future__ import annotations

import time
from typing import Any, Protocol, runtime_checkable

import requests
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


def _map_requests_error(exc: requests.RequestException) -> TransportError:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ConnectTimeout()
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return ReadTimeout()
    if isinstance(exc, requests.exceptions.SSLError):
        return TLSError("certificate or handshake rejected")
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
        text = repr(exc.args)
        if "NewConnectionError" in text or "refused" in text.lower() or "NameResolution" in text:
            return ConnectError("refused or unreachable")
        return ConnectionLost("closed, reset or answered with garbage")
    return ConnectionLost(type(exc).__name__)


class RequestsTransport:
    """A pooled ``requests.Session``: keep-alive, TLS verified, explicit timeouts.

    Redirects are not followed, urllib3's own retries are off, proxy and
    netrc settings from the environment are ignored (``trust_env = False``;
    pass ``proxies`` explicitly), and at most ``max_response_bytes`` of a
    body are read.
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
        if proxies:
            session.proxies.update(proxies)
        no_retry = Retry(total=0, redirect=0, raise_on_redirect=False, raise_on_status=False)
        adapter = HTTPAdapter(pool_connections=16, pool_maxsize=pool_maxsize, max_retries=no_retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._session = session
        self.max_response_bytes = max_response_bytes

    def send(self, request: Request, timeout: Timeout) -> Response:
        check_request(request)
        started = time.monotonic()
        failure: TransportError | None = None
        resp: Any = None
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
        if failure is not None:
            raise failure  # raised outside the except block: no URL-bearing __context__
        complete = False
        try:
            body, complete = self._read_body(resp.raw, started + timeout.total)
        finally:
            if complete:
                resp.raw.release_conn()  # back to the pool: keep-alive
            else:
                resp.close()  # oversized, truncated or timed out: drop the connection
        headers = {k.lower(): v for k, v in resp.headers.items()}
        return Response(resp.status_code, headers, body)

    def _read_body(self, raw: Any, deadline: float) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        complete = False
        failure: TransportError | None = None
        read1 = getattr(raw, "read1", None) or raw.read
        try:
            while size <= self.max_response_bytes:
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
            timed_out = "timed out" in str(exc).lower()
            failure = ReadTimeout() if timed_out else ConnectionLost("body truncated or reset")
        if failure is not None:
            raise failure
        return b"".join(chunks)[: self.max_response_bytes], complete

    def close(self) -> None:
        self._session.close()
