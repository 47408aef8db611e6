"""Consent, disabled integrations, mapping decisions and plugin errors: results, not exceptions."""

from __future__ import annotations

import json

import pytest
from signal_core import DropEvent, InvalidEventError, Status, hookimpl
from signal_e2e_kit import echo, echo_batch, track

SECRET = "CANARY_plugin_err"


def consent(**categories):
    return {"consent": {"categories": categories}}


def test_consent_denied_is_skipped_without_a_request(box, make_pipeline):
    pipeline = make_pipeline([echo(box)])
    [result] = pipeline.send(track(context=consent(analytics=False)))
    assert (result.status, result.reason) == (Status.SKIPPED, "consent denied for analytics")
    assert result.attempts == 0
    assert box.requests == []


def test_consent_of_other_categories_does_not_matter(box, make_pipeline):
    [result] = make_pipeline([echo(box)]).send(track(context=consent(marketing=False)))
    assert result.status is Status.DELIVERED
    assert len(box.requests) == 1


def test_integration_consent_categories_override_the_vendor_default(box, make_pipeline):
    pipeline = make_pipeline([echo(box, consent_categories=["marketing"])])
    [denied] = pipeline.send(track(context=consent(analytics=True, marketing=False)))
    assert denied.status is Status.SKIPPED
    [allowed] = pipeline.send(track(context=consent(analytics=False, marketing=True)))
    assert allowed.status is Status.DELIVERED
    assert len(box.requests) == 1


def test_no_consent_data_is_delivered_by_default(box, make_pipeline):
    [result] = make_pipeline([echo(box)]).send(track())
    assert result.status is Status.DELIVERED


def test_consent_required_and_no_consent_data_is_skipped(box, make_pipeline):
    pipeline = make_pipeline([echo(box)], consent={"required": True})
    [result] = pipeline.send(track())
    assert result.status is Status.SKIPPED
    assert "requires consent" in result.reason
    assert box.requests == []
    [granted] = pipeline.send(track(context=consent(analytics=True)))
    assert granted.status is Status.DELIVERED
    assert len(box.requests) == 1


def test_disabled_integration_is_skipped(box, make_pipeline):
    pipeline = make_pipeline([echo(box, enabled=False), echo_batch(box)])
    results = {r.integration: r for r in pipeline.send(track())}
    assert (results["echo"].status, results["echo"].reason) == (
        Status.SKIPPED,
        "integration is disabled",
    )
    assert results["echo_batch"].status is Status.DELIVERED
    assert len(box.requests) == 1
    assert box.requests[0].path == "/batch"


def test_unmapped_event_is_dropped(box, make_pipeline):
    [result] = make_pipeline([echo(box)]).send(track("Cart Viewed"))
    assert result.status is Status.DROPPED
    assert result.reason == "event 'Cart Viewed' is not mapped for this integration"
    assert box.requests == []


def test_drop_event_from_the_plugin_is_dropped_with_its_reason(box, make_pipeline):
    [result] = make_pipeline([echo(box)]).send(track(properties={"drop_me": True}))
    assert (result.status, result.reason) == (Status.DROPPED, "asked to drop")
    assert box.requests == []


def test_mapped_nothing_is_dropped(box, make_pipeline, register_plugin):
    class Nothing:
        @hookimpl(tryfirst=True)
        def map_event(self, event, rule, integration):
            return []

    pm = register_plugin(Nothing(), "nothing")
    [result] = make_pipeline([echo(box)], plugin_manager=pm).send(track())
    assert result.status is Status.DROPPED
    assert result.reason == "the echo plugin mapped nothing"
    assert box.requests == []


class Exploding:
    def __init__(self, hook):
        self.hook = hook

    @hookimpl(tryfirst=True)
    def map_event(self, event, rule, integration):
        if self.hook == "map_event" and integration.vendor == "echo":
            raise RuntimeError(f"boom with {integration.config['api_key']}")
        return None

    @hookimpl(tryfirst=True)
    def build_request(self, payloads, integration):
        if self.hook == "build_request" and integration.vendor == "echo":
            raise KeyError(f"missing field near {integration.config['api_key']}")
        return None


@pytest.mark.parametrize("hook", ["map_event", "build_request"])
def test_a_plugin_that_raises_gives_a_failed_result(box, make_pipeline, register_plugin, hook):
    pm = register_plugin(Exploding(hook), "exploding")
    pipeline = make_pipeline([echo(box, api_key=SECRET), echo_batch(box)], plugin_manager=pm)
    results = {r.integration: r for r in pipeline.send(track())}
    failed = results["echo"]
    assert failed.status is Status.FAILED
    assert failed.reason.startswith(f"plugin error in {hook}: ")
    assert "***" in failed.reason
    assert SECRET not in failed.reason
    assert failed.attempts == 0
    assert results["echo_batch"].status is Status.DELIVERED  # the other integration is unharmed
    assert [r.path for r in box.requests] == ["/batch"]


def test_a_plugin_that_raises_in_send_many_is_counted_as_failed(
    box, make_pipeline, register_plugin
):
    pm = register_plugin(Exploding("map_event"), "exploding")
    pipeline = make_pipeline([echo(box, api_key=SECRET)], plugin_manager=pm)
    summary = pipeline.send_many([track(properties={"n": n}) for n in range(3)], workers=2)
    assert summary.counts["echo"]["failed"] == 3
    assert box.requests == []


