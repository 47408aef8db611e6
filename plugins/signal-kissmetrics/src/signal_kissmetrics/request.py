"""Turning a Kissmetrics payload into the HTTP request: GET, or POST when long."""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from urllib.parse import quote

from signal_core import Integration, Payload, Request
from signal_core.wire import encode_query

MAX_GET_QUERY_BYTES = 2048
"""Longest encoded query string (``_k`` included, ``?`` excluded) sent as a GET."""

FORM_HEADERS = MappingProxyType({"Content-Type": "application/x-www-form-urlencoded"})


# Percent-encoding turns one character into at most 12 (4 UTF-8 bytes, %XX each).
_MAX_ENCODED_PER_CHAR = 12


def fits_get(params: Sequence[tuple[str, str]], api_key: str) -> bool:
    """Cheap check that the query surely fits a GET, without encoding it."""
    raw = 3 + len(api_key) + sum(len(k) + len(v) + 2 for k, v in params)
    return raw * _MAX_ENCODED_PER_CHAR <= MAX_GET_QUERY_BYTES


def query_size(params: Sequence[tuple[str, str]], api_key: str) -> int:
    """Length of the encoded query ``_k=...&<params>`` as it would be sent."""
    size = 3 + len(quote(api_key, safe=""))  # "_k=" + key
    if params:
        size += 1 + len(encode_query(params))
    return size


def build(payload: Payload, integration: Integration) -> Request:
    """The request for one payload; ``_k`` is added here, never stored in a payload."""
    data = payload.data
    url = integration.config["host"] + data["path"]
    query = (("_k", integration.config["api_key"]), *data["params"])
    if data.get("method") == "POST":
        body = encode_query(query).encode("ascii")
        return Request("POST", url, (), FORM_HEADERS, body)
    return Request("GET", url, query)
