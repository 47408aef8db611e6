"""Two toy vendors for the core's tests: ``echo`` (one event per request,
token in the query) and ``echo_batch`` (JSON arrays of up to 3 events).

``echo`` also has a test ID sync (``sync_url``; see :mod:`signal_echo.idsync`,
registered by the tests that use it). Ids the core resolved into
``context.providers.echo`` are copied into the echo body as ``providers``."""

from __future__ import annotations

import json
from collections.abc import Sequence

from signal_core import (
    ConfigField,
    DropEvent,
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

PRESETS = {"default": {"Order Completed": {"vendor_event": "purchase"}, "page": {}}}

ECHO = Vendor(
    name="echo",
    config=(
        ConfigField("endpoint", default="https://echo.example/collect"),
        ConfigField("api_key", required=True, secret=True),
        ConfigField("mode", default="query", choices=("query", "header")),
        # Both optional without a default, so existing configs stay byte-identical.
        ConfigField("sync_url", description='ID sync endpoint (GET, answers {"uid": ...})'),
        ConfigField("sync_timeout_ms", kind=float, description="ID sync timeout (default 5000)"),
    ),
    presets=PRESETS,
    default_preset="default",
    consent_categories=("analytics",),
    hosts=("echo.example",),
)
ECHO_BATCH = Vendor(
    name="echo_batch",
    config=(ConfigField("endpoint", default="https://echo.example/batch"),),
    presets=PRESETS,
    default_preset="default",
    max_batch_size=3,
    max_batch_bytes=4096,
    hosts=("echo.example",),
    dedups=True,
)


@hookimpl
def declare_vendors() -> list[Vendor]:
    return [ECHO, ECHO_BATCH]


@hookimpl
def map_event(event: Event, rule: EventRule, integration: Integration) -> list[Payload] | None:
    if integration.vendor not in ("echo", "echo_batch"):
        return None
    if event.properties.get("drop_me"):
        raise DropEvent("asked to drop")
    data = {
        "event": rule.vendor_event,
        "id": event.message_id,
        "user": event.user_id or event.anonymous_id,
    }
    data.update(event.properties)
    providers = event.context.get("providers")
    own = providers.get("echo") if isinstance(providers, dict) else None
    if integration.vendor == "echo" and isinstance(own, dict) and own:
        data["providers"] = dict(own)
    return [Payload(data)]


@hookimpl
def build_request(payloads: Sequence[Payload], integration: Integration) -> Request | None:
    if integration.vendor == "echo":
        headers = {"Content-Type": "application/json"}
        query: tuple[tuple[str, str], ...] = ()
        if integration.config["mode"] == "header":
            headers["Authorization"] = f"Bearer {integration.config['api_key']}"
        else:
            query = (("key", integration.config["api_key"]),)
        body = json.dumps(payloads[0].data, separators=(",", ":")).encode()
        return Request("POST", integration.config["endpoint"], query, headers, body)
    if integration.vendor == "echo_batch":
        body = json.dumps([p.data for p in payloads], separators=(",", ":")).encode()
        return Request(
            "POST", integration.config["endpoint"], (), {"Content-Type": "application/json"}, body
        )
    return None


@hookimpl
def classify_response(
    request: Request,
    response: Response | None,
    error: TransportError | None,
    integration: Integration,
) -> Outcome | None:
    if integration.vendor == "echo" and response is not None and response.status == 401:
        return Outcome.failed("401: api_key rejected")
    return None
