"""Shared helpers for the signal-kameleoon tests (imported through conftest's sys.path)."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from signal_core.testing import Recorded, Reply, Sandbox

SITE = "f17c21u1ag"
VISITOR = "245fc8a1b9"
CLIENT_ID = "signal-client"
SECRET = "canary-Secret/9f8e+7d&=x"  # characters that must be form-encoded
PURCHASE_ID = "9f1c2d7a-4b88-4e2a-9a31-6c0e2b5d77aa"
PAGE_ID = "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d"

# The request bodies of the seed's two examples, as printed there (nonce aside).
SEED_PURCHASE_BODY = """[
  {
    "nonce": "9f1c2d7a-4b88-4e2a-9a31-6c0e2b5d77aa",
    "eventType": "CONVERSION",
    "visitorCode": "245fc8a1b9",
    "goalId": 36151,
    "revenue": 23.50
  }
]"""
SEED_PAGE_BODY = """[
  {
    "nonce": "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
    "eventType": "PAGE",
    "visitorCode": "245fc8a1b9",
    "href": "https://example.com/checkout",
    "title": "Checkout"
  }
]"""

_PURCHASE: dict[str, Any] = {
    "type": "track",
    "event": "Order Completed",
    "message_id": PURCHASE_ID,
    "timestamp": "2025-06-06T09:00:00Z",
    "anonymous_id": "anon_abc123",
    "properties": {
        "order_id": "ORD-1001",
        "revenue": 23.50,
        "currency": "USD",
        "kameleoon_goal_id": 36151,
    },
    "context": {"cookies": {"kameleoonVisitorCode": VISITOR}},
}
_PAGE: dict[str, Any] = {
    "type": "page",
    "message_id": PAGE_ID,
    "timestamp": "2025-06-06T09:00:00Z",
    "anonymous_id": "anon_abc123",
    "context": {
        "page": {"url": "https://example.com/checkout", "title": "Checkout"},
        "cookies": {"kameleoonVisitorCode": VISITOR},
    },
}


def purchase(**changes: Any) -> dict[str, Any]:
    """The seed's purchase (a fresh copy); ``changes`` replace top-level keys."""
    event = copy.deepcopy(_PURCHASE)
    event.update(changes)
    return event


def page(**changes: Any) -> dict[str, Any]:
    event = copy.deepcopy(_PAGE)
    event.update(changes)
    return event


def track(
    name: str, message_id: str, visitor: str | None = VISITOR, **props: Any
) -> dict[str, Any]:
    """A track event; ``visitor`` is the kameleoonVisitorCode cookie (None: no cookie)."""
    context = {"cookies": {"kameleoonVisitorCode": visitor}} if visitor else {}
    return {
        "type": "track",
        "event": name,
        "message_id": message_id,
        "timestamp": "2025-06-06T09:00:00Z",
        "anonymous_id": f"anon-{message_id}",
        "properties": props,
        "context": context,
    }


def integration(box: Sandbox | None = None, **config: Any) -> dict[str, Any]:
    """An integration dict; top-level keys (mappings, name...) pass through ``config``."""
    top = {
        k: config.pop(k)
        for k in list(config)
        if k in ("mappings", "name", "consent_categories", "retry", "preset", "base_url")
    }
    data: dict[str, Any] = {
        "vendor": "kameleoon",
        "name": "Kameleoon EU",
        "config": {"site_code": SITE, "region": "eu", **config},
    }
    if box is not None:
        data["base_url"] = box.url
    data.update(top)
    return data


def nonce(message_id: str) -> str:
    """Computed here independently of the plugin: SHA-256 of the message id, 16 hex, upper."""
    return hashlib.sha256(message_id.encode()).hexdigest()[:16].upper()


def events(recorded: Recorded) -> list[dict[str, Any]]:
    body = json.loads(recorded.body)
    assert isinstance(body, list)
    return body


def wire(events: list[dict[str, Any]]) -> bytes:
    """The exact bytes the plugin must send for ``events``."""
    return json.dumps(events, separators=(",", ":"), ensure_ascii=False).encode()


def token_reply(token: str, expires_in: Any = 3600) -> Reply:
    body = {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}
    return Reply(200, {"Content-Type": "application/json"}, json.dumps(body).encode())
