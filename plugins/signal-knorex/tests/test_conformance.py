"""The core's generic plugin checks (signal_core.testing.VendorConformance) for Knorex."""

from __future__ import annotations

from signal_core.testing import VendorConformance, track

TEMPLATE = (
    "https://s2s.knorex.example/xpo/postback?kcid={kcid}&goal={goal_id}&value={value}"
    "&currency={currency}&order={order_id}&eid={event_id}&ts={timestamp}&token={token}"
)


class TestKnorexConformance(VendorConformance):
    vendor = "knorex"
    config = {"postback_url": TEMPLATE, "token": "knx_conformance_token_1", "goal_id": "G-100"}
    events = [
        track("Order Completed", {"kcid": "kc_abc123", "revenue": 89.99, "currency": "USD"}),
        track("Signed Up", {"kcid": "kc_def456"}),
    ]
    per_account_hosts = "each Knorex account has its own postback URL (config postback_url)"
