"""Event -> Kargo conversion body, and the identity signals it carries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from signal_core import Event, EventRule, Integration, Payload

CLICK_ID = "kgid"
VALUE_KEYS = ("revenue", "total", "value")
CAMPAIGN_KEYS = ("kargo_campaign_id", "campaign_id")
NO_KGID_CONVERSION = "no kgid: Kargo will likely not attribute this conversion"
NO_KGID_EVENT = "no kgid: Kargo will likely not attribute this event"


@dataclass
class KargoPayload(Payload):
    """A Kargo body plus the campaign id resolved for this event (a query parameter)."""

    campaign_id: str | None = None


def _text(value: Any) -> str | None:
    """A non-empty identifier as text; numbers are accepted, anything else is not."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def kgid_from_url(url: str | None) -> str | None:
    """The first non-empty ``kgid`` query parameter of a landing-page URL."""
    if not url or "kgid=" not in url:
        return None
    try:
        query = urlsplit(url).query
    except ValueError:  # malformed URL (bad IPv6 literal...): no click id
        return None
    for key, value in parse_qsl(query):
        if key == CLICK_ID:
            found = _text(value)
            if found:
                return found
    return None


def resolve_kgid(event: Event) -> str | None:
    """kgid: the event's property, else the one the core stored for this visitor
    (``context.click_ids``), else the ``kgid`` parameter of ``context.page.url``."""
    stored = event.context.get("click_ids")
    remembered = _text(stored.get(CLICK_ID)) if isinstance(stored, dict) else None
    return _text(event.properties.get(CLICK_ID)) or remembered or kgid_from_url(event.page_url)


def resolve_puid(event: Event) -> str | None:
    providers = event.context.get("providers")
    if not isinstance(providers, dict):
        return None
    kargo = providers.get("kargo")
    if not isinstance(kargo, dict):
        return None
    return _text(kargo.get("puid"))


def resolve_campaign(properties: dict[str, Any], default: str | None) -> str | None:
    for key in CAMPAIGN_KEYS:
        found = _text(properties.get(key))
        if found:
            return found
    return default


def map_to_payload(event: Event, rule: EventRule, integration: Integration) -> KargoPayload:
    """Build the body in Kargo's key order, leaving out every key without a value."""
    props = event.properties
    data: dict[str, Any] = {"event": rule.vendor_event}
    if event.anonymous_id:
        data["external_id"] = event.anonymous_id
    kgid = resolve_kgid(event)
    if kgid:
        data["kgid"] = kgid
    ip = event.ip
    if ip:
        data["ip"] = ip
    user_agent = event.user_agent
    if user_agent:
        data["user_agent"] = user_agent
    order_id = _text(props.get("order_id"))
    if order_id:
        data["order_id"] = order_id
    for key in VALUE_KEYS:
        value = _number(props.get(key))
        if value is not None:
            data["value"] = value
            break
    currency = props.get("currency")
    if isinstance(currency, str) and currency.strip():
        data["currency"] = currency.strip().upper()
    puid = resolve_puid(event)
    if puid:
        data["puid"] = puid
    notes: tuple[str, ...] = ()
    if not kgid:
        notes = (NO_KGID_CONVERSION if rule.vendor_event == "conversion" else NO_KGID_EVENT,)
    campaign = resolve_campaign(props, integration.config.get("campaign_id"))
    return KargoPayload(data, notes, campaign_id=campaign)
