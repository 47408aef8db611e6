"""A lean transport on urllib3 alone, under the same seam as ``RequestsTransport``.

``Urllib3Transport().send(request, timeout) -> Response`` puts the same bytes
on the wire as :class:`~signal_core.transport.RequestsTransport` (request
line, header order and case, ``Accept-Encoding: identity``, ``User-Agent:
signal-core/VERSION``, ``Content-Length`` rules, URL re-quoting, proxies) and
raises the same :class:`~signal_core.errors.TransportError` types, without a
URL in any message. It skips what ``requests`` adds per request that an SDK
does not need (hooks, cookie jar, environment merging, redirect machinery),
which makes a loopback round trip about twice as fast.

Two deliberate differences, both fixes: no cookie jar (a ``Set-Cookie`` from
a vendor is never sent back with later events of other users), and a read
timeout is a :class:`~signal_core.errors.ReadTimeout` for every method
(``requests`` with retries off reports it on GET as a lost connection).

Use it with ``Pipeline(integrations, transport=Urllib3Transport())``.
"""

from __future__ import annotations

import os
import re
import ssl
import threading
import time
from base64 import b64encode
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlparse, urlsplit, urlunparse

import urllib3
from urllib3 import exceptions as u3
from urllib3.util import parse_url
from urllib3.util.retry import Retry
from urllib3.util.ssl_ import create_urllib3_context

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
from .redact import install_log_filter
from .transport import USER_AGENT, check_request, read_body
from .watchdog import POOL_CLASSES, watching
from .wire import Request, Response, Timeout, encode_query

__all__ = ["Urllib3Transport"]

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# The header checks requests applies before sending (requests._internal_utils).
_VALID_NAME = re.compile(r"^[^:\s][^:\r\n]*$")
_VALID_VALUE = re.compile(r"^\S[^\r\n]*$|^$")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# No retries, no redirects: the core owns the one retry loop.
_NO_RETRY = Retry(total=False, redirect=False)


class _BadURL(Exception):
    """Internal: the URL cannot be prepared; ``args[0]`` names the problem."""


class _Target(NamedTuple):
    """A URL prepared the way requests prepares it, split for urllib3."""

    scheme: str
    host: str
    port: int | None
    path: str  # path plus the URL's own query: the request target
    query: str | None  # the URL's own query (None when the URL has no "?")
    absolute: str  # the full URL without fragment and user info (for HTTP proxies)
    authorization: str | None  # Basic credentials from user info in the URL


def _unquote_unreserved(uri: str) -> str:
    parts = uri.split("%")
    for i in range(1, len(parts)):
        h = parts[i][0:2]
        if len(h) == 2 and h.isalnum():
            try:
                c = chr(int(h, 16))
            except ValueError:
                raise _BadURL("InvalidURL") from None
            parts[i] = c + parts[i][2:] if c in _UNRESERVED else f"%{parts[i]}"
        else:
            parts[i] = f"%{parts[i]}"
    return "".join(parts)


def _requote(uri: str) -> str:
    """requests.utils.requote_uri."""
    try:
        return quote(_unquote_unreserved(uri), safe="!#$%&'()*+,/:;=?@[]~")
    except _BadURL:
        return quote(uri, safe="!#$&'()*+,/:;=?@[]~")


def _basic_auth(username: str, password: str) -> str:
    raw = f"{username}:{password}".encode("latin-1")
    return "Basic " + b64encode(raw).decode("ascii")


def _prepare_url(url: str) -> _Target:
    """PreparedRequest.prepare_url, then what HTTPAdapter derives from it."""
    try:
        scheme, auth, host, port, path, query, fragment = parse_url(url)
    except u3.LocationParseError:
        raise _BadURL("InvalidURL") from None
    if not scheme:
        raise _BadURL("MissingSchema")
    if not host:
        raise _BadURL("InvalidURL")
    if not host.isascii() or host.startswith(("*", ".")):
        raise _BadURL("InvalidURL")
    netloc = f"{auth}@" if auth else ""
    netloc += host
    if port:
        netloc += f":{port}"
    prepared = _requote(urlunparse((scheme, netloc, path or "/", "", query or "", fragment or "")))
    parts = urlsplit(prepared)
    try:
        port_number = parts.port
    except ValueError:
        raise _BadURL("InvalidURL") from None
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    authorization = None
    if parts.username is not None and parts.password is not None:  # get_auth_from_url
        user, password = unquote(parts.username), unquote(parts.password)
        if user or password:
            authorization = _basic_auth(user, password)
    whole = urlparse(prepared)  # requests.utils.urldefragauth
    netloc_plain = whole.netloc.rsplit("@", 1)[-1]
    absolute = urlunparse((whole.scheme, netloc_plain, whole.path, whole.params, whole.query, ""))
    return _Target(
        parts.scheme.lower(),
        parts.hostname or "",
        port_number,
        target,
        parts.query if "?" in prepared else None,
        absolute,
        authorization,
    )


