"""The core's generic plugin checks (signal_core.testing.VendorConformance) for Kameleoon."""

from __future__ import annotations

from signal_core.testing import VendorConformance, page, track

VISITOR = {"cookies": {"kameleoonVisitorCode": "245fc8a1b9"}}


class TestKameleoonConformance(VendorConformance):
    vendor = "kameleoon"
    config = {"site_code": "f17c21u1ag", "region": "eu"}
    events = [
        page(context=VISITOR),
        track(
            "Order Completed",
            {"order_id": "ORD-1", "revenue": 23.5, "kameleoon_goal_id": 36151},
            context=VISITOR,
        ),
        track("Order Refunded", {"revenue": 23.5, "kameleoon_goal_id": 36152}, context=VISITOR),
        track("Signed Up", {"kameleoon_goal_id": 36153}, context=VISITOR),
    ]
    # The OAuth client secret is only used with a client id: the secrets check
    # needs both (the token request then carries the canary to the sandbox).
    secrets_config = {**config, "client_id": "signal-client"}
