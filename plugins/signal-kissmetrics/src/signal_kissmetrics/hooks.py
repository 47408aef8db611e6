"""The hook implementations; each answers only for the ``kissmetrics`` vendor."""

from __future__ import annotations

from collections.abc import Sequence

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

from .classify import classify as classify_km
from .mapping import map_event as map_km_event
from .request import build as build_km_request
from .vendor import VENDOR, VENDOR_NAME


@hookimpl
def declare_vendors() -> Sequence[Vendor]:
    return (VENDOR,)


@hookimpl
def map_event(event: Event, rule: EventRule, integration: Integration) -> Sequence[Payload] | None:
    if integration.vendor != VENDOR_NAME:
        return None
    return map_km_event(event, rule, integration)


@hookimpl
def build_request(payloads: Sequence[Payload], integration: Integration) -> Request | None:
    if integration.vendor != VENDOR_NAME:
        return None
    if len(payloads) != 1:
        raise ValueError(f"Kissmetrics takes one payload per request, got {len(payloads)}")
    return build_km_request(payloads[0], integration)


@hookimpl
def classify_response(
    request: Request,
    response: Response | None,
    error: TransportError | None,
    integration: Integration,
) -> Outcome | None:
    if integration.vendor != VENDOR_NAME:
        return None
    return classify_km(response)
