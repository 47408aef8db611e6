"""ID syncs: resolving a vendor's identifier for a visitor over HTTP, cached.

A plugin describes the call in its ``id_sync`` hook; the core makes it (one
attempt, the sync's own timeout), keeps the ids for the sync's lifetime, and
after a failure stores a marker so the sync is not retried on every event.
Resolved ids land in ``context.providers.<vendor>`` before any integration
maps the event. A sync never runs when the event's consent denies the
integration's categories.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .consent import ConsentSettings
from .errors import TransportError
from .events import Event
from .integration import Integration
from .wire import Request, Response, Timeout

if TYPE_CHECKING:  # not imported at run time: `signal plugins` does not need requests
    from .state import Store
    from .transport import Transport

log = logging.getLogger("signal_core.idsync")

PRIVACY_PARAMS = ("gdpr", "gdpr_consent", "us_privacy", "gpp", "gpp_sid")
_DAY = 86400.0


@dataclass(frozen=True)
class IdSync:
    """What a plugin's ``id_sync`` hook returns.

    ``parse`` reads the ids out of a response (``None`` or ``{}`` is a
    failure). ``lifetime`` and ``failure_ttl`` are seconds; ``timeout`` bounds
    the whole call.
    """

    request: Request
    parse: Callable[[Response], Mapping[str, str] | None]
    lifetime: float = 365 * _DAY
    failure_ttl: float = _DAY
    timeout: float = 5.0


def privacy_params(event: Event) -> dict[str, str]:
    """GDPR / US privacy / GPP values carried by the event (context or context.privacy)."""
    sources: list[Mapping[str, Any]] = [event.context]
    nested = event.context.get("privacy")
    if isinstance(nested, dict):
        sources.append(nested)
    out: dict[str, str] = {}
    for source in sources:
        for name in PRIVACY_PARAMS:
            value = source.get(name)
            if isinstance(value, bool):
                out[name] = "1" if value else "0"
            elif isinstance(value, (str, int)) and str(value) != "":
                out[name] = str(value)
    return out


class IdSyncRunner:
    def __init__(
        self,
        store: Store,
        transport: Transport,
        consent: ConsentSettings,
        build: Callable[[Event, Integration, Mapping[str, str]], IdSync | None],
    ) -> None:
        self.store = store
        self.transport = transport
        self.consent = consent
        self.build = build

    def apply(self, event: Event, integration: Integration) -> None:
        visitor = event.anonymous_id or event.user_id
        if not visitor or not integration.enabled:
            return
        providers = event.context.get("providers")
        current = providers.get(integration.vendor) if isinstance(providers, dict) else None
        if isinstance(current, dict) and current:
            return  # the browser (or the caller) already resolved it
        if self.consent.skip_reason(event, integration.consent_categories) is not None:
            return
        key = f"idsync:{integration.name}:{visitor}"
        cached = self.store.get(key)
        if cached is not None:
            _put_ids(event, integration.vendor, json.loads(cached))
            return
        if self.store.get(f"{key}:failed") is not None:
            return
        try:
            spec = self.build(event, integration, privacy_params(event))
        except Exception as exc:  # a plugin bug must not make send() raise
            name = type(exc).__name__
            log.error("id sync for integration=%r: plugin error %s", integration.name, name)
            return
        if spec is None:
            return
        ids = self._call(spec, integration)
        if ids:
            self.store.put(key, json.dumps(ids), spec.lifetime)
            _put_ids(event, integration.vendor, ids)
        else:
            self.store.put(f"{key}:failed", "1", spec.failure_ttl)

    def _call(self, spec: IdSync, integration: Integration) -> dict[str, str] | None:
        request = spec.request
        if integration.base_url:
            request = request.with_base_url(integration.base_url)
        timeout = Timeout(connect=min(3.05, spec.timeout), read=spec.timeout, total=spec.timeout)
        try:
            response = self.transport.send(request, timeout)
        except TransportError as exc:
            log.info("id sync for integration=%r failed: %s", integration.name, exc)
            return None
        if not 200 <= response.status < 300:
            log.info("id sync for integration=%r answered %d", integration.name, response.status)
            return None
        try:
            ids = spec.parse(response)
        except Exception as exc:  # a malformed answer is a failed sync
            name = type(exc).__name__
            log.info("id sync for integration=%r unreadable: %s", integration.name, name)
            return None
        if not ids:
            return None
        return {str(k): str(v) for k, v in ids.items() if isinstance(v, (str, int)) and str(v)}


def _put_ids(event: Event, vendor: str, ids: Mapping[str, Any]) -> None:
    providers = event.context.get("providers")
    merged = dict(providers) if isinstance(providers, dict) else {}
    own = dict(merged.get(vendor) or {})
    own.update(ids)
    merged[vendor] = own
    event.context["providers"] = merged