def test_drop_event_raised_by_a_third_party_plugin(box, make_pipeline, register_plugin):
    class Dropper:
        @hookimpl(tryfirst=True)
        def map_event(self, event, rule, integration):
            raise DropEvent(f"no order id for {integration.config['api_key']}")

    pm = register_plugin(Dropper(), "dropper")
    [result] = make_pipeline([echo(box, api_key=SECRET)], plugin_manager=pm).send(track())
    assert (result.status, result.reason) == (Status.DROPPED, "no order id for ***")


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "track", "anonymous_id": "a"}, "event"),
        ({"type": "page"}, "anonymous_id"),
        (track(timestamp="not a time"), "timestamp"),
        (track(type="purchase"), "type"),
        ("not an object", "event"),
        (track(properties={"revenue": float("nan")}), "properties.revenue"),
    ],
)
def test_send_raises_invalid_event_error_and_sends_nothing(box, make_pipeline, event, field):
    pipeline = make_pipeline([echo(box), echo_batch(box)])
    with pytest.raises(InvalidEventError) as info:
        pipeline.send(event)
    assert isinstance(info.value, ValueError)
    assert info.value.field == field
    assert box.requests == []


def test_mapping_overrides_on_the_wire(box, make_pipeline):
    pipeline = make_pipeline(
        [
            echo(
                box,
                mappings={
                    "events": {
                        "Order Completed": {
                            "vendor_event": "conversion",
                            "values": {"currency": "USD", "goal_id": 77},
                            "rename": {"order_id": "oid"},
                        },
                        "page": {"enabled": False},
                    },
                    "defaults": {"action": "passthrough"},
                },
            )
        ]
    )
    [sent] = pipeline.send(track(properties={"order_id": "O-1", "currency": "EUR"}))
    [disabled] = pipeline.send({"type": "page", "anonymous_id": "a"})
    [passed] = pipeline.send(track("Cart Viewed"))
    assert sent.status is Status.DELIVERED
    assert passed.status is Status.DELIVERED
    assert (disabled.status, disabled.reason) == (
        Status.DROPPED,
        "event 'page' is disabled in the mappings",
    )
    first, second = (json.loads(r.body) for r in box.requests)
    assert first["event"] == "conversion"
    assert (first["oid"], first["currency"], first["goal_id"]) == ("O-1", "EUR", 77)
    assert "order_id" not in first
    assert second["event"] == "Cart Viewed"


class Misbehaving:
    """A plugin that answers its hooks with the wrong types."""

    def __init__(self, hook, value):
        self.hook, self.value = hook, value

    @hookimpl(tryfirst=True)
    def map_event(self, event, rule, integration):
        if self.hook == "map_event" and integration.vendor == "echo":
            return self.value
        return None

    @hookimpl(tryfirst=True)
    def classify_response(self, request, response, error, integration):
        if self.hook == "classify_response" and integration.vendor == "echo":
            return self.value
        return None


def _payload():
    from signal_core import Payload

    return Payload({"event": "x"})


@pytest.mark.parametrize(
    ("hook", "value"),
    [
        ("map_event", "single"),  # a lone Payload, not a list
        ("map_event", [{"event": "x"}]),  # dicts, not Payloads
        ("map_event", {"event": "x"}),
        ("map_event", 42),
        ("classify_response", "delivered"),
    ],
)
def test_a_plugin_answering_with_the_wrong_type_gives_a_failed_result(
    box, make_pipeline, register_plugin, hook, value
):
    if value == "single":
        value = _payload()
    pm = register_plugin(Misbehaving(hook, value), "misbehaving")
    pipeline = make_pipeline([echo(box), echo_batch(box)], plugin_manager=pm)
    results = {r.integration: r for r in pipeline.send(track())}
    assert results["echo"].status is Status.FAILED
    assert results["echo"].reason.startswith("plugin error in ")
    assert results["echo_batch"].status is Status.DELIVERED
    summary = pipeline.send_many([track(properties={"n": n}) for n in range(4)], workers=2)
    assert summary.counts["echo"]["failed"] == 4
    assert summary.counts["echo_batch"]["delivered"] == 4


def test_a_vendor_no_plugin_builds_requests_for_gives_a_failed_result(
    box, make_pipeline, register_plugin
):
    from signal_core import Payload, Vendor

    class MapsOnly:
        @hookimpl
        def declare_vendors(self):
            return [Vendor(name="maps_only", unmapped="passthrough")]

        @hookimpl
        def map_event(self, event, rule, integration):
            return [Payload({"e": event.name})] if integration.vendor == "maps_only" else None

    pm = register_plugin(MapsOnly(), "maps-only")
    pipeline = make_pipeline([{"vendor": "maps_only", "base_url": box.url}], plugin_manager=pm)
    [result] = pipeline.send(track())
    assert result.status is Status.FAILED
    assert "no plugin built a request for vendor 'maps_only'" in result.reason
    assert box.requests == []


def test_an_id_sync_plugin_that_raises_does_not_make_send_raise(
    box, make_pipeline, register_plugin
):
    class BrokenSync:
        @hookimpl
        def id_sync(self, event, integration, privacy):
            raise RuntimeError(f"sync bug with {integration.config['api_key']}")

    pm = register_plugin(BrokenSync(), "broken-sync")
    pipeline = make_pipeline([echo(box, api_key=SECRET)], plugin_manager=pm)
    [result] = pipeline.send(track())
    assert result.status is Status.DELIVERED
    summary = pipeline.send_many([track(properties={"n": n}) for n in range(3)], workers=2)
    assert summary.counts["echo"]["delivered"] == 3
    assert len(box.requests) == 4
