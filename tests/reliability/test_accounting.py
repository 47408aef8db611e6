"""Accounting: thousands of events through send_many against a server mixing every fault.

Nothing is lost: every event ends in exactly one status per integration, the
counts add up, every failed event is in the dead-letter store with its payload
intact, and a replay once the server recovers delivers each of them with its
original event id (checked on the server side), leaving the store empty.
"""

from __future__ import annotations

import copy
import os
import random
import time
from collections import Counter

from faultserver import (
    CLOSE,
    GARBAGE,
    HANG,
    MB,
    OK,
    RESET,
    TRUNCATED,
    Mixer,
    closed_port,
    drip,
    huge,
    redirect,
    reply,
    retry_after,
)
from reliability_kit import (
    ThreadClock,
    event_ids,
    integration,
    integration_of,
    nonce_table,
    order,
    page,
    report,
)
from signal_core import Pipeline, Status
from signal_core.state import open_store

EVENTS = int(os.environ.get("SIGNAL_ACCOUNTING_EVENTS", "2100"))
SEED = 20250606
RETRY = {"read_timeout": 0.05, "connect_timeout": 0.5, "deadline": 10.0}


def mixed_faults(second_url: str) -> list:
    return [
        (OK, 75),
        (reply(200, b'{"ok":true}'), 5),
        (reply(503), 6),
        (reply(500), 2),
        (reply(502), 1),
        (retry_after(429, "1"), 2),
        (retry_after(503, "86400"), 1),
        (reply(400), 1),
        (reply(401), 0.5),
        (reply(404), 0.5),
        (redirect(f"{second_url}/elsewhere", 307), 1),
        (RESET, 5),
        (CLOSE, 5),
        (GARBAGE, 3),
        (TRUNCATED, 3),
        (HANG, 0.7),  # ends in a 0.05 s read timeout
        (drip(0.001, "head", status=204, body=b""), 0.5),  # slow but steady: delivered
        (drip(0.1, "body", body=b"xxxxxxxx"), 0.3),  # slower than the read timeout
        (huge(2 * MB), 0.3),
    ]


def make_events(n: int) -> list[dict]:
    rng = random.Random(SEED)
    events = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.10:
            event = page(i)
        elif roll < 0.15:
            event = order(i, event="Product Viewed")
        elif roll < 0.22:  # no marketing consent: kargo and knorex skip it
            event = order(i, context={"consent": {"categories": {"marketing": False}}})
        else:
            event = order(i)
        if rng.random() < 0.8:  # most events do not opt in to the "beta" vendor
            context = event.setdefault("context", {})
            context.setdefault("consent", {"categories": {}})["categories"]["beta"] = False
        events.append(event)
    return events


def without_enrichment(stored: dict) -> dict:
    """The stored event minus what the core adds on purpose (pipeline._enrich keeps
    resolved click ids in ``context.click_ids`` so a replay carries them)."""
    event = copy.deepcopy(stored)
    context = event.get("context")
    if isinstance(context, dict):
        context.pop("click_ids", None)
        if not context:
            del event["context"]
    return event


def integrations(url: str, down_url: str) -> list[dict]:
    """Every vendor at the faulty server, and one more that is down (refused)."""
    out = []
    for vendor in ("echo", "echo_batch", "kargo", "kameleoon", "kissmetrics", "knorex"):
        data = integration(vendor, url, retry=RETRY)
        if vendor in ("kargo", "knorex"):
            data["consent_categories"] = ["marketing"]
        out.append(data)
    # a vendor that is down for the whole run (every connection refused)
    # (only events that opt in to "beta" go there, which keeps the serial replay short)
    down = integration("echo_batch", down_url, name="echo_batch-down", retry=RETRY)
    down["consent_categories"] = ["beta"]
    out.append(down)
    return out


