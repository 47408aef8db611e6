"""The Kargo vendor declaration: config fields, presets, defaults."""

from __future__ import annotations

from types import MappingProxyType

from signal_core import ConfigField, Vendor

from .endpoint import validate_endpoint

VENDOR = "kargo"
DEFAULT_ENDPOINT = "https://krxd.net/data/c"
AUTH_MODES = ("query", "header")

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
