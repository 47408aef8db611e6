"""The request and response values exchanged between plugins, core and transport."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlsplit, urlunsplit

from ._frozen import Frozen, setters

# What ``quote(text, safe="")`` leaves as it is: RFC 3986 unreserved characters.
_unreserved = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def _quote(text: str) -> str:
    return text if _unreserved(text) else quote(text, safe="")


# (url, base_url) -> rebased url: vendors' URLs repeat, so each is split once.
_rebased: dict[tuple[str, str], str] = {}
_REBASED_MAX = 4096


def encode_query(pairs: Sequence[tuple[str, str]]) -> str:
    """Percent-encode ``pairs`` as one query string (spaces as ``%20``)."""
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in pairs)


class Request(Frozen):
    """One HTTP request, built by a plugin's ``build_request``.

    ``url`` is scheme, host, port and path (it may carry a fixed query of its
    own); ``query`` pairs are percent-encoded and appended. ``body`` is the
    exact bytes sent, identical on every attempt. Immutable.
    """

    _fields = ("method", "url", "query", "headers", "body")
    __slots__ = _fields
    method: str
    url: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    body: bytes | None

    def __init__(
        self,
        method: str,
        url: str,
        query: tuple[tuple[str, str], ...] = (),
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> None:
        _req_method(self, method)
        _req_url(self, url)
        _req_query(self, query)
        _req_headers(self, {} if headers is None else headers)
        _req_body(self, body)

    @property
    def full_url(self) -> str:
        if not self.query:
            return self.url
        sep = "&" if "?" in self.url else "?"
        return f"{self.url}{sep}{encode_query(self.query)}"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    def with_base_url(self, base_url: str) -> Request:
        """Replace scheme, host and port, keeping path and query."""
        key = (self.url, base_url)
        url = _rebased.get(key)
        if url is None:
            base = urlsplit(base_url)
            own = urlsplit(self.url)
            url = urlunsplit((base.scheme, base.netloc, own.path, own.query, ""))
            if len(_rebased) >= _REBASED_MAX:
                _rebased.clear()
            _rebased[key] = url
        return Request(self.method, url, self.query, self.headers, self.body)

    def with_headers(self, extra: Mapping[str, str]) -> Request:
        return Request(self.method, self.url, self.query, {**self.headers, **extra}, self.body)

    def __repr__(self) -> str:  # URLs and headers may carry secrets
        return f"<Request {self.method} {self.host}>"


class Response(Frozen):
    """What the transport read back: status, lower-cased headers, bounded body. Immutable."""

    _fields = ("status", "headers", "body")
    __slots__ = _fields
    status: int
    headers: Mapping[str, str]
    body: bytes

    def __init__(
        self, status: int, headers: Mapping[str, str] | None = None, body: bytes = b""
    ) -> None:
        _resp_status(self, status)
        _resp_headers(self, {} if headers is None else headers)
        _resp_body(self, body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def __repr__(self) -> str:
        return f"<Response {self.status}>"


class Timeout(Frozen):
    """Timeouts for one attempt; ``total`` bounds the whole attempt. Immutable."""

    _fields = ("connect", "read", "total")
    __slots__ = _fields
    connect: float
    read: float
    total: float

    def __init__(self, connect: float, read: float, total: float) -> None:
        _to_connect(self, connect)
        _to_read(self, read)
        _to_total(self, total)


_req_method, _req_url, _req_query, _req_headers, _req_body = setters(Request)
_to_connect, _to_read, _to_total = setters(Timeout)
_resp_status, _resp_headers, _resp_body = setters(Response)
