"""The hook implementations; each answers only for the ``kameleoon`` vendor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from signal_core import (
    Event,
    EventRule,
    Integration,
    Outcome,
    Payload,
    Request,
    Response,
    Vendor,
    hookimpl,
)
from signal_core.errors import TransportError

if TYPE_CHECKING:  # the transport module imports requests: keep start-up light
    from signal_core.transport import Transport

from . import auth, classify, mapping, request
from .vendor import KAMELEOON, VENDOR


@hookimpl
def declare_vendors() -> list[Vendor]:
    return [KAMELEOON]


@hookimpl
def map_event(event: Event, rule: EventRule, integration: Integration) -> list[Payload] | None:
    if integration.vendor != VENDOR:
        return None
    return [mapping.to_payload(event, rule)]


@hookimpl
def build_request(payloads: Sequence[Payload], integration: Integration) -> Request | None:
    if integration.vendor != VENDOR:
        return None
    return request.build(payloads, integration)


@hookimpl
def authorize_request(
    request: Request, integration: Integration, transport: Transport
) -> Request | None:
    if integration.vendor != VENDOR:
        return None
    return auth.authorize(request, integration, transport)


@hookimpl
def classify_response(
    request: Request,
    response: Response | None,
    error: TransportError | None,
    integration: Integration,
) -> Outcome | None:
    if integration.vendor != VENDOR:
        return None
    return classify.classify(request, response, error, integration)
