"""The hook implementations; each answers only for integrations of vendor ``webhook``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from signal_core import (
    Event,
    EventRule,
    Integration,
    Outcome,
    Payload,
    Request,
    Response,
    TransportError,
    Vendor,
    hookimpl,
)

from .signing import SIGNATURE_HEADER, sign
from .vendor import SPEC, VENDOR


@hookimpl
def declare_vendors() -> Sequence[Vendor]:
    return (SPEC,)


@hookimpl
def map_event(event: Event, rule: EventRule, integration: Integration) -> list[Payload] | None:
    """Every event as one JSON object, under the name its rule gives it."""
    if integration.vendor != VENDOR:
        return None
    data: dict[str, Any] = {
        "event": rule.vendor_event,
        "type": event.type,
        "message_id": event.message_id,
        "timestamp": event.iso_timestamp,
        "user_id": event.user_id,
        "anonymous_id": event.anonymous_id,
        "properties": dict(event.properties),
        "traits": dict(event.traits),
        "context": dict(event.context),
    }
    return [Payload(data)]


def body_for(payloads: Sequence[Payload]) -> bytes:
    """``{"events":[...]}``: compact UTF-8 JSON, keys in the order map_event wrote them."""
    events = [p.data for p in payloads]
    return json.dumps({"events": events}, separators=(",", ":"), ensure_ascii=False).encode()


@hookimpl
def build_request(payloads: Sequence[Payload], integration: Integration) -> Request | None:
    """One POST carrying up to ``MAX_BATCH_SIZE`` events; signed when a secret is set."""
    if integration.vendor != VENDOR:
        return None
    body = body_for(payloads)
    headers = {"Content-Type": "application/json"}
    secret = integration.config.get("secret")
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    return Request("POST", integration.config["url"], headers=headers, body=body)


@hookimpl
def classify_response(
    request: Request,
    response: Response | None,
    error: TransportError | None,
    integration: Integration,
) -> Outcome | None:
    """401/403 and 410 get a reason that says what to fix; the rest is the core default."""
    if integration.vendor != VENDOR or response is None:
        return None
    status = response.status
    if status in (401, 403):
        if integration.config.get("secret"):
            hint = "check that `secret` is the receiver's signing secret"
        else:
            hint = "the receiver wants a signature: set `secret`"
        return Outcome.failed(f"{status}: the receiver refused the request; {hint}")
    if status == 410:
        return Outcome.failed("410 Gone: the webhook was removed; update or disable the url")
    return None
