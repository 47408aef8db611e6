"""The hook implementations; each answers only for integrations of vendor ``knorex``."""

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

from .classify import classify
from .mapping import map_conversion
from .request import build_postback
from .vendor import KNOREX, NAME


@hookimpl
def declare_vendors() -> Sequence[Vendor]:
    return (KNOREX,)


@hookimpl
def map_event(event: Event, rule: EventRule, integration: Integration) -> list[Payload] | None:
    if integration.vendor != NAME:
        return None
    # Knorex S2S knows one kind of postback: every mapped event is a conversion.
    return map_conversion(event, integration)


@hookimpl
def build_request(payloads: Sequence[Payload], integration: Integration) -> Request | None:
    if integration.vendor != NAME:
        return None
    return build_postback(payloads, integration)


@hookimpl
def classify_response(
    request: Request,
    response: Response | None,
    error: TransportError | None,
    integration: Integration,
) -> Outcome | None:
    if integration.vendor != NAME:
        return None
    return classify(request, response, integration)
