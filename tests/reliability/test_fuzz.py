"""Property-based fuzzing of events through Pipeline.send and the CLI.

Only a list of results or InvalidEventError may come out, never another
exception, and never a partial send: an invalid event sends nothing, a valid
one gets exactly one result per integration, and what reached the sandbox is
exactly the delivered results. The default run is bounded (SIGNAL_FUZZ_EXAMPLES,
200 by default); ``nox -s fuzz`` runs many more.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_kit import VENDORS, integration, report
from signal_core import InvalidEventError, Pipeline, Status
from signal_core.cli.main import main
from signal_core.testing import FakeClock, Sandbox

EXAMPLES = int(os.environ.get("SIGNAL_FUZZ_EXAMPLES", "200"))
CLI_EXAMPLES = max(1, EXAMPLES // 2)  # each CLI example is a whole `signal send` run
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=os.environ.get("SIGNAL_FUZZ_RANDOM") is None,  # reproducible by default
)
VENDOR_OF_PATH = {
    "/collect": "echo",
    "/batch": "echo_batch",
    "/data/c": "kargo",
    "/visit/events": "kameleoon",
    "/e": "kissmetrics",
    "/s": "kissmetrics",
    "/a": "kissmetrics",
    "/conv": "knorex",
}

# -- strategies ---------------------------------------------------------------------------
any_char = st.characters(codec=None, exclude_categories=())  # lone surrogates included
text = st.text(any_char, max_size=30) | st.sampled_from(
    ["", " ", "\n", "\r\n", "\x00", "\x1b[31m", "\ud800", "Order Completed", "page", "\u202e"]
)
numbers = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 2**63, 10**30, 1e308, -0.0, math.nan, math.inf]),
)
leaf = st.one_of(st.none(), st.booleans(), numbers, text)
wrong_types = st.sampled_from(
    [b"bytes", (1, 2), {1, 2}, 1 + 2j, object(), Ellipsis, bytearray(b"x")]
)


def nest(depth: int) -> Any:
    value: Any = "deep"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


json_like = st.recursive(
    leaf,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(any_char, max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
rare = st.one_of(
    wrong_types,
    st.integers(min_value=1, max_value=400).map(nest),  # deep nesting
    st.just("x" * 600_000),  # over the 512 KiB event limit
    st.just({"k": "v" * 3000}),
)
values = st.one_of(json_like, json_like, json_like, json_like, rare)
KNOWN_PROPERTIES = [
    "order_id",
    "revenue",
    "total",
    "value",
    "currency",
    "kgid",
    "kcid",
    "kameleoon_goal_id",
    "knorex_goal_id",
    "kargo_campaign_id",
    "kameleoon_visitor_code",
    "kameleoon_negative",
    "url",
    "title",
]
properties = st.dictionaries(st.sampled_from(KNOWN_PROPERTIES) | text, values, max_size=8)
ids = st.one_of(st.none(), text, st.integers(), st.floats(), st.booleans(), wrong_types)
timestamps = st.one_of(
    st.none(),
    st.sampled_from(["2025-06-06T09:00:00Z", "2025-06-06T09:00:00+02:00", "yesterday", ""]),
    numbers,
    text,
)
contexts = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "page": st.one_of(
                st.fixed_dictionaries({"url": text | st.just("https://s.example/?kgid=a&kcid=b")}),
                values,
            ),
            "ip": values,
            "user_agent": values,
            "userAgent": values,
            "cookies": st.dictionaries(st.just("kameleoonVisitorCode") | text, values, max_size=2),
            "consent": values,
            "providers": values,
            "click_ids": values,
        },
    ),
    values,
)


sane = st.sampled_from(
    ["ORD-1", "kg_1", "kc_1", "USD", "g7", 42, 10.5, "4242", True, "https://s.example/p"]
)
property_values = st.one_of(sane, sane, values)


def pick(draw: st.DrawFn, good: st.SearchStrategy, bad: st.SearchStrategy, odds: int = 2) -> Any:
    """``bad`` in ``odds`` draws out of 10, else ``good``."""
    # hypothesis favours the ends of a range, so the bad branch sits in the middle
    return draw(bad) if 40 <= draw(st.integers(0, 99)) < 40 + 10 * odds else draw(good)


@st.composite
def events(draw: st.DrawFn) -> Any:
    if 40 <= draw(st.integers(0, 99)) < 43:
        return draw(values)  # not even an object
    event: dict[str, Any] = {
        "type": pick(
            draw, st.sampled_from(["track", "track", "page", "identify"]), text | values, 1
        ),
        "anonymous_id": pick(draw, st.sampled_from(["anon_1", "a:b,c", 42]), text | ids, 1),
    }
    event["event"] = pick(
        draw, st.sampled_from(["Order Completed", "Signed Up", "Product Viewed"]), text | values, 2
    )
    event["properties"] = pick(
        draw,
        st.dictionaries(st.sampled_from(KNOWN_PROPERTIES) | text, property_values, max_size=10),
        values,
        1,
    )
    optional = {
        "user_id": (st.sampled_from(["user_1", 7]), ids),
        "userId": (st.just("user_2"), ids),
        "anonymousId": (st.just("anon_2"), ids),
        "message_id": (st.uuids().map(str), text | ids),
        "messageId": (st.just("m-2"), ids),
        "timestamp": (
            st.sampled_from(["2025-06-06T09:00:00Z", 1749200400, 1749200400123]),
            timestamps,
        ),
        "traits": (properties, values),
        "context": (contexts.filter(lambda c: isinstance(c, dict)), values),
    }
    for key, (good, bad) in optional.items():
        if 40 <= draw(st.integers(0, 99)) < 70:
            event[key] = pick(draw, good, bad, 3)
    if 40 <= draw(st.integers(0, 99)) < 50:
        event[draw(text)] = draw(values)  # an unknown top-level key
    return event


safe_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
safe_json = st.recursive(
    safe_leaf,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=8,
)


@st.composite
def plausible_events(draw: st.DrawFn) -> dict[str, Any]:
    """Valid events whose property, trait and context values are anything JSON allows:
    they get past validation and stress every plugin's mapping code."""
    kind = draw(
        st.sampled_from(["Order Completed", "Signed Up", "Product Viewed", "page", "identify"])
    )
    event: dict[str, Any] = {
        "type": kind if kind in ("page", "identify") else "track",
        "anonymous_id": draw(
            st.sampled_from(["anon_1", "a:b,c"]) | st.text(min_size=1, max_size=300)
        ),
        "message_id": draw(st.uuids().map(str)),
        "properties": draw(
            st.dictionaries(
                st.sampled_from(KNOWN_PROPERTIES) | st.text(max_size=12), safe_json, max_size=10
            )
        ),
        "traits": draw(st.dictionaries(st.text(max_size=12), safe_json, max_size=4)),
        "context": {
            "page": {
                "url": draw(st.text(max_size=60) | st.just("https://s.example/?kgid=a&kcid=b"))
            },
            "ip": draw(safe_json),
            "user_agent": draw(safe_json),
            "cookies": {"kameleoonVisitorCode": draw(safe_json)},
        },
    }
    if kind not in ("page", "identify"):
        event["event"] = kind
    if draw(st.booleans()):
        event["user_id"] = draw(st.text(min_size=1, max_size=20) | st.integers())
    return event


