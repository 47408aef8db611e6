"""A third-party plugin wraps the echo vendor's hooks; the wire shows it."""

from __future__ import annotations

import json

from signal_core import Status, hookimpl
from signal_e2e_kit import echo, echo_batch, track


class Enricher:
    """Adds a field to every echo payload and a header to every echo request."""

    @hookimpl(wrapper=True)
    def map_event(self, event, rule, integration):
        payloads = yield
        if integration.vendor == "echo" and payloads:
            for payload in payloads:
                payload.data["segment"] = "vip" if event.user_id else "anonymous"
        return payloads

    @hookimpl(wrapper=True)
    def build_request(self, payloads, integration):
        request = yield
        if integration.vendor == "echo" and request is not None:
            request = request.with_headers({"X-Enriched-By": "third-party"})
        return request


def test_a_wrapper_plugin_enriches_another_vendors_requests(box, make_pipeline, register_plugin):
    pm = register_plugin(Enricher(), "enricher")
    pipeline = make_pipeline([echo(box), echo_batch(box)], plugin_manager=pm)
    results = pipeline.send(track(user_id="u1"))
    assert [r.status for r in results] == [Status.DELIVERED, Status.DELIVERED]
    by_path = {r.path: r for r in box.requests}
    single, batch = by_path["/collect"], by_path["/batch"]
    assert json.loads(single.body)["segment"] == "vip"
    assert single.headers["X-Enriched-By"] == "third-party"
    assert "segment" not in json.loads(batch.body)[0]
    assert "X-Enriched-By" not in batch.headers


def test_without_the_wrapper_nothing_is_added(box, make_pipeline):
    [result] = make_pipeline([echo(box)]).send(track(user_id="u1"))
    assert result.status is Status.DELIVERED
    assert "segment" not in json.loads(box.requests[0].body)
    assert "X-Enriched-By" not in box.requests[0].headers
