"""Fuzzed events through a whole Pipeline: a result or InvalidEventError, never
another exception and never a partial send (no network: a stub transport)."""

from __future__ import annotations

import json
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signal_core import InvalidEventError, Pipeline, Response, Status
from signal_core.testing import FakeClock


class StubTransport:
    def __init__(self):
        self.sent = []
        self._lock = threading.Lock()

    def send(self, request, timeout):
        with self._lock:
            self.sent.append(request)
        return Response(204)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.text(
        alphabet=st.sampled_from(["\ud800", "\udfff", "a", "\n", "\x1b", "\u2028"]), max_size=4
    ),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=10,
)
events = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["track", "page", "identify", "other"]) | scalars,
        "event": st.sampled_from(["Order Completed", "Cart Viewed", ""]) | scalars,
        "anonymous_id": st.sampled_from(["anon", ""]) | scalars,
        "userId": st.sampled_from(["user"]) | scalars,
        "timestamp": st.sampled_from(["2025-06-06T09:00:00Z", 1749200400, "junk"]) | scalars,
        "message_id": st.sampled_from(["m1", " "]) | scalars,
        "properties": st.dictionaries(
            st.sampled_from(["revenue", "drop_me", "name", "x"]), values, max_size=3
        )
        | values,
        "context": st.fixed_dictionaries(
            {},
            optional={
                "consent": st.fixed_dictionaries(
                    {},
                    optional={
                        "categories": st.dictionaries(st.sampled_from(["analytics"]), values)
                    },
                )
                | values,
                "userAgent": values,
                "page": st.fixed_dictionaries({}, optional={"url": values}) | values,
            },
        )
        | values,
    },
)


def test_fuzzed_events_through_the_pipeline():
    stub = StubTransport()
    pipeline = Pipeline(
        [
            {"vendor": "echo", "config": {"api_key": "fuzz_key_1"}},
            {"vendor": "echo_batch", "name": "batch"},
        ],
        transport=stub,
        clock=FakeClock(),
    )

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(events)
    def run(data):
        before = len(stub.sent)
        try:
            results = pipeline.send(data)
        except InvalidEventError as exc:
            error = exc
        else:
            error = None
        if error is not None:
            assert isinstance(error, ValueError)
            assert error.field
            assert len(stub.sent) == before, "an invalid event was partly sent"
            return
        assert [r.integration for r in results] == ["echo", "batch"]
        delivered = [r for r in results if r.status is Status.DELIVERED]
        assert all(
            r.status in (Status.DELIVERED, Status.DROPPED, Status.SKIPPED) for r in results
        ), [r.reason for r in results]
        assert len(stub.sent) - before == len(delivered)
        for request in stub.sent[before:]:
            json.loads(request.body)

    try:
        run()
    finally:
        pipeline.close()
