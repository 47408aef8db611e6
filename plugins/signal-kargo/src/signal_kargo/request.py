"""Kargo payload -> the one HTTP request that carries it."""

from __future__ import annotations

import json
from collections.abc import Sequence

from signal_core import Integration, Payload, Request

_JSON_HEADERS = {"Content-Type": "application/json"}
# What json.dumps(..., separators=(",", ":")) uses, built once instead of per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def build(payloads: Sequence[Payload], integration: Integration) -> Request:
    """``POST {endpoint}?advertiser_id=..[&campaign_id=..][&auth_token=..]`` with a JSON body.

    Kargo takes one conversion per request (``max_batch_size`` is 1).
    """
    if len(payloads) != 1:
        raise ValueError(f"Kargo takes one event per request, got {len(payloads)}")
    payload = payloads[0]
    config = integration.config
    campaign = getattr(payload, "campaign_id", None) or config.get("campaign_id")
    query: list[tuple[str, str]] = [("advertiser_id", config["advertiser_id"])]
    if campaign:
        query.append(("campaign_id", campaign))
    headers = _JSON_HEADERS
    if config["auth_mode"] == "header":
        headers = {**_JSON_HEADERS, "Authorization": f"Bearer {config['auth_token']}"}
    else:
        query.append(("auth_token", config["auth_token"]))
    body = _ENCODER.encode(payload.data).encode("utf-8")
    return Request("POST", config["endpoint"], tuple(query), dict(headers), body)
