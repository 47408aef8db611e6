"""Turning a Kissmetrics payload into the HTTP request: GET, or POST when long."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from types import MappingProxyType
from urllib.parse import quote

from signal_core import Integration, Payload, Request
from signal_core.wire import encode_query

MAX_GET_QUERY_BYTES = 2048
"""Longest encoded query string (``_k`` included, ``?`` excluded) sent as a GET."""

FORM_HEADERS = MappingProxyType({"Content-Type": "application/x-www-form-urlencoded"})


# Percent-encoding turns one character into at most 12 (4 UTF-8 bytes, %XX each),
# and an ASCII character into at most 3.
_MAX_ENCODED_PER_CHAR = 12
_MAX_ENCODED_PER_ASCII_CHAR = 3


def fits_get(params: Sequence[tuple[str, str]], api_key: str) -> bool:
    """Cheap check that the query surely fits a GET, without encoding it.

    An upper bound of the encoded size (``_k=``, ``=`` and ``&`` are one byte
    each); only a query whose bound is over the limit is encoded to count.
    """
    text = api_key + "".join(chain.from_iterable(params))
    per_char = _MAX_ENCODED_PER_ASCII_CHAR if text.isascii() else _MAX_ENCODED_PER_CHAR
    return 3 + 2 * len(params) + len(text) * per_char <= MAX_GET_QUERY_BYTES


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
