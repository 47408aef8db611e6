"""Click-id persistence on the wire: the landing page's kgid / kcid reach later conversions.

Real kargo and knorex plugins, each against its own loopback Sandbox; time is
a FakeClock (the store's expiry follows it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from signal_core import Pipeline, Status
from signal_core.testing import FakeClock, Sandbox
from signal_state_kit import (
    DAY,
    KARGO_TOKEN,
    T0_ISO,
    assert_no_secret,
    body,
    kargo_integration,
    knorex_integration,
    state_files,
    track,
)

LANDING_URL = "https://shop.example/landing?utm_source=ad&kgid=KG-1&kcid=KC-1"
NO_KGID = "no kgid: Kargo will likely not attribute this conversion"
KCID_STORED = "kcid from the visitor's stored click id (context.click_ids)"


@pytest.fixture(autouse=True)
def _kargo_and_knorex(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAL_PLUGINS", "kargo,knorex")


@pytest.fixture
def kbox(make_box: Callable[..., Sandbox]) -> Sandbox:
    return make_box()


@pytest.fixture
def xbox(make_box: Callable[..., Sandbox]) -> Sandbox:
    return make_box()


@pytest.fixture
def both(
    make_pipeline: Callable[..., Pipeline], kbox: Sandbox, xbox: Sandbox
) -> Callable[..., Pipeline]:
    def make(
        kargo: dict[str, Any] | None = None, knorex: dict[str, Any] | None = None, **kw: Any
    ) -> Pipeline:
        return make_pipeline(
            [kargo_integration(kbox, **(kargo or {})), knorex_integration(xbox, **(knorex or {}))],
            **kw,
        )

    return make


def landing(
    url: str = LANDING_URL, anonymous_id: str | None = "anon_1", **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "page", "timestamp": T0_ISO, "context": {"page": {"url": url}}}
    if anonymous_id is not None:
        data["anonymous_id"] = anonymous_id
    data.update(extra)
    return data


def order(
    order_id: str = "ORD-1", anonymous_id: str | None = "anon_1", **extra: Any
) -> dict[str, Any]:
    props = {
        "order_id": order_id,
        "revenue": 49.5,
        "currency": "eur",
        **extra.pop("properties", {}),
    }
    return track(
        anonymous_id=anonymous_id,
        properties=props,
        context={"page": {"url": "https://shop.example/checkout/thanks?step=done"}},
        message_id=f"msg-{order_id}",
        **extra,
    )


def kargo_body(
    order_id: str, kgid: str | None, external_id: str | None = "anon_1"
) -> dict[str, Any]:
    data: dict[str, Any] = {"event": "conversion"}
    if external_id:
        data["external_id"] = external_id
    if kgid:
        data["kgid"] = kgid
    data.update({"order_id": order_id, "value": 49.5, "currency": "EUR"})
    return data


def knorex_target(order_id: str, kcid: str) -> str:
    return f"/pb?kcid={kcid}&goal=G-1&value=49.5&eid=msg-{order_id}"


def test_landing_then_conversion_delivers_stored_kgid_and_kcid(
    both: Callable[..., Pipeline], kbox: Sandbox, xbox: Sandbox
) -> None:
    pipeline = both()
    landed = pipeline.send(landing())
    assert [(r.integration, r.status) for r in landed] == [
        ("kargo", Status.DROPPED),
        ("knorex", Status.DROPPED),
    ]
    assert kbox.requests == []
    assert xbox.requests == []

    kargo, knorex = pipeline.send(order("ORD-1"))
    assert (kargo.status, kargo.notes) == (Status.DELIVERED, ()), kargo.reason
    assert (knorex.status, knorex.notes) == (Status.DELIVERED, (KCID_STORED,)), knorex.reason
    [sent] = kbox.requests
    assert (sent.method, sent.path) == ("POST", "/data/c")
    assert sent.body == (
        b'{"event":"conversion","external_id":"anon_1","kgid":"KG-1",'
        b'"order_id":"ORD-1","value":49.5,"currency":"EUR"}'
    )
    [postback] = xbox.requests
    assert (postback.method, postback.target) == ("GET", knorex_target("ORD-1", "KC-1"))

    # Another visitor has no stored click id: Kargo sends without it, Knorex drops.
    kargo, knorex = pipeline.send(order("ORD-2", anonymous_id="anon_other"))
    assert kargo.status is Status.DELIVERED
    assert kargo.notes == (NO_KGID,)
    assert body(kbox.requests[1]) == kargo_body("ORD-2", None, "anon_other")
    assert knorex.status is Status.DROPPED
    assert knorex.reason.startswith("no kcid: Knorex attributes")
    assert len(xbox.requests) == 1


def test_the_callers_event_is_not_changed(both: Callable[..., Pipeline]) -> None:
    pipeline = both()
    pipeline.send(landing())
    event = order()
    pipeline.send(event)
    assert "click_ids" not in event["context"]


def test_click_ids_are_found_by_user_id_on_another_device(
    both: Callable[..., Pipeline], kbox: Sandbox, xbox: Sandbox
) -> None:
    pipeline = both()
    pipeline.send(landing(anonymous_id="anon_phone", user_id="user_7"))
    # Same person, new device: only the user_id links the two.
    kargo, knorex = pipeline.send(order("ORD-1", anonymous_id="anon_laptop", user_id="user_7"))
    assert kargo.status is knorex.status is Status.DELIVERED
    assert body(kbox.requests[0]) == kargo_body("ORD-1", "KG-1", "anon_laptop")
    assert xbox.requests[0].target == knorex_target("ORD-1", "KC-1")
    # A server-side conversion that knows only the user.
    pipeline.send(order("ORD-2", anonymous_id=None, user_id="user_7"))
    assert body(kbox.requests[1]) == kargo_body("ORD-2", "KG-1", None)
    assert xbox.requests[1].target == knorex_target("ORD-2", "KC-1")
    # The anonymous id of the landing page works on its own too.
    pipeline.send(order("ORD-3", anonymous_id="anon_phone"))
    assert body(kbox.requests[2]) == kargo_body("ORD-3", "KG-1", "anon_phone")


def test_a_newer_click_id_replaces_the_older_one(
    both: Callable[..., Pipeline], kbox: Sandbox, xbox: Sandbox, clock: FakeClock
) -> None:
    pipeline = both()
    pipeline.send(landing())
    clock.advance(3600)
    pipeline.send(landing("https://shop.example/again?kgid=KG-2"))  # a new Kargo click, no kcid
    pipeline.send(order("ORD-1"))
    assert body(kbox.requests[0])["kgid"] == "KG-2"
    assert xbox.requests[0].target == knorex_target("ORD-1", "KC-1")  # the kcid was kept
    # A click id carried as a property is used and remembered as well.
    pipeline.send(order("ORD-2", properties={"kgid": "KG-3", "kcid": "KC-3"}))
    pipeline.send(order("ORD-3"))
    assert [body(r)["kgid"] for r in kbox.requests] == ["KG-2", "KG-3", "KG-3"]
    assert [r.target for r in xbox.requests] == [
        knorex_target("ORD-1", "KC-1"),
        knorex_target("ORD-2", "KC-3"),
        knorex_target("ORD-3", "KC-3"),
    ]


def test_stored_click_ids_expire_after_30_days(
    both: Callable[..., Pipeline], kbox: Sandbox, xbox: Sandbox, clock: FakeClock
) -> None:
    pipeline = both()
    pipeline.send(landing())
    clock.advance(30 * DAY - 60)
    kargo, knorex = pipeline.send(order("ORD-1"))
    assert body(kbox.requests[0]) == kargo_body("ORD-1", "KG-1")
    assert knorex.status is Status.DELIVERED
    clock.advance(61)  # 30 days and a second after the landing page
    kargo, knorex = pipeline.send(order("ORD-2"))
    assert kargo.status is Status.DELIVERED
    assert kargo.notes == (NO_KGID,)
    assert body(kbox.requests[1]) == kargo_body("ORD-2", None)
    assert knorex.status is Status.DROPPED
    assert knorex.reason.startswith("no kcid: Knorex attributes a conversion only through the kcid")
    assert len(xbox.requests) == 1


def test_a_newer_click_id_restarts_the_ttl(
    both: Callable[..., Pipeline], kbox: Sandbox, clock: FakeClock
) -> None:
    pipeline = both()
    pipeline.send(landing())
    clock.advance(20 * DAY)
    pipeline.send(landing("https://shop.example/l?kgid=KG-2"))
    clock.advance(20 * DAY)  # 40 days after the first click, 20 after the second
    pipeline.send(order("ORD-1"))
    assert body(kbox.requests[0])["kgid"] == "KG-2"


def test_click_id_ttl_days_is_set_per_integration(
    both: Callable[..., Pipeline], kbox: Sandbox, xbox: Sandbox, clock: FakeClock
) -> None:
    pipeline = both(kargo={"click_id_ttl_days": 2}, knorex={"click_id_ttl_days": 45})
    pipeline.send(landing())
    clock.advance(2 * DAY - 1)
    pipeline.send(order("ORD-1"))
    assert body(kbox.requests[-1])["kgid"] == "KG-1"
    clock.advance(2)
    kargo, knorex = pipeline.send(order("ORD-2"))
    assert body(kbox.requests[-1]) == kargo_body("ORD-2", None)
    assert kargo.notes == (NO_KGID,)
    assert knorex.status is Status.DELIVERED
    assert xbox.requests[-1].target == knorex_target("ORD-2", "KC-1")
    clock.advance(43 * DAY)  # 45 days and a second after the landing page
    kargo, knorex = pipeline.send(order("ORD-3"))
    assert knorex.status is Status.DROPPED
    assert knorex.reason.startswith("no kcid:")
    assert len(xbox.requests) == 2


def test_the_longest_ttl_wins_when_two_integrations_use_one_click_id(
    make_pipeline: Callable[..., Pipeline], make_box: Callable[..., Sandbox], clock: FakeClock
) -> None:
    short, long = make_box(), make_box()
    pipeline = make_pipeline(
        [
            kargo_integration(short, name="kargo-short", click_id_ttl_days=1),
            kargo_integration(long, name="kargo-long", click_id_ttl_days=3),
        ]
    )
    pipeline.send(landing())
    clock.advance(2 * DAY)
    pipeline.send(order("ORD-1"))
    assert body(short.requests[0])["kgid"] == body(long.requests[0])["kgid"] == "KG-1"
    clock.advance(DAY)
    pipeline.send(order("ORD-2"))
    assert "kgid" not in body(short.requests[1])
    assert "kgid" not in body(long.requests[1])


def test_sqlite_state_keeps_click_ids_across_pipelines(
    make_pipeline: Callable[..., Pipeline],
    kbox: Sandbox,
    xbox: Sandbox,
    tmp_path: Path,
) -> None:
    db = tmp_path / "state" / "signal.db"
    url = f"sqlite:///{db}"
    integrations = [kargo_integration(kbox), knorex_integration(xbox)]

    first = Pipeline(integrations, state=url, clock=FakeClock())
    first.send(landing())
    first.close()  # the process ends

    later = make_pipeline(integrations, state=url, clock=FakeClock(start=1_750_000_000.0 + DAY))
    kargo, knorex = later.send(order("ORD-1"))
    assert kargo.status is knorex.status is Status.DELIVERED
    assert body(kbox.requests[0]) == kargo_body("ORD-1", "KG-1")
    assert xbox.requests[0].target == knorex_target("ORD-1", "KC-1")

    expired = make_pipeline(
        integrations, state=url, clock=FakeClock(start=1_750_000_000.0 + 31 * DAY)
    )
    kargo, knorex = expired.send(order("ORD-2"))
    assert body(kbox.requests[1]) == kargo_body("ORD-2", None)
    assert knorex.status is Status.DROPPED
    later.close()
    expired.close()

    assert_no_secret(state_files(db), KARGO_TOKEN)
