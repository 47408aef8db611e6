"""The plugin's hook implementations; each answers only for the ``kargo`` vendor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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
from signal_core.idsync import IdSync

from .classify import classify
from .idsync import build_sync
from .mapping import map_to_payload
from .request import build
from .vendor import KARGO, VENDOR


@hookimpl
def declare_vendors() -> Sequence[Vendor]:
    return (KARGO,)


@hookimpl
def id_sync(event: Event, integration: Integration, privacy: Mapping[str, str]) -> IdSync | None:
    if integration.vendor != VENDOR:
        return None
    return build_sync(event, integration, privacy)


@hookimpl
def map_event(event: Event, rule: EventRule, integration: Integration) -> Sequence[Payload] | None:
    if integration.vendor != VENDOR:
        return None
    return [map_to_payload(event, rule, integration)]


@hookimpl
def build_request(payloads: Sequence[Payload], integration: Integration) -> Request | None:
    if integration.vendor != VENDOR:
        return None
    return build(payloads, integration)


@hookimpl
def classify_response(
    request: Request,
    response: Response | None,
    error: TransportError | None,
    integration: Integration,
) -> Outcome | None:
    if integration.vendor != VENDOR:
        return None
    return classify(response, integration)
