"""The request and response values exchanged between plugins, core and transport."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit


def encode_query(pairs: Sequence[tuple[str, str]]) -> str:
    """Percent-encode ``pairs`` as one query string (spaces as ``%20``)."""
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


@dataclass(frozen=True)
class Request:
    """One HTTP request, built by a plugin's ``build_request``.

    ``url`` is scheme, host, port and path (it may carry a fixed query of its
    own); ``query`` pairs are percent-encoded and appended. ``body`` is the
    exact bytes sent, identical on every attempt.
    """

    method: str
    url: str
    query: tuple[tuple[str, str], ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None

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
        base = urlsplit(base_url)
        own = urlsplit(self.url)
        url = urlunsplit((base.scheme, base.netloc, own.path, own.query, ""))
        return Request(self.method, url, self.query, self.headers, self.body)

    def with_headers(self, extra: Mapping[str, str]) -> Request:
        return Request(self.method, self.url, self.query, {**self.headers, **extra}, self.body)

    def __repr__(self) -> str:  # URLs and headers may carry secrets
        return f"<Request {self.method} {self.host}>"


@dataclass(frozen=True)
class Response:
    """What the transport read back: status, lower-cased headers, bounded body."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def __repr__(self) -> str:
        return f"<Response {self.status}>"


@dataclass(frozen=True)
class Timeout:
    """Timeouts for one attempt; ``total`` bounds the whole attempt."""

    connect: float
    read: float
    total: float
