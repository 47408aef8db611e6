"""A query over 2048 encoded bytes goes as POST with the same pairs as a form body."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
from signal_core import Status

LIMIT = 2048


def event(pad: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Product Viewed",
        "user_id": "user_8842",
        "timestamp": 1749200400,
        "properties": {"pad": pad},
        **extra,
    }


def prefix(api_key: str) -> str:
    return f"_k={api_key}&_p=user_8842&_n=Product%20Viewed&_t=1749200400&_d=1&Pad="


def test_query_of_exactly_the_limit_is_a_get(make_pipeline, box, api_key):
    pad = "x" * (LIMIT - len(prefix(api_key)))
    [result] = make_pipeline().send(event(pad))
    [req] = box.requests
    assert req.method == "GET"
    assert len(req.raw_query) == LIMIT
    assert req.raw_query == prefix(api_key) + pad
    assert req.body == b""
    assert result.notes == ()


def test_one_byte_over_the_limit_is_a_form_post(make_pipeline, box, api_key):
    pad = "x" * (LIMIT + 1 - len(prefix(api_key)))
    [result] = make_pipeline().send(event(pad))
    [req] = box.requests
    assert (req.method, req.path, req.raw_query) == ("POST", "/e", "")
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert req.body == (prefix(api_key) + pad).encode()
    assert int(req.headers["Content-Length"]) == LIMIT + 1
    assert result.status is Status.DELIVERED
    note = f"query of {LIMIT + 1} bytes is over {LIMIT}: sent as a POST form body"
    assert result.notes == (note,)
    assert result.notes[0] in result.reason


def test_encoding_counts_toward_the_limit(make_pipeline, box, api_key):
    # about 500 characters, but each "✓" encodes to 9 bytes: over 2048 bytes once encoded
    pad = "✓" * 200
    make_pipeline().send(event(pad, properties={"pad": pad, "more": "y" * 200}))
    [req] = box.requests
    assert req.method == "POST"
    pairs = parse_qsl(req.body.decode("ascii"), keep_blank_values=True)
    assert pairs == [
        ("_k", api_key),
        ("_p", "user_8842"),
        ("_n", "Product Viewed"),
        ("_t", "1749200400"),
        ("_d", "1"),
        ("Pad", pad),
        ("More", "y" * 200),
    ]
    assert "%E2%9C%93" in req.body.decode("ascii")
    assert "+" not in req.body.decode("ascii")  # spaces stay %20, as in the GET form


def test_identify_falls_back_to_post_too(make_pipeline, box, api_key):
    identify = {
        "type": "identify",
        "user_id": "user_8842",
        "timestamp": 1749200400,
        "traits": {"bio": "b" * 3000},
    }
    make_pipeline().send(identify)
    [req] = box.requests
    assert (req.method, req.path, req.raw_query) == ("POST", "/s", "")
    assert req.body == f"_k={api_key}&_p=user_8842&_t=1749200400&_d=1&Bio={'b' * 3000}".encode()


def test_post_is_retried_with_identical_bytes(make_pipeline, new_box, clock, api_key):
    box = new_box(503, 200)
    pad = "x" * LIMIT
    [result] = make_pipeline(base_url=box.url).send(event(pad))
    assert result.status is Status.DELIVERED
    assert result.attempts == 2
    first, second = box.requests
    assert first.method == second.method == "POST"
    assert first.body == second.body == (prefix(api_key) + pad).encode()
    assert clock.sleeps == [0.5]


@pytest.mark.parametrize("long", [False, True])
def test_preview_never_shows_the_key(make_pipeline, api_key, long):
    pad = "x" * (LIMIT if long else 10)
    [preview] = make_pipeline().preview(event(pad))
    text = str(preview)
    assert api_key not in text
    assert "_k=***" in text
    assert preview.method == ("POST" if long else "GET")
