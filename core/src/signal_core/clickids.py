"""Click ids: captured from landing URLs, remembered per visitor, filled in later.

Before any integration maps an event, the core reads every click id an
installed vendor declares (``kgid``, ``kcid``...) from the event's properties
or the query of ``context.page.url``. A found id is stored for the event's
``anonymous_id`` and ``user_id`` (a newer id replaces an older one); an event
without it gets the stored one. Either way the id is put in
``context.click_ids``, where :meth:`Event.click_id` finds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from .events import Event
from .integration import Integration
from .state import Store

DEFAULT_TTL_DAYS = 30.0
_DAY = 86400.0


def click_id_ttls(integrations: Iterable[Integration]) -> dict[str, float]:
    """Click-id name -> TTL in seconds (the longest among integrations that use it)."""
    ttls: dict[str, float] = {}
    for integration in integrations:
        if not integration.enabled:
            continue
        ttl = integration.click_id_ttl_days * _DAY
        for name in integration.spec.click_ids:
            ttls[name] = max(ttls.get(name, 0.0), ttl)
    return ttls


def from_url(url: str | None, names: Iterable[str]) -> dict[str, str]:
    if not url or "?" not in url:
        return {}
    wanted = set(names)
    try:
        pairs = parse_qsl(urlsplit(url).query, keep_blank_values=False)
    except ValueError:
        return {}
    return {k: v for k, v in pairs if k in wanted}


class ClickIdTracker:
    def __init__(self, store: Store, ttls: dict[str, float]) -> None:
        self.store = store
        self.ttls = ttls

    def __bool__(self) -> bool:
        return bool(self.ttls)

    def apply(self, event: Event) -> None:
        found = from_url(event.page_url, self.ttls)
        for name in self.ttls:
            value = event.properties.get(name)
            if isinstance(value, str) and value:
                found[name] = value
        visitors = [
            f"{kind}:{who}"
            for kind, who in (("anon", event.anonymous_id), ("user", event.user_id))
            if who
        ]
        resolved: dict[str, str] = {}
        for name, ttl in self.ttls.items():
            value = found.get(name)
            if value is not None:
                for visitor in visitors:
                    self.store.put(f"clickid:{name}:{visitor}", value, ttl)
                resolved[name] = value
                continue
            for visitor in visitors:
                stored = self.store.get(f"clickid:{name}:{visitor}")
                if stored:
                    resolved[name] = stored
                    break
        if resolved:
            current = event.context.get("click_ids")
            merged = dict(current) if isinstance(current, dict) else {}
            merged.update(resolved)
            event.context["click_ids"] = merged