@lru_cache(maxsize=512)
def _prepare_base(url: str) -> _Target | None:
    """``_prepare_url`` of a request's URL, or None when a query cannot simply
    be appended to it (fragment, broken percent escapes)."""
    if "#" in url:
        return None
    if _STRAY_PERCENT.search(url):  # every "%" of the URL is re-escaped, the query's too
        return None
    return _prepare_url(url)


def _target_for(request: Request) -> _Target:
    """The prepared target of ``request.full_url``, cached per base URL.

    A query from :func:`encode_query` holds only unreserved characters,
    ``=``, ``&`` and upper-case percent escapes, which re-quoting leaves as
    they are, so it is appended to the prepared base URL.
    """
    base = _prepare_base(request.url)
    if not request.query:
        return base if base is not None else _prepare_url(request.url)
    if base is None:
        return _prepare_url(request.full_url)
    encoded = encode_query(request.query)
    if "?" in request.url:  # full_url joins with "&" after the URL's own query
        query = f"{base.query or ''}&{encoded}"
        path = base.path.split("?", 1)[0]
        absolute = base.absolute.split("?", 1)[0]
    else:
        query, path, absolute = encoded, base.path, base.absolute
    return base._replace(path=f"{path}?{query}", query=query, absolute=f"{absolute}?{query}")


def _headers(request: Request, method: str, body: bytes | None, auth: str | None) -> dict[str, str]:
    """The request headers in requests' order: the session's User-Agent, the
    request's own (case-insensitively merged), then Content-Length."""
    merged: dict[str, tuple[str, str]] = {"user-agent": ("User-Agent", USER_AGENT)}
    for name, value in request.headers.items():
        merged[name.lower()] = (name, value)
    for name, value in merged.values():
        if not _VALID_NAME.match(name) or not _VALID_VALUE.match(value):
            raise _BadURL("InvalidHeader")
    if body:
        merged["content-length"] = ("Content-Length", str(len(body)))
    elif method not in ("GET", "HEAD") and "content-length" not in merged:
        merged["content-length"] = ("Content-Length", "0")
    if auth is not None:
        merged["authorization"] = ("Authorization", auth)
    return dict(merged.values())


def _select_proxy(target: _Target, proxies: Mapping[str, str]) -> str | None:
    """requests.utils.select_proxy."""
    if not target.host:
        return proxies.get(target.scheme, proxies.get("all"))
    for key in (
        f"{target.scheme}://{target.host}",
        target.scheme,
        f"all://{target.host}",
        "all",
    ):
        if key in proxies:
            return proxies[key]
    return None


def _ssl_context(verify: bool | str) -> tuple[ssl.SSLContext | None, dict[str, Any]]:
    """One context with the same trust store as requests (certifi's bundle)."""
    if verify is False:
        return None, {"cert_reqs": "CERT_NONE"}
    if isinstance(verify, str):
        key = "ca_cert_dir" if os.path.isdir(verify) else "ca_certs"
        return None, {"cert_reqs": "CERT_REQUIRED", key: verify}
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    try:
        import certifi
    except ImportError:  # pragma: no cover - requests (a core dependency) ships certifi
        context.load_default_certs()
    else:
        context.load_verify_locations(certifi.where())
    return context, {"cert_reqs": "CERT_REQUIRED"}


def _map_error(exc: BaseException) -> TransportError:
    if isinstance(exc, u3.ProxyError):
        inner = exc.original_error
        if isinstance(inner, u3.NewConnectionError):
            return ConnectError("refused or unreachable")
        if isinstance(inner, u3.ConnectTimeoutError):
            return ConnectTimeout()
        return ConnectionLost("closed, reset or answered with garbage")
    if isinstance(exc, u3.NewConnectionError):  # a ConnectTimeoutError subclass: first
        return ConnectError("refused or unreachable")
    if isinstance(exc, u3.ConnectTimeoutError):
        return ConnectTimeout()
    if isinstance(exc, u3.ReadTimeoutError):
        return ReadTimeout()
    if isinstance(exc, (u3.SSLError, ssl.SSLError, ssl.CertificateError)):
        return TLSError("certificate or handshake rejected")
    if isinstance(exc, (u3.LocationValueError, u3.URLSchemeUnknown)):
        return InvalidRequestError("InvalidURL")
    if isinstance(exc, u3.InvalidHeader):
        return InvalidRequestError("InvalidHeader")
    if isinstance(exc, (u3.ProtocolError, u3.ClosedPoolError, OSError)):
        return ConnectionLost("closed, reset or answered with garbage")
    return ConnectionLost(f"unexpected {type(exc).__name__}")


