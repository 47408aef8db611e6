"""The core's generic plugin checks (signal_core.testing.VendorConformance) for Kargo."""

from __future__ import annotations

from signal_core.testing import VendorConformance, track

LANDING = {"page": {"url": "https://shop.example/landing?utm_source=kargo&kgid=kg_click_xyz789"}}


class TestKargoConformance(VendorConformance):
    vendor = "kargo"
    config = {
        "advertiser_id": "kg_adv_12345",
        "campaign_id": "kg_camp_67890",
        "auth_token": "kg_token_conformance_1",
    }
    events = [
        track("Order Completed", context=LANDING),
        track("Product Viewed", {"product_id": "SKU-1", "price": 19.5}, context=LANDING),
    ]
    unmapped_events = [track("Signed Up"), track("Cart Viewed")]