def test_thousands_of_events_through_every_fault_lose_nothing(fault_server, tmp_path):
    second = fault_server()
    mixer = Mixer(mixed_faults(second.url), seed=SEED)
    server = fault_server(chooser=mixer)
    down_url = f"http://127.0.0.1:{closed_port()}"
    events = make_events(EVENTS)
    originals = {e["message_id"]: copy.deepcopy(e) for e in events}
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    clock = ThreadClock()
    pipeline = Pipeline(integrations(server.url, down_url), state=store, clock=clock)
    names = [i.name for i in pipeline.integrations]

    results: list = []
    started = time.monotonic()
    summary = pipeline.send_many(events, workers=8, on_result=results.append)
    elapsed = time.monotonic() - started
    pipeline.close()

    # -- every event ends in exactly one status per integration ---------------------
    assert summary.events == EVENTS
    assert summary.invalid == 0
    assert events == list(originals.values())  # the caller's dicts were not touched
    per_pair = Counter((r.integration, r.event_id) for r in results)
    assert set(per_pair.values()) == {1}
    assert len(per_pair) == EVENTS * len(names)
    for name in names:
        counts = summary.counts[name]
        assert sum(counts[s.value] for s in Status) == EVENTS, (name, counts)
        mine = Counter(r.status.value for r in results if r.integration == name)
        assert mine == {k: v for k, v in counts.items() if v}
    statuses = Counter(r.status for r in results)
    assert all(statuses[s] > 0 for s in Status), statuses

    # -- the server really mixed every fault ----------------------------------------------
    served = Counter(h.action for h in server.requests)
    assert {str(a) for a, _ in mixed_faults(second.url)} <= set(served), served
    assert second.connections == 0  # the 307s were not followed

    # -- every failed event is a dead letter with its payload intact --------------------------
    failed = {(r.integration, r.event_id) for r in results if r.status is Status.FAILED}
    letters = pipeline_letters = Pipeline([], state=store, clock=clock)
    dead = letters.dead_letters.list()
    assert {(d.integration, d.event_id) for d in dead} == failed
    assert len(dead) == len(failed)
    for d in dead:
        assert without_enrichment(d.event) == originals[d.event_id], d.event_id
        # what the core added is exactly the click ids the event itself carried
        added = d.event.get("context", {}).get("click_ids")
        props = originals[d.event_id]["properties"]
        carried = {k: props[k] for k in ("kgid", "kcid") if k in props}
        assert added == (carried or None)
        assert d.attempts >= 1
        assert d.reason
    pipeline_letters.close()

    # -- the server recovers: replay delivers every one with its original id ---------------
    server.set_default(OK)
    mark = len(server.requests)
    recovered = fault_server()  # where the vendor that was down now answers
    replayer = Pipeline(
        integrations(server.url, recovered.url), state=store, clock=ThreadClock()
    )  # default timeouts: the 0.05 s read timeout was part of the storm
    replay = replayer.dead_letters.replay(replayer)
    assert replay.replayed == len(failed)
    assert replay.delivered == len(failed), replay.to_dict()
    assert replay.still_failing == 0
    assert replayer.dead_letters.list() == []
    replayer.close()
    nonces = nonce_table(originals)
    seen = Counter(
        (integration_of(hit), mid)
        for hit in server.requests[mark:]
        for mid in event_ids(hit, nonces)
    )
    seen.update(
        ("echo_batch-down", mid) for hit in recovered.requests for mid in event_ids(hit, nonces)
    )
    assert set(seen) == failed
    assert set(seen.values()) == {1}  # each replayed exactly once

    report(
        "accounting",
        events=EVENTS,
        integrations=len(names),
        results=len(results),
        delivered=statuses[Status.DELIVERED],
        dropped=statuses[Status.DROPPED],
        skipped=statuses[Status.SKIPPED],
        failed=statuses[Status.FAILED],
        dead_letters=len(dead),
        replayed_delivered=replay.delivered,
        lost=EVENTS * len(names) - len(per_pair) + len(failed - set(seen)),
        requests=mark,
        fault_kinds=len(served),
        seconds=round(elapsed, 2),
    )
