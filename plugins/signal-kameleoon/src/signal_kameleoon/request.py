"""Payloads -> the one ``POST /visit/events`` request that carries them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from signal_core import Integration, Payload, Request

from .vendor import DOMAIN_TLDS, REGIONS, SITE_CODE_RE

# Every URL this plugin can post events to: the host is looked up, never
# assembled from configuration text.
ENDPOINTS: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        (region, tld): f"https://{region}-data.kameleoon.{tld}/visit/events"
        for region in REGIONS
        for tld in DOMAIN_TLDS
    }
)
HEADERS: Mapping[str, str] = MappingProxyType({"Content-Type": "application/json"})

# What json.dumps(..., separators=(",", ":"), ensure_ascii=False) uses, built once.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def endpoint(integration: Integration) -> str:
    """The Data API URL for the integration's region and domain."""
    config = integration.config
    region, tld = config.get("region"), config.get("domain_tld") or "io"
    url = ENDPOINTS.get((str(region), str(tld)))
    if url is None:  # only reachable for an Integration built around validation
        raise ValueError("region must be eu or na and domain_tld io or eu")
    return url


def site_code(integration: Integration) -> str:
    code = integration.config.get("site_code")
    if not isinstance(code, str) or not SITE_CODE_RE.fullmatch(code):
        raise ValueError("site_code must be letters and digits only")
    return code


def build(payloads: Sequence[Payload], integration: Integration) -> Request:
    """A JSON array of the payloads' events, one request for many visitors."""
    events = [p.data for p in payloads]
    body = _ENCODER.encode(events).encode("utf-8")
    query = (("siteCode", site_code(integration)), ("json", "true"))
    return Request("POST", endpoint(integration), query, HEADERS, body)
