"""From a conversion payload to the one postback request."""

from __future__ import annotations

import json
from collections.abc import Sequence

from signal_core import Integration, Payload, Request

from .template import compile_template

BODY_FIELDS = ("kcid", "goal_id", "value", "currency", "order_id", "event_id", "timestamp")
"""The JSON body of a POST postback, in this order; missing fields are left out."""
_NUMERIC = frozenset({"value", "timestamp"})
_JSON = {"Content-Type": "application/json"}


def body_for(data: dict[str, str]) -> bytes:
    """Compact JSON; ``value`` and ``timestamp`` are numbers, everything else text.

    ``value`` is written as the same decimal text the URL carries, so the body
    never shows float noise. The token is never part of the body.
    """
    parts = []
    for key in BODY_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        if key in _NUMERIC:
            parts.append(f'"{key}":{value}')
        else:
            parts.append(f'"{key}":{json.dumps(value)}')
    return ("{" + ",".join(parts) + "}").encode("ascii")


def build_postback(payloads: Sequence[Payload], integration: Integration) -> Request:
    if len(payloads) != 1:
        raise ValueError(f"a Knorex postback carries one conversion, got {len(payloads)}")
    config = integration.config
    data = payloads[0].data
    url = compile_template(config["postback_url"]).render(data, config.get("token") or "")
    if (config.get("method") or "GET") == "POST":
        return Request("POST", url, headers=dict(_JSON), body=body_for(data))
    return Request("GET", url)