# -- the sandbox and pipeline, shared by every example of a test ---------------------------
@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox().start()
    yield box
    threading.Thread(target=box.stop, daemon=True).start()


def all_vendors(url: str) -> list[dict]:
    return [integration(v, url, oauth=False) for v in VENDORS]


def carried(box: Sandbox, start: int) -> Counter:
    """Per vendor, how many events the requests since ``start`` carried."""
    seen: Counter = Counter()
    for rec in box.requests[start:]:
        vendor = VENDOR_OF_PATH.get(rec.path, "?")
        many = rec.path in ("/batch", "/visit/events")
        seen[vendor] += len(json.loads(rec.body)) if many else 1
    return seen


def test_fuzzed_events_through_send_give_results_or_invalid_event_error(sandbox, monkeypatch):
    monkeypatch.setenv("SIGNAL_PLUGINS", "echo,kargo,kameleoon,kissmetrics,knorex")
    pipeline = Pipeline(all_vendors(sandbox.url), clock=FakeClock())
    names = [i.name for i in pipeline.integrations]
    tried = Counter()

    @FUZZ
    @given(event=events() | plausible_events())
    def check(event: Any) -> None:
        start = len(sandbox.requests)
        try:
            results = pipeline.send(event)
        except InvalidEventError as exc:
            invalid: InvalidEventError | None = exc
        else:
            invalid = None
        if invalid is not None:
            assert isinstance(invalid, ValueError)
            assert invalid.field
            assert len(sandbox.requests) == start  # nothing sent for an invalid event
            tried["invalid"] += 1
            return
        tried["results"] += 1
        assert [r.integration for r in results] == names
        sent = carried(sandbox, start)
        delivered = Counter(r.vendor for r in results if r.status is Status.DELIVERED)
        assert sent == delivered  # exactly the delivered results reached the sandbox
        for result in results:
            assert isinstance(result.status, Status)
            assert not result.reason.startswith("plugin error"), result.reason
            if result.status is Status.DELIVERED:
                assert result.attempts == 1, result
            tried[result.status.value] += 1

    try:
        check()
    finally:
        pipeline.close()
    assert tried["results"] > 0, tried
    assert tried["invalid"] > 0, tried
    assert tried["delivered"] > 0, tried
    report(
        "fuzz",
        send_examples=tried["results"] + tried["invalid"],
        send_valid=tried["results"],
        send_invalid=tried["invalid"],
    )


