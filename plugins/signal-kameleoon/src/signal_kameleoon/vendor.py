"""The Kameleoon vendor declaration: config fields, the default preset, limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from signal_core import ConfigField, Vendor

VENDOR = "kameleoon"

REGIONS = ("eu", "na")
DOMAIN_TLDS = ("io", "eu")
SITE_CODE_MAX = 32
SITE_CODE_PATTERN = rf"[A-Za-z0-9]{{1,{SITE_CODE_MAX}}}"
SITE_CODE_RE = re.compile(SITE_CODE_PATTERN)
# Visible ASCII only: no spaces, line breaks or control characters can reach a
# form body or a header through the OAuth client credentials.
CREDENTIAL_PATTERN = r"[\x21-\x7e]{1,512}"

# Event fields the plugin reads.
GOAL_PROPERTY = "kameleoon_goal_id"
VISITOR_PROPERTY = "kameleoon_visitor_code"
VISITOR_COOKIE = "kameleoonVisitorCode"
NEGATIVE_PROPERTY = "kameleoon_negative"

# Kameleoon event types this plugin produces (a rule's ``vendor_event``).
PAGE = "PAGE"
CONVERSION = "CONVERSION"
EVENT_TYPES = (PAGE, CONVERSION)

HOSTS = (
    *(f"{region}-data.kameleoon.{tld}" for tld in DOMAIN_TLDS for region in REGIONS),
    "api.kameleoon.com",
)

CONFIG = (
    ConfigField(
        "site_code",
        required=True,
        pattern=SITE_CODE_PATTERN,
        description="Kameleoon project Site Code (letters and digits, e.g. f17c21u1ag).",
    ),
    ConfigField(
        "region",
        required=True,
        choices=REGIONS,
        description="Data region of the account: eu or na.",
    ),
    ConfigField(
        "domain_tld",
        default="io",
        choices=DOMAIN_TLDS,
        description="Top-level domain of the Data API host: io (default) or eu.",
    ),
    ConfigField(
        "client_id",
        pattern=CREDENTIAL_PATTERN,
        description="Optional OAuth client id (with client_secret) for higher rate limits.",
    ),
    ConfigField(
        "client_secret",
        secret=True,
        pattern=CREDENTIAL_PATTERN,
        description="Optional OAuth client secret (with client_id).",
    ),
)

PRESETS = MappingProxyType(
    {
        "default": MappingProxyType(
            {
                "page": MappingProxyType({"vendor_event": PAGE}),
                "Order Completed": MappingProxyType({"vendor_event": CONVERSION}),
                "Order Refunded": MappingProxyType(
                    {"vendor_event": CONVERSION, "values": {NEGATIVE_PROPERTY: True}}
                ),
                "Signed Up": MappingProxyType({"vendor_event": CONVERSION}),
            }
        )
    }
)


def _both_or_neither(config: Mapping[str, Any]) -> None:
    """OAuth needs client_id and client_secret together; fail at load time otherwise."""
    if bool(config.get("client_id")) != bool(config.get("client_secret")):
        raise ValueError("client_id and client_secret must be set together (or neither)")


KAMELEOON = Vendor(
    name=VENDOR,
    config=CONFIG,
    presets=PRESETS,
    default_preset="default",
    consent_categories=("analytics",),
    max_batch_size=100,
    max_batch_bytes=2_500_000,
    hosts=HOSTS,
    dedups=True,
    unmapped="drop",
    description="Kameleoon Data API: page views and conversion goals, server to server.",
    validate=_both_or_neither,
)