class Urllib3Transport:
    """Pooled keep-alive connections on a ``urllib3.PoolManager``.

    The same knobs and guarantees as ``RequestsTransport``: TLS verified
    against certifi's bundle (``verify`` may name a CA file or directory, or
    be False), explicit connect and read timeouts, ``timeout.total`` bounding
    the whole attempt in wall time (status line, headers and body), no
    redirects, no retries of its own, at most ``max_response_bytes`` of a
    body read, ``proxies`` in requests' format (``{"https":
    "http://proxy:3128"}``; HTTP(S) proxies, not SOCKS).
    """

    def __init__(
        self,
        *,
        pool_maxsize: int = 32,
        max_response_bytes: int = 1024 * 1024,
        verify: bool | str = True,
        proxies: dict[str, str] | None = None,
    ) -> None:
        install_log_filter()
        context, tls = _ssl_context(verify)
        self._pool_kw: dict[str, Any] = {"num_pools": 16, "maxsize": pool_maxsize, "block": False}
        self._pool_kw.update(tls)
        if context is not None:
            self._pool_kw["ssl_context"] = context
        self._manager = self._watched(urllib3.PoolManager(**self._pool_kw))
        self._proxies = dict(proxies or {})
        for proxy in self._proxies.values():
            if "://" in proxy and not proxy.lower().startswith(("http://", "https://")):
                raise ValueError("only http:// and https:// proxies are supported")
        self._proxy_managers: dict[str, urllib3.ProxyManager] = {}
        self._lock = threading.Lock()
        self._pools: dict[tuple[str, str, int | None], Any] = {}
        self._timeouts: tuple[float, float, urllib3.Timeout] = (-1.0, -1.0, urllib3.Timeout())
        self.max_response_bytes = max_response_bytes

    def _timeout(self, timeout: Timeout) -> urllib3.Timeout:
        """urllib3's timeout object, reused while the values repeat (urllib3 clones it)."""
        connect, read, cached = self._timeouts
        if connect == timeout.connect and read == timeout.read:
            return cached
        made = urllib3.Timeout(connect=timeout.connect, read=timeout.read)
        self._timeouts = (timeout.connect, timeout.read, made)
        return made

    @staticmethod
    def _watched(manager: Any) -> Any:
        manager.pool_classes_by_scheme = POOL_CLASSES
        return manager

    def send(self, request: Request, timeout: Timeout) -> Response:
        check_request(request)
        started = time.monotonic()
        deadline = started + timeout.total
        failure: TransportError | None = None
        resp: Any = None
        with watching(deadline) as attempt:
            try:
                target = _target_for(request)
                method = request.method.upper()
                body = request.body or None
                headers = _headers(request, method, body, target.authorization)
                pool, url = self._route(target)
                resp = pool.urlopen(
                    method,
                    url,
                    body=body,
                    headers=headers,
                    retries=_NO_RETRY,
                    redirect=False,
                    assert_same_host=False,
                    timeout=self._timeout(timeout),
                    preload_content=False,
                    decode_content=False,
                    release_conn=False,
                )
            except _BadURL as exc:
                failure = InvalidRequestError(str(exc.args[0]))
            except (u3.HTTPError, OSError) as exc:
                failure = _map_error(exc)
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
        body_read = b""
        try:
            body_read, complete = read_body(resp, deadline, self.max_response_bytes)
        except TransportError as exc:
            failure = exc
        finally:
            expired = attempt.finish()
            if not complete or expired:
                resp.close()  # oversized, truncated, timed out or shut down: drop it
            resp.release_conn()  # back to the pool (a closed one reconnects when next used)
        if expired:
            failure = DeadlineExceeded("while reading the response")
        if failure is not None:
            raise failure
        headers_in = {k.lower(): v for k, v in resp.headers.itermerged()}
        return Response(resp.status, headers_in, body_read)

    def _route(self, target: _Target) -> tuple[Any, str]:
        """The connection pool and request target, as requests' HTTPAdapter picks them."""
        proxy = _select_proxy(target, self._proxies) if self._proxies else None
        if not proxy:
            key = (target.scheme, target.host, target.port)
            pool = self._pools.get(key)
            if pool is None or pool.pool is None:  # new, or closed by the manager's LRU
                pool = self._manager.connection_from_host(target.host, target.port, target.scheme)
                if len(self._pools) >= 64:
                    self._pools.clear()
                self._pools[key] = pool
            return pool, target.path
        if "://" not in proxy:
            proxy = f"http://{proxy}"
        manager = self._proxy_managers.get(proxy)
        if manager is None:
            parsed = parse_url(proxy)
            if not parsed.host:
                raise _BadURL("InvalidProxyURL")
            proxy_headers = {}
            if parsed.auth:
                user, _, password = parsed.auth.partition(":")
                proxy_headers["Proxy-Authorization"] = _basic_auth(unquote(user), unquote(password))
            with self._lock:
                manager = self._proxy_managers.get(proxy)
                if manager is None:
                    manager = self._watched(
                        urllib3.ProxyManager(proxy, proxy_headers=proxy_headers, **self._pool_kw)
                    )
                    self._proxy_managers[proxy] = manager
        pool = manager.connection_from_host(target.host, target.port, target.scheme)
        return pool, (target.path if target.scheme == "https" else target.absolute)

    def close(self) -> None:
        self._pools.clear()
        self._manager.clear()
        for manager in self._proxy_managers.values():
            manager.clear()