# -- the CLI --------------------------------------------------------------------------------
def to_line(event: Any) -> str:
    try:
        return json.dumps(event, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        return repr(event)[:2000]  # not JSON at all: an invalid line


lines = st.lists(
    (events() | plausible_events()).map(to_line) | text.map(lambda t: t.replace("\n", " ")),
    min_size=1,
    max_size=6,
)


def test_fuzzed_jsonl_through_the_cli_never_crashes_or_sends_partially(
    sandbox, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("SIGNAL_PLUGINS", "echo,kargo,kameleoon,kissmetrics,knorex")
    config = {"integrations": all_vendors(sandbox.url), "state": "memory://"}
    cfg = tmp_path / "pipeline.json"
    cfg.write_text(json.dumps(config))
    path = tmp_path / "events.jsonl"
    tried = Counter()

    @settings(FUZZ, max_examples=CLI_EXAMPLES)
    @given(batch=lines)
    def check(batch: list[str]) -> None:
        path.write_text("\n".join(batch) + "\n", encoding="utf-8", errors="surrogatepass")
        start = len(sandbox.requests)
        code = main(["send", "-c", str(cfg), "--json", "--workers", "3", str(path)])
        out, _err = capsys.readouterr()
        assert code in (0, 1), out
        records = [json.loads(line) for line in out.splitlines()]
        invalid = [r for r in records if r.get("status") == "invalid"]
        results = [r for r in records if r.get("status") != "invalid"]
        per_event = Counter(r["event_id"] for r in results)
        # all integrations or none (two lines may share a message_id)
        assert all(n % len(VENDORS) == 0 for n in per_event.values()), per_event
        delivered = Counter(r["vendor"] for r in results if r["status"] == "delivered")
        assert carried(sandbox, start) == delivered  # exactly the delivered results were sent
        assert not any(r["reason"].startswith("plugin error") for r in results)
        tried["lines"] += len(batch)
        tried["invalid"] += len(invalid)
        tried["events"] += len(per_event)

    check()
    assert tried["events"] > 0
    assert tried["invalid"] > 0
    report(
        "fuzz", cli_lines=tried["lines"], cli_invalid=tried["invalid"], cli_events=tried["events"]
    )
