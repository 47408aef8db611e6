"""send_many: accounting, batching, 413 and byte-limit splits, many workers."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from signal_core import Status
from signal_core.events import normalize
from signal_e2e_kit import echo, echo_batch, track


def ids_of(events):
    return [normalize(e).message_id for e in events]


def numbered(count, name="Order Completed"):
    return [track(name, properties={"n": n}) for n in range(count)]


def test_counts_add_up_for_every_integration(make_box, make_pipeline):
    ok_box = make_box()
    failing = make_box(default=400)
    events = [
        track(properties={"n": 1}),  # delivered everywhere
        track("Cart Viewed"),  # unmapped: dropped
        track(properties={"drop_me": True}),  # DropEvent: dropped
        track(context={"consent": {"categories": {"analytics": False}}}),  # echo: skipped
        {"type": "page", "anonymous_id": "p", "timestamp": 1749200400},  # delivered
        {"type": "track", "anonymous_id": "x"},  # invalid: no event name
        "not an event",  # invalid
    ]
    pipeline = make_pipeline(
        [
            echo(ok_box),
            echo_batch(ok_box),
            echo(failing, name="failing"),
            echo(ok_box, name="off", enabled=False),
        ]
    )
    seen, invalid = [], []
    lock = threading.Lock()

    def on_result(result):
        with lock:
            seen.append(result)

    summary = pipeline.send_many(
        events, workers=3, on_result=on_result, on_invalid=lambda i, e: invalid.append((i, e.field))
    )
    valid = len(events) - 2
    assert summary.events == len(events)
    assert summary.invalid == 2
    assert invalid == [(5, "event"), (6, "event")]
    assert [i for i, _ in summary.invalid_examples] == [5, 6]
    counts = summary.to_dict()["integrations"]
    assert counts["echo"] == {"delivered": 2, "dropped": 2, "skipped": 1, "failed": 0}
    assert counts["echo_batch"] == {"delivered": 3, "dropped": 2, "skipped": 0, "failed": 0}
    assert counts["failing"] == {"delivered": 0, "dropped": 2, "skipped": 1, "failed": 2}
    assert counts["off"] == {"delivered": 0, "dropped": 0, "skipped": valid, "failed": 0}
    for name, row in counts.items():
        assert sum(row.values()) == valid, name
    assert len(seen) == valid * 4
    assert Counter((r.integration, r.event_id) for r in seen) == Counter(
        {(i, e): 1 for i in ("echo", "echo_batch", "failing", "off") for e in ids_of(events[:5])}
    )
    assert summary.failed == 2
    assert not summary.ok
    # the servers saw exactly what was delivered (or tried once, for 400)
    assert len(failing.requests) == 2
    assert sum(len(json.loads(r.body)) if r.path == "/batch" else 1 for r in ok_box.requests) == 5


def test_echo_batch_groups_seven_events_in_requests_of_3_3_1(box, make_pipeline):
    events = numbered(7)
    summary = make_pipeline([echo_batch(box)]).send_many(events, workers=1)
    assert summary.to_dict()["integrations"]["echo_batch"]["delivered"] == 7
    bodies = [json.loads(r.body) for r in box.requests]
    assert [len(b) for b in bodies] == [3, 3, 1]
    assert all(isinstance(b, list) for b in bodies)
    assert [item["id"] for b in bodies for item in b] == ids_of(events)
    assert [item["n"] for b in bodies for item in b] == list(range(7))
    assert all(r.method == "POST" and r.path == "/batch" for r in box.requests)
    assert all(r.headers["Content-Type"] == "application/json" for r in box.requests)


def test_413_splits_a_batch_and_every_event_gets_a_result(make_box, make_pipeline):
    box = make_box(413, 204, 413)  # 3 -> 413; [1] -> 204; [2] -> 413; then [1], [1] -> 204
    events = numbered(3)
    results = []
    summary = make_pipeline([echo_batch(box)]).send_many(
        events, workers=1, on_result=results.append
    )
    assert [len(json.loads(r.body)) for r in box.requests] == [3, 1, 2, 1, 1]
    assert sorted(r.event_id for r in results) == sorted(ids_of(events))
    assert all(r.status is Status.DELIVERED for r in results)
    assert summary.to_dict()["integrations"]["echo_batch"]["delivered"] == 3
    delivered = [box.requests[i] for i in (1, 3, 4)]  # the requests answered 204
    delivered_ids = [item["id"] for r in delivered for item in json.loads(r.body)]
    assert sorted(delivered_ids) == sorted(ids_of(events))


def test_413_for_a_single_event_is_a_failure(make_box, make_pipeline):
    box = make_box(default=413)
    results = []
    make_pipeline([echo_batch(box)]).send_many(numbered(2), workers=1, on_result=results.append)
    assert [len(json.loads(r.body)) for r in box.requests] == [2, 1, 1]
    assert [r.status for r in results] == [Status.FAILED, Status.FAILED]
    assert all("413" in r.reason and r.http_status == 413 for r in results)


def test_a_batch_over_max_batch_bytes_is_split_before_sending(box, make_pipeline):
    events = [track(properties={"blob": "x" * 1500, "n": n}) for n in range(3)]
    results = []
    make_pipeline([echo_batch(box)]).send_many(events, workers=1, on_result=results.append)
    sizes = [len(json.loads(r.body)) for r in box.requests]
    assert sizes == [1, 2]
    assert all(len(r.body) <= 4096 for r in box.requests)
    assert [r.status for r in results] == [Status.DELIVERED] * 3
    assert sorted(item["n"] for r in box.requests for item in json.loads(r.body)) == [0, 1, 2]


def test_a_failed_batch_is_reported_per_event(make_box, make_pipeline):
    box = make_box(default=503)
    results = []
    make_pipeline([echo_batch(box)]).send_many(numbered(3), workers=1, on_result=results.append)
    assert len(box.requests) == 3  # one batch, three attempts
    assert len(results) == 3
    assert all(r.status is Status.FAILED and r.attempts == 3 for r in results)


@pytest.mark.parametrize("workers", [1, 8])
def test_two_hundred_events_are_each_delivered_exactly_once(make_box, make_pipeline, workers):
    single, batch = make_box(), make_box()
    events = numbered(200)
    summary = make_pipeline([echo(single), echo_batch(batch)]).send_many(events, workers=workers)
    expected = sorted(ids_of(events))
    assert len(set(expected)) == 200
    single_ids = [json.loads(r.body)["id"] for r in single.requests]
    batch_ids = [item["id"] for r in batch.requests for item in json.loads(r.body)]
    assert sorted(single_ids) == expected
    assert sorted(batch_ids) == expected
    assert all(len(json.loads(r.body)) <= 3 for r in batch.requests)
    assert len(batch.requests) == 67
    counts = summary.to_dict()["integrations"]
    assert counts["echo"]["delivered"] == 200
    assert counts["echo_batch"]["delivered"] == 200
    assert summary.ok


def test_workers_must_be_positive(box, make_pipeline):
    with pytest.raises(ValueError):
        make_pipeline([echo(box)]).send_many([track()], workers=0)


def test_integration_batch_size_lowers_the_vendor_maximum(make_box, make_pipeline):
    box = make_box()
    events = numbered(5)
    summary = make_pipeline([{**echo_batch(box), "batch_size": 2}]).send_many(events, workers=1)
    assert summary.total(Status.DELIVERED) == 5
    sizes = [len(json.loads(r.body)) for r in box.requests]
    assert sizes == [2, 2, 1]
    sent = [item["id"] for r in box.requests for item in json.loads(r.body)]
    assert sent == ids_of(events)


@pytest.mark.parametrize("size", [0, 4, True, "2"])
def test_integration_batch_size_is_validated_at_load(make_box, make_pipeline, size):
    from signal_core import ConfigError

    with pytest.raises(ConfigError) as info:
        make_pipeline([{**echo_batch(make_box()), "batch_size": size}])
    assert info.value.field == "batch_size"
