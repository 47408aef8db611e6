"""send() delivers to several integrations in parallel."""

from __future__ import annotations

from signal_core import Status
from signal_e2e_kit import BarrierSandbox, echo, echo_batch, track


def test_integrations_are_delivered_in_parallel(make_box, make_pipeline):
    box = make_box(cls=BarrierSandbox, parties=3, timeout=5.0)
    pipeline = make_pipeline(
        [echo(box, name="first"), echo(box, name="second"), echo_batch(box, name="third")]
    )
    results = pipeline.send(track())
    assert not box.broken, "requests were not in flight at the same time"
    assert [(r.integration, r.status) for r in results] == [
        ("first", Status.DELIVERED),
        ("second", Status.DELIVERED),
        ("third", Status.DELIVERED),
    ]
    assert sorted(r.path for r in box.requests) == ["/batch", "/collect", "/collect"]


def test_results_keep_integration_order_with_skips_in_between(make_box, make_pipeline):
    box = make_box(cls=BarrierSandbox, parties=2, timeout=5.0)
    pipeline = make_pipeline(
        [
            echo(box, name="a"),
            echo(box, name="off", enabled=False),
            echo_batch(box, name="b"),
        ]
    )
    results = pipeline.send(track())
    assert [(r.integration, r.status) for r in results] == [
        ("a", Status.DELIVERED),
        ("off", Status.SKIPPED),
        ("b", Status.DELIVERED),
    ]
    assert not box.broken
