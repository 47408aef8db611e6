"""events.normalize rejects bad input with InvalidEventError naming the field."""

from __future__ import annotations

import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from signal_core import InvalidEventError
from signal_core.events import normalize


def track(**extra):
    data = {"type": "track", "event": "Order Completed", "anonymous_id": "anon_1"}
    data.update(extra)
    return data


def nest(depth):
    value = {}
    for _ in range(depth):
        value = {"x": value}
    return value


CASES = [
    ("not an object (list)", [1, 2], "event"),
    ("not an object (str)", "track", "event"),
    ("not an object (None)", None, "event"),
    ("missing type", {"event": "E", "anonymous_id": "a"}, "type"),
    ("wrong type", track(type="click"), "type"),
    ("type not text", track(type=["track"]), "type"),
    ("track without event", {"type": "track", "anonymous_id": "a"}, "event"),
    ("track with blank event", track(event="   "), "event"),
    ("track with non-text event", track(event=7), "event"),
    ("page with non-text event", {"type": "page", "event": 1, "user_id": "u"}, "event"),
    ("no ids", {"type": "page"}, "anonymous_id"),
    ("empty ids", {"type": "page", "anonymous_id": "", "user_id": None}, "anonymous_id"),
    ("id not text", track(anonymous_id={"a": 1}), "anonymous_id"),
    ("user id bool", {"type": "page", "user_id": True}, "user_id"),
    ("unparsable timestamp", track(timestamp="yesterday"), "timestamp"),
    ("empty timestamp", track(timestamp=""), "timestamp"),
    ("bool timestamp", track(timestamp=True), "timestamp"),
    ("negative timestamp", track(timestamp=-5), "timestamp"),
    ("nan timestamp", track(timestamp=math.nan), "timestamp"),
    ("inf timestamp text", track(timestamp="inf"), "timestamp"),
    ("far-future timestamp", track(timestamp=1e20), "timestamp"),
    ("list timestamp", track(timestamp=[2025]), "timestamp"),
    ("blank message_id", track(message_id=" "), "message_id"),
    ("numeric message_id", track(message_id=5), "message_id"),
    ("NaN property", track(properties={"revenue": math.nan}), "properties.revenue"),
    ("inf property", track(properties={"revenue": math.inf}), "properties.revenue"),
    ("-inf nested", track(properties={"items": [{"p": -math.inf}]}), "properties.items[0].p"),
    ("lone surrogate", track(properties={"name": "a\ud800b"}), "properties.name"),
    ("lone surrogate in name", track(event="Buy\udfff"), "event"),
    ("non-text key", track(properties={(1, 2): "x"}), "properties.(1, 2)"),
    ("non-dict properties", track(properties=["a"]), "properties"),
    ("non-dict traits", track(traits="x"), "traits"),
    ("non-dict context", track(context=3), "context"),
    ("unsupported type", track(properties={"when": object()}), "properties.when"),
    ("too deep", track(properties=nest(5000)), None),
    ("too large", track(properties={"blob": "x" * (600 * 1024)}), "event"),
]


@pytest.mark.parametrize(("label", "data", "field"), CASES, ids=[c[0] for c in CASES])
def test_invalid_event_names_the_field(label, data, field):
    with pytest.raises(InvalidEventError) as info:
        normalize(data)
    exc = info.value
    assert isinstance(exc, ValueError)
    if field is not None:
        assert exc.field == field
        assert str(exc).startswith(f"{field}: ")
    else:
        assert exc.field.startswith("properties")
    assert exc.problem


def test_invalid_event_error_pickles():
    with pytest.raises(InvalidEventError) as info:
        normalize({"type": "page"})
    clone = pickle.loads(pickle.dumps(info.value))
    assert (clone.field, str(clone)) == (info.value.field, str(info.value))


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(codec=None), max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "type",
                "event",
                "anonymous_id",
                "user_id",
                "anonymousId",
                "timestamp",
                "message_id",
                "properties",
                "traits",
                "context",
            ]
        ),
        json_values,
    )
)
def test_fuzzed_events_give_an_event_or_invalid_event_error(data):
    try:
        ev = normalize(data)
    except InvalidEventError as exc:
        error = exc
    else:
        error = None
    if error is not None:
        assert error.field
        return
    assert ev.type in ("track", "page", "identify")
    assert ev.anonymous_id or ev.user_id
    assert math.isfinite(ev.timestamp)
    assert ev.message_id
