"""ID syncs at the core level, with the echo vendor's test sync (signal_echo.idsync).

The sync endpoint is its own loopback server (``config.sync_url``), the echo
deliveries go to another (``config.endpoint``); resolved ids reach the wire
as the echo body's ``providers`` key. Lifetimes and failure markers follow
the FakeClock; only the timeout test measures wall time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import signal_echo.idsync
from signal_core import Pipeline, Status
from signal_core.plugins import PluginManager
from signal_core.testing import FakeClock, Reply, Sandbox
from signal_state_kit import DAY, ECHO_KEY, HangingServer, body, echo_integration, track

UID = Reply(200, {"Content-Type": "application/json"}, b'{"uid":"U-1"}')


@pytest.fixture
def pm(register_plugin: Callable[[object, str], PluginManager]) -> PluginManager:
    return register_plugin(signal_echo.idsync, "echo_idsync")


@pytest.fixture
def deliver(make_box: Callable[..., Sandbox]) -> Sandbox:
    return make_box()


@pytest.fixture
def hanging() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.stop()


@pytest.fixture
def synced(
    make_pipeline: Callable[..., Pipeline], pm: PluginManager, deliver: Sandbox
) -> Callable[..., Pipeline]:
    """``synced(sync_url, **integration_keys)``: one echo integration with an ID sync."""

    def make(
        sync_url: str,
        config: dict[str, Any] | None = None,
        pipeline_kw: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Pipeline:
        cfg = {"endpoint": f"{deliver.url}/collect", "sync_url": sync_url, **(config or {})}
        return make_pipeline(
            [echo_integration(config=cfg, **extra)], plugin_manager=pm, **(pipeline_kw or {})
        )

    return make


def order(n: int, anonymous_id: str = "anon_1", **extra: Any) -> dict[str, Any]:
    return track(
        anonymous_id=anonymous_id, message_id=f"m-{anonymous_id}-{n}", properties={"n": n}, **extra
    )


def echo_body(n: int, anonymous_id: str = "anon_1", uid: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "event": "purchase",
        "id": f"m-{anonymous_id}-{n}",
        "user": anonymous_id,
        "n": n,
    }
    if uid is not None:
        data["providers"] = {"uid": uid}
    return data


def test_a_sync_is_made_once_and_its_id_reaches_every_event(
    synced: Callable[..., Pipeline],
    make_box: Callable[..., Sandbox],
    deliver: Sandbox,
    clock: FakeClock,
) -> None:
    sync = make_box(UID, Reply(200, body=b'{"uid":"U-2"}'), UID, default=500)
    pipeline = synced(f"{sync.url}/v1/sync")
    for n in range(5):
        [result] = pipeline.send(order(n))
        assert result.status is Status.DELIVERED, result.reason
    [call] = sync.requests
    assert (call.method, call.target, call.body) == ("GET", "/v1/sync?visitor=anon_1", b"")
    assert [body(r) for r in deliver.requests] == [echo_body(n, uid="U-1") for n in range(5)]
    assert all(r.target == "/collect?key=CANARY_echo%2FKey%2B7%3Dx" for r in deliver.requests)

    # Another visitor: its own sync.
    pipeline.send(order(0, anonymous_id="anon_2"))
    assert [r.target for r in sync.requests] == [
        "/v1/sync?visitor=anon_1",
        "/v1/sync?visitor=anon_2",
    ]
    assert body(deliver.requests[-1]) == echo_body(0, "anon_2", uid="U-2")

    # The cached id lives 365 days, then the visitor is synced again.
    clock.advance(365 * DAY - 10)
    pipeline.send(order(5))
    assert len(sync.requests) == 2
    assert body(deliver.requests[-1]) == echo_body(5, uid="U-1")
    clock.advance(11)
    pipeline.send(order(6))
    assert [r.target for r in sync.requests][2:] == ["/v1/sync?visitor=anon_1"]
    assert body(deliver.requests[-1]) == echo_body(6, uid="U-1")


def test_send_many_syncs_each_visitor_once(
    synced: Callable[..., Pipeline], make_box: Callable[..., Sandbox], deliver: Sandbox
) -> None:
    sync = make_box(default=UID)
    pipeline = synced(f"{sync.url}/sync")
    summary = pipeline.send_many(
        [order(n, anonymous_id=f"anon_{n % 3}") for n in range(30)], workers=4
    )
    assert summary.total(Status.DELIVERED) == 30
    assert sorted(r.target for r in sync.requests) == [f"/sync?visitor=anon_{i}" for i in range(3)]
    assert len(deliver.requests) == 30
    assert all(body(r)["providers"] == {"uid": "U-1"} for r in deliver.requests)


@pytest.mark.parametrize(
    "failure",
    [
        Reply(500, body=b'{"uid":"U-err"}'),
        Reply(404),
        Reply(200, body=b"<html>not json</html>"),
        Reply(200, body=b'{"uid":""}'),
        Reply(200, body=b'{"id":"U-1"}'),
        Reply(302, {"Location": "/elsewhere"}),
    ],
    ids=["500", "404", "not-json", "empty-uid", "no-uid", "redirect"],
)
def test_a_failed_sync_is_not_retried_until_the_failure_marker_expires(
    synced: Callable[..., Pipeline],
    make_box: Callable[..., Sandbox],
    deliver: Sandbox,
    clock: FakeClock,
    failure: Reply,
) -> None:
    sync = make_box(failure, default=UID)
    pipeline = synced(f"{sync.url}/sync")
    [result] = pipeline.send(order(0))
    assert result.status is Status.DELIVERED  # the event goes out without the id
    assert body(deliver.requests[0]) == echo_body(0)
    for n in range(1, 4):
        pipeline.send(order(n))
    clock.advance(DAY - 1)
    pipeline.send(order(4))
    assert len(sync.requests) == 1  # the marker holds for a day
    assert [body(r) for r in deliver.requests] == [echo_body(n) for n in range(5)]
    clock.advance(2)
    pipeline.send(order(5))
    assert len(sync.requests) == 2
    assert body(deliver.requests[-1]) == echo_body(5, uid="U-1")
    pipeline.send(order(6))
    assert len(sync.requests) == 2
    assert body(deliver.requests[-1]) == echo_body(6, uid="U-1")


def test_a_hanging_sync_times_out_at_its_limit_and_leaves_a_failure_marker(
    synced: Callable[..., Pipeline], hanging: HangingServer, deliver: Sandbox
) -> None:
    pipeline = synced(f"{hanging.url}/sync", config={"sync_timeout_ms": 300})
    started = time.monotonic()
    [result] = pipeline.send(order(0))
    elapsed = time.monotonic() - started
    assert elapsed <= 0.3 + 0.5, elapsed
    assert elapsed >= 0.25, elapsed  # it did wait for the sync
    assert result.status is Status.DELIVERED
    assert body(deliver.requests[0]) == echo_body(0)
    assert len(hanging.connections) == 1
    started = time.monotonic()
    pipeline.send(order(1))
    assert time.monotonic() - started < 0.25  # the failure marker: no second wait
    assert len(hanging.connections) == 1
    assert body(deliver.requests[1]) == echo_body(1)


@pytest.mark.parametrize(
    ("context", "query"),
    [
        (
            {
                "gdpr": True,
                "gdpr_consent": "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA",
                "us_privacy": "1YNN",
                "gpp": "DBABMA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA",
                "gpp_sid": "2,6",
            },
            [
                ("visitor", "anon_1"),
                ("gdpr", "1"),
                ("gdpr_consent", "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA"),
                ("us_privacy", "1YNN"),
                ("gpp", "DBABMA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA"),
                ("gpp_sid", "2,6"),
            ],
        ),
        (
            {"privacy": {"gdpr": 0, "us_privacy": "1---"}},
            [("visitor", "anon_1"), ("gdpr", "0"), ("us_privacy", "1---")],
        ),
        (
            {"gdpr": "1", "gdpr_consent": "a b&c=d"},
            [("visitor", "anon_1"), ("gdpr", "1"), ("gdpr_consent", "a b&c=d")],
        ),
    ],
    ids=["all-five", "nested-privacy", "hostile-consent-string"],
)
def test_privacy_parameters_are_passed_to_the_sync(
    synced: Callable[..., Pipeline],
    make_box: Callable[..., Sandbox],
    context: dict[str, Any],
    query: list[tuple[str, str]],
) -> None:
    sync = make_box(default=UID)
    synced(f"{sync.url}/sync").send(order(0, context=context))
    [call] = sync.requests
    assert call.query == query
    assert "+" not in call.raw_query
    assert " " not in call.raw_query


def test_the_raw_query_of_the_privacy_parameters_is_exact(
    synced: Callable[..., Pipeline], make_box: Callable[..., Sandbox]
) -> None:
    sync = make_box(default=UID)
    synced(f"{sync.url}/sync").send(
        order(0, context={"gdpr": 1, "gdpr_consent": "CO a/b", "gpp_sid": "2,6"})
    )
    assert (
        sync.requests[0].target
        == "/sync?visitor=anon_1&gdpr=1&gdpr_consent=CO%20a%2Fb&gpp_sid=2%2C6"
    )


def test_no_sync_when_consent_denies_the_vendor(
    synced: Callable[..., Pipeline], make_box: Callable[..., Sandbox], deliver: Sandbox
) -> None:
    sync = make_box(default=UID)
    pipeline = synced(f"{sync.url}/sync")
    denied = {"consent": {"categories": {"analytics": False, "marketing": True}}}
    [result] = pipeline.send(order(0, context=denied))
    assert result.status is Status.SKIPPED
    assert sync.requests == []
    assert deliver.requests == []
    # The same visitor with analytics granted is synced (the denial left no marker).
    granted = {"consent": {"categories": {"analytics": True}}}
    pipeline.send(order(1, context=granted))
    assert len(sync.requests) == 1
    assert body(deliver.requests[0]) == echo_body(1, uid="U-1")


def test_the_integrations_own_consent_categories_decide(
    synced: Callable[..., Pipeline], make_box: Callable[..., Sandbox], deliver: Sandbox
) -> None:
    sync = make_box(default=UID)
    pipeline = synced(f"{sync.url}/sync", consent_categories=["marketing"])
    pipeline.send(
        order(0, context={"consent": {"categories": {"marketing": False, "analytics": True}}})
    )
    assert sync.requests == []
    assert deliver.requests == []
    pipeline.send(
        order(1, context={"consent": {"categories": {"marketing": True, "analytics": False}}})
    )
    assert len(sync.requests) == 1
    assert body(deliver.requests[0]) == echo_body(1, uid="U-1")


def test_no_sync_without_consent_data_when_consent_is_required(
    synced: Callable[..., Pipeline], make_box: Callable[..., Sandbox], deliver: Sandbox
) -> None:
    sync = make_box(default=UID)
    pipeline = synced(f"{sync.url}/sync", pipeline_kw={"consent": {"required": True}})
    [result] = pipeline.send(order(0))
    assert result.status is Status.SKIPPED
    assert sync.requests == []
    assert deliver.requests == []
    pipeline.send(order(1, context={"consent": {"categories": {"analytics": True}}}))
    assert len(sync.requests) == 1
    assert body(deliver.requests[0]) == echo_body(1, uid="U-1")


def test_ids_the_browser_already_resolved_are_kept_and_not_synced(
    synced: Callable[..., Pipeline], make_box: Callable[..., Sandbox], deliver: Sandbox
) -> None:
    sync = make_box(default=UID)
    pipeline = synced(f"{sync.url}/sync")
    event = order(0, context={"providers": {"echo": {"uid": "U-browser"}}})
    pipeline.send(event)
    assert sync.requests == []
    assert body(deliver.requests[0]) == echo_body(0, uid="U-browser")
    assert event["context"] == {"providers": {"echo": {"uid": "U-browser"}}}


def test_without_sync_url_there_is_no_sync_and_the_body_is_unchanged(
    make_pipeline: Callable[..., Pipeline], pm: PluginManager, deliver: Sandbox
) -> None:
    pipeline = make_pipeline([echo_integration(deliver)], plugin_manager=pm)
    pipeline.send(order(0))
    [sent] = deliver.requests
    assert sent.body == json.dumps(echo_body(0), separators=(",", ":")).encode()
    assert ECHO_KEY not in sent.body.decode()


def test_a_second_integration_of_the_vendor_reuses_the_resolved_ids(
    make_pipeline: Callable[..., Pipeline],
    pm: PluginManager,
    make_box: Callable[..., Sandbox],
) -> None:
    sync_a = make_box(default=UID)
    sync_b = make_box(default=Reply(200, body=b'{"uid":"U-B"}'))
    out_a, out_b = make_box(), make_box()
    pipeline = make_pipeline(
        [
            echo_integration(
                name="a", config={"endpoint": f"{out_a.url}/c", "sync_url": f"{sync_a.url}/s"}
            ),
            echo_integration(
                name="b", config={"endpoint": f"{out_b.url}/c", "sync_url": f"{sync_b.url}/s"}
            ),
        ],
        plugin_manager=pm,
    )
    pipeline.send(order(0))
    pipeline.send(order(1))
    # Ids live under context.providers.<vendor>: once the first echo integration
    # resolved them, the second finds them there and makes no sync of its own.
    assert len(sync_a.requests) == 1
    assert sync_b.requests == []
    assert [body(r)["providers"] for r in out_a.requests + out_b.requests] == [{"uid": "U-1"}] * 4
