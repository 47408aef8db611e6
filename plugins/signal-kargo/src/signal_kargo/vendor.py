"""The Kargo vendor declaration: config fields, presets, defaults."""

from __future__ import annotations

import math
from collections.abc import Callable
from types import MappingProxyType

from signal_core import ConfigField, Vendor

from .endpoint import validate_endpoint, validate_sync_url

VENDOR = "kargo"
DEFAULT_ENDPOINT = "https://krxd.net/data/c"
AUTH_MODES = ("query", "header")


def _in_range(low: float, high: float, unit: str) -> Callable[[float], float]:
    """A validator for a number in ``(low, high]``."""

    def check(value: float) -> float:
        if not (math.isfinite(value) and low < value <= high):
            raise ValueError(
                f"must be more than {low:g} and at most {high:g} {unit}, got {value:g}"
            )
        return value

    return check


RETAIL = MappingProxyType(
    {
        "Order Completed": MappingProxyType({"vendor_event": "conversion"}),
        "Product Viewed": MappingProxyType({"vendor_event": "engagement"}),
    }
)

KARGO = Vendor(
    name=VENDOR,
    config=(
        ConfigField(
            "advertiser_id",
            required=True,
            description="Kargo advertiser id, sent as the advertiser_id query parameter.",
        ),
        ConfigField(
            "campaign_id",
            description="Default campaign id; an event's kargo_campaign_id or campaign_id "
            "property wins. Omitted from the request when neither is set.",
        ),
        ConfigField(
            "auth_token",
            required=True,
            secret=True,
            description="Token issued by Kargo for server-side conversion writes.",
        ),
        ConfigField(
            "endpoint",
            default=DEFAULT_ENDPOINT,
            validator=validate_endpoint,
            description="Conversion endpoint (https; http only for loopback hosts).",
        ),
        ConfigField(
            "auth_mode",
            default="query",
            choices=AUTH_MODES,
            description="query: auth_token query parameter; header: Authorization: Bearer.",
        ),
        ConfigField(
            "sync_url",
            validator=validate_sync_url,
            description="The account's Kargo Id endpoint for the puid sync (https; http only "
            "for loopback hosts; a fixed query is kept). No sync when unset.",
        ),
        ConfigField(
            "sync_lifetime_days",
            default=365.0,
            kind=float,
            validator=_in_range(0, 3650, "days"),
            description="How long a synced puid is kept per visitor.",
        ),
        ConfigField(
            "sync_timeout_ms",
            default=5000.0,
            kind=float,
            validator=_in_range(0, 60000, "ms"),
            description="Limit for the whole sync call; a slower answer is a failed sync.",
        ),
        ConfigField(
            "sync_failure_ttl_hours",
            default=24.0,
            kind=float,
            validator=_in_range(0, 8760, "hours"),
            description="After a failed sync, no new attempt for this visitor for this long.",
        ),
    ),
    presets=MappingProxyType({"retail": RETAIL}),
    default_preset="retail",
    consent_categories=("marketing",),
    max_batch_size=1,
    click_ids=("kgid",),
    hosts=("krxd.net",),
    dedups=False,
    unmapped="drop",
    description="Kargo S2S conversions (alpha at Kargo: confirm endpoint and payload "
    "shape with your account manager).",
)
