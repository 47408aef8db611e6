"""send_many: many visitors in one request, 413 and size splitting, per-event results."""

from __future__ import annotations

from kameleoon_testkit import events, integration, nonce, page, purchase, track
from signal_core import DeliveryResult, Status


def _send_many(pipeline, evs, **kwargs):
    results: list[DeliveryResult] = []
    summary = pipeline.send_many(evs, workers=1, on_result=results.append, **kwargs)
    return summary, {r.event_id: r for r in results}


def _visitors(n: int, prefix: str = "e") -> list[dict[str, object]]:
    return [
        track("Order Completed", f"{prefix}{i}", visitor=f"visitor{i}", kameleoon_goal_id=100 + i)
        for i in range(n)
    ]


def test_several_visitors_in_one_request(box, make_pipeline):
    evs = [
        purchase(),
        page(message_id="page-2", context={"page": {"url": "https://e.example/"}}),
        track("Signed Up", "signup-3", visitor="visitor3", kameleoon_goal_id=7),
        track("Order Refunded", "refund-4", visitor="visitor4", kameleoon_goal_id=8, revenue=5),
        track("Product Viewed", "viewed-5", visitor="visitor5"),  # unmapped
        track("Signed Up", "signup-6", visitor="visitor6"),  # no goal id
    ]
    summary, results = _send_many(make_pipeline(integration(box)), evs)
    assert summary.events == 6
    assert summary.total(Status.DELIVERED) == 4
    assert summary.total(Status.DROPPED) == 2
    [req] = box.requests
    assert req.path == "/visit/events"
    assert req.raw_query == "siteCode=f17c21u1ag&json=true"
    sent = events(req)
    assert [e["visitorCode"] for e in sent] == ["245fc8a1b9", "anon_abc123", "visitor3", "visitor4"]
    assert [e["eventType"] for e in sent] == ["CONVERSION", "PAGE", "CONVERSION", "CONVERSION"]
    assert [e["nonce"] for e in sent] == [
        nonce(m) for m in ("9f1c2d7a-4b88-4e2a-9a31-6c0e2b5d77aa", "page-2", "signup-3", "refund-4")
    ]
    assert sent[3]["negative"] is True
    assert results["viewed-5"].status is Status.DROPPED
    assert "kameleoon_goal_id" in results["signup-6"].reason
    assert results["page-2"].status is Status.DELIVERED
    assert results["page-2"].http_status == 204


def test_batches_hold_at_most_100_events(box, make_pipeline):
    summary, _ = _send_many(make_pipeline(integration(box)), _visitors(150))
    assert summary.total(Status.DELIVERED) == 150
    assert [len(events(r)) for r in box.requests] == [100, 50]
    sent = [e["nonce"] for r in box.requests for e in events(r)]
    assert sent == [nonce(f"e{i}") for i in range(150)]


def test_413_splits_the_batch_and_reports_each_event(box, make_pipeline, clock):
    box.script(413, 204, 204)
    summary, results = _send_many(make_pipeline(integration(box)), _visitors(4))
    assert [len(events(r)) for r in box.requests] == [4, 2, 2]
    whole, left, right = (events(r) for r in box.requests)
    assert left + right == whole  # the halves carry the same events, same nonces
    assert summary.total(Status.DELIVERED) == 4
    assert {r.status for r in results.values()} == {Status.DELIVERED}
    assert all(r.http_status == 204 for r in results.values())
    assert clock.sleeps == []  # a split is not a retry


def test_413_split_with_one_half_failing(box, make_pipeline):
    box.script(413, 204, 400)
    summary, results = _send_many(make_pipeline(integration(box)), _visitors(4))
    assert [len(events(r)) for r in box.requests] == [4, 2, 2]
    assert [results[f"e{i}"].status for i in range(4)] == [
        Status.DELIVERED,
        Status.DELIVERED,
        Status.FAILED,
        Status.FAILED,
    ]
    assert "nonce or eventType missing or body malformed" in results["e3"].reason
    assert results["e3"].http_status == 400
    assert summary.failed == 2


def test_413_down_to_a_single_event_fails_it(box, make_pipeline):
    box.script(413, 413)
    _, results = _send_many(make_pipeline(integration(box)), _visitors(3))
    # 3 -> [1] + [2]; the single one is refused again, the pair goes through
    assert [len(events(r)) for r in box.requests] == [3, 1, 2]
    assert results["e0"].status is Status.FAILED
    assert "413" in results["e0"].reason
    assert results["e1"].status is results["e2"].status is Status.DELIVERED


def test_a_batch_over_the_byte_limit_is_split_before_sending(box, make_pipeline):
    title = "t" * 450_000
    evs = [
        page(message_id=f"big{i}", context={"page": {"url": "https://e.example/", "title": title}})
        for i in range(6)
    ]
    summary, _ = _send_many(make_pipeline(integration(box)), evs)
    assert summary.total(Status.DELIVERED) == 6
    assert [len(events(r)) for r in box.requests] == [3, 3]
    assert all(len(r.body) <= 2_500_000 for r in box.requests)
