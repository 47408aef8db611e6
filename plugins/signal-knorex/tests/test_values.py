"""Pure helpers: number rendering and the template's encode / read-back round trip."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from signal_knorex import PLACEHOLDERS, compile_template, render_number

TEMPLATE = compile_template(
    "https://s2s.knorex.example/xpo/postback?kcid={kcid}&goal={goal_id}&v={value}"
    "&c={currency}&o={order_id}&e={event_id}&ts={timestamp}&t={token}"
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (89.99, "89.99"),
        (10, "10"),
        (10.0, "10"),
        (0.1 + 0.2, "0.3"),
        (-0.0, "0"),
        (-5.5, "-5.5"),
        (1e21, "1000000000000000000000"),
        (1e-7, "0.0000001"),
        (10**25, "10000000000000000000000000"),
        ("89.990", "89.99"),
        (" 12 ", "12"),
        ("1e3", "1000"),
        ("+3", "3"),
        (".5", "0.5"),
        ("0.000", "0"),
        ("abc", None),
        ("1,000", None),
        ("1_000", None),
        ("nan", None),
        ("Infinity", None),
        ("1e999", None),
        (1e31, None),
        (True, None),
        (None, None),
        ([1], None),
    ],
)
def test_render_number(raw: Any, text: str | None) -> None:
    assert render_number(raw) == text


def test_placeholders_are_the_documented_set() -> None:
    assert PLACEHOLDERS == (
        "kcid",
        "goal_id",
        "value",
        "currency",
        "order_id",
        "event_id",
        "timestamp",
        "token",
    )


@given(st.fixed_dictionaries({n: TEXT for n in PLACEHOLDERS if n != "token"}), TEXT)
def test_any_text_round_trips_and_never_moves_host_or_path(
    values: dict[str, str], token: str
) -> None:
    url = TEMPLATE.render(values, token)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        "https",
        "s2s.knorex.example",
        "/xpo/postback",
        "",
    )
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    assert [k for k, _ in pairs] == ["kcid", "goal", "v", "c", "o", "e", "ts", "t"]
    expected = [values[n] for n in PLACEHOLDERS if n != "token"] + [token]
    assert [v for _, v in pairs] == expected
    read_back = TEMPLATE.values_in(url)
    assert read_back == {**values, "token": token}
