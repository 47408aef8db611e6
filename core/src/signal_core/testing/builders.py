"""Event builders: complete, valid events with sensible defaults, in one call.

Every builder returns a new ``dict`` in the shape ``Pipeline.send`` takes.
Keyword arguments set top-level fields (``user_id=...``, ``timestamp=...``);
a field set to ``None`` is removed. ``context`` is merged over the default
context (again, ``None`` removes a key); ``properties`` and ``traits`` replace
the defaults. ``message_id`` defaults to a stable id derived from the rest of
the event, so the same call always builds the same event.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "DEFAULT_ANONYMOUS_ID",
    "DEFAULT_CONTEXT",
    "DEFAULT_TIMESTAMP",
    "ORDER_PROPERTIES",
    "identify",
    "make_event",
    "page",
    "track",
]

DEFAULT_TIMESTAMP = "2025-06-06T09:00:00Z"
DEFAULT_ANONYMOUS_ID = "anon_abc123"
DEFAULT_CONTEXT: Mapping[str, Any] = {
    "ip": "203.0.113.50",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) SignalTest/1.0",
    "page": {
        "url": "https://shop.example/checkout",
        "title": "Checkout",
        "referrer": "https://search.example/",
    },
}
ORDER_PROPERTIES: Mapping[str, Any] = {"order_id": "ORD-1042", "revenue": 89.99, "currency": "USD"}


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any] | None) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in (changes or {}).items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = copy.deepcopy(value)
    return out


def make_event(
    type: str = "track",
    event: str | None = None,
    *,
    properties: Mapping[str, Any] | None = None,
    traits: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """Any event: ``make_event("track", "Signed Up", user_id="u1")``.

    Defaults: ``anonymous_id`` ``anon_abc123``, ``timestamp``
    ``2025-06-06T09:00:00Z``, an IP, user agent and page in ``context``, and
    for a track event without a name, ``Order Completed`` with an order's
    properties.
    """
    data: dict[str, Any] = {"type": type}
    if type == "track":
        data["event"] = event or "Order Completed"
        if properties is None and event is None:
            properties = ORDER_PROPERTIES
    elif event is not None:
        data["event"] = event
    data["timestamp"] = DEFAULT_TIMESTAMP
    data["anonymous_id"] = DEFAULT_ANONYMOUS_ID
    if properties is not None:
        data["properties"] = copy.deepcopy(dict(properties))
    if traits is not None:
        data["traits"] = copy.deepcopy(dict(traits))
    data["context"] = _merged(DEFAULT_CONTEXT, context)
    for key, value in fields.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = copy.deepcopy(value)
    if "message_id" not in fields and "messageId" not in fields:
        text = json.dumps(data, sort_keys=True, default=str).encode("utf-8")
        data["message_id"] = "msg-" + hashlib.sha256(text).hexdigest()[:16]
    return data


def track(
    event: str = "Order Completed",
    properties: Mapping[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A track event; ``Order Completed`` carries an order's properties by default."""
    if properties is None and event == "Order Completed":
        properties = ORDER_PROPERTIES
    return make_event("track", event, properties=properties or {}, **fields)


def page(
    url: str = "https://shop.example/checkout",
    title: str | None = "Checkout",
    **fields: Any,
) -> dict[str, Any]:
    """A page view of ``url`` (``context.page.url``) with ``title``."""
    context = dict(fields.pop("context", None) or {})
    page_context = dict(DEFAULT_CONTEXT["page"])
    page_context.update(context.pop("page", None) or {})
    page_context["url"] = url
    if title is None:
        page_context.pop("title", None)
    else:
        page_context["title"] = title
    context["page"] = page_context
    return make_event("page", context=context, **fields)


def identify(
    user_id: str = "user_8842",
    traits: Mapping[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """An identify event for ``user_id`` with ``traits`` (an email and a name by default)."""
    if traits is None:
        traits = {"email": "ada@example.com", "name": "Ada Lovelace"}
    return make_event("identify", traits=traits, user_id=user_id, **fields)
