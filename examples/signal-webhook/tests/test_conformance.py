"""The core's generic plugin checks (signal_core.testing.VendorConformance)."""

from __future__ import annotations

from signal_core.testing import VendorConformance, identify, page, track


class TestWebhookConformance(VendorConformance):
    vendor = "webhook"
    config = {"url": "https://hooks.example.com/signal/events", "secret": "whsec_conformance_1"}
    events = [track("Order Completed"), track("Newsletter Subscribed"), page(), identify()]
    per_account_hosts = "each integration posts to the url it configures"
