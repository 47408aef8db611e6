"""The core's generic plugin checks (signal_core.testing.VendorConformance) for Kissmetrics."""

from __future__ import annotations

from signal_core.testing import Reply, VendorConformance, identify, page, track

GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
    b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


class TestKissmetricsConformance(VendorConformance):
    vendor = "kissmetrics"
    config = {"api_key": "km_conformance_key_1"}
    events = [
        page(),
        track("Signed Up", {"plan": "pro"}, user_id="user_8842"),
        track("Logged In", user_id="user_8842"),
        track("Products Searched", {"query": "shoes"}),
        track("Product Viewed", {"sku": "SKU-1", "price": 19.5}),
        track("Product Added", {"sku": "SKU-1", "quantity": 2}),
        track("Checkout Started", {"value": 39.0}),
        track("Order Completed", user_id="user_8842"),
        track("Order Refunded", {"order_id": "ORD-1042", "revenue": 89.99}),
        identify(),
    ]

    def success_reply(self, status: int) -> Reply:
        # Kissmetrics answers its tracking calls with a 1x1 GIF.
        return Reply(status, {"Content-Type": "image/gif"}, GIF if status != 204 else b"")
