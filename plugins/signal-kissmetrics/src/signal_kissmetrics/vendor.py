"""The Kissmetrics vendor declaration: config fields, the default preset, limits."""

from __future__ import annotations

from types import MappingProxyType

from signal_core import ConfigField, Vendor

VENDOR_NAME = "kissmetrics"

DEFAULT_HOST = "https://trk.kissmetrics.io"
LEGACY_HOST = "https://trk.kissmetrics.com"
HOSTS = (DEFAULT_HOST, LEGACY_HOST)

# Paths of the tracking API.
RECORD_PATH = "/e"  # record an event
SET_PATH = "/s"  # set person properties
ALIAS_PATH = "/a"  # link two identities

# Source event -> Kissmetrics event name. The first nine rows are the seed
# table; ``identify`` routes identify events to ``/s`` (its vendor_event is
# not used, since setting properties records no event name).
DEFAULT_PRESET = MappingProxyType(
    {
        "page": MappingProxyType({"vendor_event": "Page Viewed"}),
        "Signed Up": MappingProxyType({"vendor_event": "Signed Up"}),
        "Logged In": MappingProxyType({"vendor_event": "Logged In"}),
        "Products Searched": MappingProxyType({"vendor_event": "Searched"}),
        "Product Viewed": MappingProxyType({"vendor_event": "Product Viewed"}),
        "Product Added": MappingProxyType({"vendor_event": "Added to Cart"}),
        "Checkout Started": MappingProxyType({"vendor_event": "Checkout Started"}),
        "Order Completed": MappingProxyType({"vendor_event": "Purchased"}),
        "Order Refunded": MappingProxyType({"vendor_event": "Refunded"}),
        "identify": MappingProxyType({"vendor_event": "identify"}),
    }
)

VENDOR = Vendor(
    name=VENDOR_NAME,
    config=(
        ConfigField(
            "api_key",
            required=True,
            secret=True,
            description="Product API key from the product's Settings; sent as _k.",
        ),
        ConfigField(
            "host",
            default=DEFAULT_HOST,
            choices=HOSTS,
            description="Tracking host: the current trk.kissmetrics.io or the legacy "
            "trk.kissmetrics.com.",
        ),
        ConfigField(
            "alias_on_identify",
            default=False,
            kind=bool,
            description="On identify events that carry both user_id and anonymous_id, "
            "also link the two identities (GET /a). Cannot be undone.",
        ),
    ),
    presets=MappingProxyType({"default": DEFAULT_PRESET}),
    default_preset="default",
    consent_categories=("analytics",),
    max_batch_size=1,
    hosts=("trk.kissmetrics.io", "trk.kissmetrics.com"),
    dedups=True,
    unmapped="drop",
    description="Kissmetrics tracking API: record events (/e), set properties (/s), alias (/a).",
)
