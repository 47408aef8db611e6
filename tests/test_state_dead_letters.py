"""Dead letters end to end: a failing loopback vendor, export, replay, filters, purge.

Each test runs on the in-memory and on the SQLite store. Time is a FakeClock
(retry sleeps advance it; dead-letter times are read from it).
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from signal_core import InvalidEventError, Pipeline, Status
from signal_core.deadletters import DeadLetterFilter
from signal_core.state import DeadLetter
from signal_core.testing import FakeClock, Sandbox
from signal_state_kit import (
    DAY,
    ECHO_KEY,
    KARGO_TOKEN,
    SwitchSandbox,
    assert_no_secret,
    body,
    echo_integration,
    kargo_integration,
    state_files,
    track,
)

# A long deadline: four workers share one FakeClock, so one delivery's
# deadline must not run out on the others' (fake) sleeps.
RETRY = {"deadline": 3600}


@pytest.fixture(autouse=True)
def _echo_and_kargo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAL_PLUGINS", "echo,kargo")


@pytest.fixture(params=["memory", "sqlite"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/state.db"


@pytest.fixture
def ebox(make_box: Callable[..., Sandbox]) -> SwitchSandbox:
    return make_box(cls=SwitchSandbox, status=503)  # type: ignore[return-value]


@pytest.fixture
def kbox(make_box: Callable[..., Sandbox]) -> SwitchSandbox:
    return make_box(cls=SwitchSandbox, status=503)  # type: ignore[return-value]


@pytest.fixture
def pipeline(
    make_pipeline: Callable[..., Pipeline], ebox: SwitchSandbox, kbox: SwitchSandbox, state_url: str
) -> Pipeline:
    return make_pipeline(
        [echo_integration(ebox), kargo_integration(kbox)], state=state_url, retry=RETRY
    )


def order(i: int, *, timed: bool = True) -> dict[str, Any]:
    event = track(
        anonymous_id=f"anon_{i % 7}",
        properties={
            "order_id": f"ORD-{i}",
            "revenue": i + 0.5,
            "currency": "usd",
            "items": [{"sku": f"SKU-{i}", "qty": 1, "tags": ["a", "ü ✓"]}],
            "coupon": None,
        },
        context={
            "ip": "203.0.113.9",
            "user_agent": "Mozilla/5.0 (X11)",
            "page": {"url": "https://shop.example/t"},
        },
    )
    if not timed:
        del event["timestamp"]  # the core makes up a random message id
    return event


def by_order(records: list[DeadLetter]) -> dict[tuple[str, str], DeadLetter]:
    return {(r.integration, r.event["properties"]["order_id"]): r for r in records}


def test_a_failing_run_is_dead_lettered_exported_and_replayed(
    pipeline: Pipeline, ebox: SwitchSandbox, kbox: SwitchSandbox, clock: FakeClock
) -> None:
    events = [order(i, timed=i % 2 == 0) for i in range(50)]
    started = clock.time()
    summary = pipeline.send_many(events, workers=4)
    ended = clock.time()
    assert summary.to_dict()["integrations"] == {
        name: {"delivered": 0, "dropped": 0, "skipped": 0, "failed": 50}
        for name in ("echo", "kargo")
    }
    assert len(ebox.requests) == len(kbox.requests) == 150  # 3 attempts each

    records = pipeline.dead_letters.list()
    assert len(records) == 100 == pipeline.store.count_dead_letters()
    found = by_order(records)
    for i, original in enumerate(events):
        for name in ("echo", "kargo"):
            record = found[(name, f"ORD-{i}")]
            assert record.vendor == name
            assert record.reason == f"gave up after 3 attempts: 503 Service Unavailable from {name}"
            assert (record.attempts, record.http_status) == (3, 503)
            assert started < record.first_failed == record.last_failed <= ended
            # The original event, payload intact, plus the id it was sent with.
            stored = dict(record.event)
            assert stored.pop("message_id") == record.event_id
            if "timestamp" not in original:
                assert isinstance(stored.pop("timestamp"), (int, float))  # when it was received
            assert stored == original
        assert found[("echo", f"ORD-{i}")].event_id == found[("kargo", f"ORD-{i}")].event_id

    failed_ids = Counter(body(r)["id"] for r in ebox.requests)
    assert failed_ids == {r.event_id: 3 for r in records if r.integration == "echo"}
    # The secrets did travel in the failed requests; they must not travel further.
    assert quote(ECHO_KEY, safe="") in ebox.requests[0].target
    assert quote(KARGO_TOKEN, safe="") in kbox.requests[0].target

    out = io.StringIO()
    assert pipeline.dead_letters.export(out) == 100
    text = out.getvalue()
    assert_no_secret(text, ECHO_KEY, KARGO_TOKEN)
    lines = text.splitlines()
    assert [DeadLetter.from_dict(json.loads(line)) for line in lines] == records
    assert json.loads(lines[0])["event"]["properties"]["items"][0]["tags"] == ["a", "ü ✓"]

    # The vendor recovers: replay delivers everything with the original ids.
    clock.advance(3600)
    ebox.status = kbox.status = 204
    failed_echo_bodies = {r.body for r in ebox.requests}
    failed_kargo_bodies = {r.body for r in kbox.requests}
    replay = pipeline.dead_letters.replay(pipeline)
    assert replay.to_dict() == {
        "replayed": 100,
        "delivered": 100,
        "still_failing": 0,
        "kept": 0,
        "outcomes": {"delivered": 100},
    }
    replayed_echo = ebox.requests[150:]
    replayed_kargo = kbox.requests[150:]
    assert Counter(body(r)["id"] for r in replayed_echo) == {i: 1 for i in failed_ids}
    assert {r.body for r in replayed_echo} == failed_echo_bodies  # byte-identical requests
    assert sorted(r.body for r in replayed_kargo) == sorted(failed_kargo_bodies)
    assert len(replayed_kargo) == 50
    assert pipeline.dead_letters.list() == []
    assert pipeline.store.count_dead_letters() == 0


def test_a_record_that_fails_again_stays_with_its_attempts_added(
    pipeline: Pipeline, ebox: SwitchSandbox, kbox: SwitchSandbox, clock: FakeClock
) -> None:
    pipeline.send_many([order(i) for i in range(5)], workers=4)
    before = by_order(pipeline.dead_letters.list())
    clock.advance(3600)
    replay_time = clock.time()
    ebox.status = 204  # echo recovers, kargo does not
    summary = pipeline.dead_letters.replay(pipeline)
    assert (summary.replayed, summary.delivered, summary.still_failing, summary.kept) == (
        10,
        5,
        5,
        0,
    )
    assert summary.outcomes == {"delivered": 5, "failed": 5}
    after = by_order(pipeline.dead_letters.list())
    assert set(after) == {("kargo", f"ORD-{i}") for i in range(5)}
    for key, record in after.items():
        old = before[key]
        assert record.attempts == 6
        assert record.first_failed == old.first_failed
        assert record.last_failed > replay_time
        assert (record.event_id, record.event, record.http_status) == (old.event_id, old.event, 503)

    kbox.status = 400  # now a different failure: status and reason follow the latest one
    assert pipeline.dead_letters.replay(pipeline).still_failing == 5
    record = pipeline.dead_letters.list()[0]
    assert (record.attempts, record.http_status) == (7, 400)
    assert record.reason.startswith("400 Bad Request: the payload shape differs")

    kbox.status = 200
    assert pipeline.dead_letters.replay(pipeline).delivered == 5
    assert pipeline.dead_letters.list() == []
    # kargo: 3 attempts, 3 more on the first replay, one 400, one 200 per event
    assert len(ebox.requests) == 15 + 5
    assert len(kbox.requests) == 15 + 15 + 5 + 5


def test_filters_by_integration_and_age_for_list_replay_and_purge(
    pipeline: Pipeline, ebox: SwitchSandbox, kbox: SwitchSandbox, clock: FakeClock
) -> None:
    pipeline.send_many([order(i) for i in range(3)], workers=4)  # old failures
    clock.advance(2 * DAY)
    pipeline.send_many([order(i) for i in range(3, 5)], workers=4)  # recent failures
    queue = pipeline.dead_letters
    day_ago = clock.time() - DAY

    def orders(where: DeadLetterFilter) -> list[tuple[str, str]]:
        return sorted((r.integration, r.event["properties"]["order_id"]) for r in queue.list(where))

    assert orders(DeadLetterFilter(integration="echo")) == [("echo", f"ORD-{i}") for i in range(5)]
    assert orders(DeadLetterFilter(integration="nope")) == []
    old = [(n, f"ORD-{i}") for n in ("echo", "kargo") for i in range(3)]
    recent = [(n, f"ORD-{i}") for n in ("echo", "kargo") for i in range(3, 5)]
    assert orders(DeadLetterFilter(failed_before=day_ago)) == old
    assert orders(DeadLetterFilter(failed_after=day_ago)) == recent
    assert orders(DeadLetterFilter(integration="kargo", failed_after=day_ago)) == [
        ("kargo", "ORD-3"),
        ("kargo", "ORD-4"),
    ]
    assert len(queue.list(DeadLetterFilter(limit=4))) == 4
    # Oldest first: the limit keeps the old ones.
    assert all(r.last_failed < day_ago for r in queue.list(DeadLetterFilter(limit=6)))

    out = io.StringIO()
    assert queue.export(out, DeadLetterFilter(integration="kargo", failed_before=day_ago)) == 3
    assert sorted(
        json.loads(x)["event"]["properties"]["order_id"] for x in out.getvalue().splitlines()
    ) == [
        "ORD-0",
        "ORD-1",
        "ORD-2",
    ]

    ebox.status = kbox.status = 204
    sent_before = len(ebox.requests), len(kbox.requests)
    summary = queue.replay(pipeline, DeadLetterFilter(integration="echo", failed_before=day_ago))
    assert (summary.replayed, summary.delivered) == (3, 3)
    assert (len(ebox.requests), len(kbox.requests)) == (sent_before[0] + 3, sent_before[1])
    assert sorted(body(r)["order_id"] for r in ebox.requests[sent_before[0] :]) == [
        "ORD-0",
        "ORD-1",
        "ORD-2",
    ]
    assert orders(DeadLetterFilter()) == sorted(
        [("kargo", "ORD-0"), ("kargo", "ORD-1"), ("kargo", "ORD-2"), *recent]
    )

    assert queue.purge(DeadLetterFilter(failed_after=day_ago)) == 4
    assert orders(DeadLetterFilter()) == [
        ("kargo", "ORD-0"),
        ("kargo", "ORD-1"),
        ("kargo", "ORD-2"),
    ]
    assert queue.purge(DeadLetterFilter(integration="echo")) == 0
    assert queue.purge() == 3
    assert queue.list() == []
    assert pipeline.store.count_dead_letters() == 0


def test_a_failed_send_is_stored_before_send_returns(pipeline: Pipeline, clock: FakeClock) -> None:
    started = clock.time()
    results = pipeline.send(order(1))
    assert [r.status for r in results] == [Status.FAILED, Status.FAILED]
    stored = pipeline.dead_letters.list()
    assert sorted((r.integration, r.event_id, r.attempts) for r in stored) == [
        ("echo", results[0].event_id, 3),
        ("kargo", results[0].event_id, 3),
    ]
    assert all(started < r.first_failed == r.last_failed <= clock.time() for r in stored)


def test_delivered_events_leave_no_dead_letter(
    pipeline: Pipeline, ebox: SwitchSandbox, kbox: SwitchSandbox
) -> None:
    ebox.status = kbox.status = 204
    summary = pipeline.send_many([order(i) for i in range(10)], workers=4)
    assert summary.total(Status.DELIVERED) == 20
    assert pipeline.dead_letters.list() == []


def test_invalid_input_of_a_bulk_run_is_kept_with_an_empty_integration(
    pipeline: Pipeline, ebox: SwitchSandbox
) -> None:
    ebox.status = 204
    no_name = {"type": "track", "anonymous_id": "anon_1", "properties": {"order_id": "X"}}
    bad_type = {"type": "purchase", "anonymous_id": "anon_1"}
    summary = pipeline.send_many([no_name, order(1), "not an object", bad_type], workers=2)
    assert summary.invalid == 3
    invalid = pipeline.dead_letters.list(DeadLetterFilter(integration=""))
    assert len(invalid) == 3
    events = sorted(json.dumps(r.event, sort_keys=True) for r in invalid)
    assert events == sorted(
        json.dumps(e, sort_keys=True) for e in (no_name, bad_type, {"_raw": "not an object"})
    )
    for record in invalid:
        assert (record.vendor, record.attempts, record.http_status) == ("", 1, None)
        assert record.reason.startswith("invalid event: ")
    # Replay cannot deliver them: they stay.
    summary_replay = pipeline.dead_letters.replay(pipeline)
    assert summary_replay.kept == 3
    assert summary_replay.outcomes["invalid (kept)"] == 3
    assert len(pipeline.dead_letters.list(DeadLetterFilter(integration=""))) == 3
    # Pipeline.send raises for invalid input instead (the caller sees it); nothing is stored.
    with pytest.raises(InvalidEventError):
        pipeline.send(bad_type)
    assert len(pipeline.dead_letters.list()) == 3 + 1  # the kargo failure of order(1)


def test_reflected_secrets_never_reach_the_store_or_the_export(
    pipeline: Pipeline, ebox: SwitchSandbox, kbox: SwitchSandbox, state_url: str, tmp_path: Path
) -> None:
    # The vendors answer with the request target, token and all, in their error bodies.
    ebox.reflect = kbox.reflect = True
    ebox.status, kbox.status = 401, 400
    results = pipeline.send(order(1))
    assert [r.status for r in results] == [Status.FAILED, Status.FAILED]
    kargo = pipeline.dead_letters.list(DeadLetterFilter(integration="kargo"))[0]
    assert "(Kargo said: /data/c?advertiser_id=adv-7&auth_token=***)" in kargo.reason
    out = io.StringIO()
    pipeline.dead_letters.export(out)
    assert_no_secret(out.getvalue(), ECHO_KEY, KARGO_TOKEN)
    assert_no_secret(repr(pipeline.dead_letters.list()), ECHO_KEY, KARGO_TOKEN)
    if state_url.startswith("sqlite"):
        pipeline.close()
        assert_no_secret(state_files(tmp_path / "state.db"), ECHO_KEY, KARGO_TOKEN)


def test_replay_keeps_the_dead_letters_of_a_disabled_integration(
    make_pipeline: Callable[..., Pipeline],
    pipeline: Pipeline,
    ebox: SwitchSandbox,
    kbox: SwitchSandbox,
    state_url: str,
) -> None:
    pipeline.send_many([order(i) for i in range(3)], workers=2)
    ebox.status = kbox.status = 204
    if state_url == "memory://":
        state: Any = pipeline.store  # the same in-memory store, seen by a second pipeline
    else:
        state = state_url
    paused = make_pipeline(
        [echo_integration(ebox, enabled=False), kargo_integration(kbox)], state=state, retry=RETRY
    )
    summary = paused.dead_letters.replay(paused)
    assert (summary.replayed, summary.delivered, summary.kept) == (6, 3, 3)
    assert summary.outcomes["integration disabled (kept)"] == 3
    assert {r.integration for r in paused.dead_letters.list()} == {"echo"}
    assert len(ebox.requests) == 9  # nothing new for the disabled one
    summary = pipeline.dead_letters.replay(pipeline)  # enabled again
    assert (summary.replayed, summary.delivered) == (3, 3)
    assert pipeline.dead_letters.list() == []


def test_invalid_input_with_undecodable_text_is_kept(
    pipeline: Pipeline, ebox: SwitchSandbox
) -> None:
    ebox.status = 204
    bad_text = {"type": "track", "event": "Order \udcff", "anonymous_id": "anon_1"}
    summary = pipeline.send_many([bad_text, order(1)], workers=1)
    assert summary.invalid == 1
    [record] = pipeline.dead_letters.list(DeadLetterFilter(integration=""))
    assert record.event == {**bad_text, "event": "Order \\udcff"}
    assert record.reason.startswith("invalid event: ")
