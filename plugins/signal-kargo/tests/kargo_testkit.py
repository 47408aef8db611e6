"""Shared data and helpers for the signal-kargo tests (imported by name via conftest)."""

from __future__ import annotations

import copy
from typing import Any

from signal_core.testing import Sandbox

TOKEN = "kg_token_secret_abc123"
ADVERTISER = "kg_adv_12345"
CAMPAIGN = "kg_camp_67890"

SEED_PURCHASE: dict[str, Any] = {
    "type": "track",
    "event": "Order Completed",
    "message_id": "msg-0001",
    "timestamp": "2025-06-06T09:00:00Z",
    "anonymous_id": "anon_abc123def456",
    "properties": {"order_id": "ORD-001", "revenue": 129.99, "currency": "USD"},
    "context": {
        "ip": "203.0.113.50",
        "user_agent": "Mozilla/5.0 ...",
        "page": {"url": "https://shop.example/landing?utm_source=kargo&kgid=kg_click_xyz789"},
    },
}

SEED_BODY = (
    b'{"event":"conversion","external_id":"anon_abc123def456","kgid":"kg_click_xyz789",'
    b'"ip":"203.0.113.50","user_agent":"Mozilla/5.0 ...","order_id":"ORD-001",'
    b'"value":129.99,"currency":"USD"}'
)


def purchase(**changes: Any) -> dict[str, Any]:
    """The seed's purchase event; ``properties``/``context`` entries set to None are removed."""
    event = copy.deepcopy(SEED_PURCHASE)
    for key, value in changes.items():
        if key in ("properties", "context"):
            for k, v in value.items():
                if v is None:
                    event[key].pop(k, None)
                else:
                    event[key][k] = v
        else:
            event[key] = value
    return event


def integration(box: Sandbox | None = None, **config: Any) -> dict[str, Any]:
    extra = {k: config.pop(k) for k in ("mappings", "consent_categories", "retry") if k in config}
    cfg: dict[str, Any] = {
        "advertiser_id": ADVERTISER,
        "campaign_id": CAMPAIGN,
        "auth_token": TOKEN,
    }
    cfg.update(config)
    cfg = {k: v for k, v in cfg.items() if v is not None}
    data: dict[str, Any] = {"vendor": "kargo", "name": "Kargo Production", "config": cfg}
    if box is not None:
        data["base_url"] = box.url
    data.update(extra)
    return data
