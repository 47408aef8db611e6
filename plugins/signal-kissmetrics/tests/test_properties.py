"""Property names and values: readable names, traits, flattening and limits."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
from signal_core import Status
from signal_kissmetrics.properties import humanize, render_float, render_scalar


def track(
    properties: dict[str, Any], event: str = "Product Viewed", **extra: Any
) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event,
        "user_id": "user_8842",
        "timestamp": 1749200400,
        "properties": properties,
        **extra,
    }


def custom(box) -> list[tuple[str, str]]:
    """The custom parameters (after _k, _p, _n, _t, _d) of the only request."""
    [req] = box.requests
    assert [k for k, _ in req.query[:5]] == ["_k", "_p", "_n", "_t", "_d"]
    return req.query[5:]


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("order_id", "Order ID"),
        ("revenue", "Revenue"),
        ("coupon", "Coupon"),
        ("product_ids", "Product IDs"),
        ("page_url", "Page URL"),
        ("sku", "SKU"),
        ("utm_source", "UTM Source"),
        ("shipping_method_2", "Shipping Method 2"),
        ("__private__", "Private"),
        ("Order Number", "Order Number"),
        ("orderId", "orderId"),
        ("already-kebab", "already-kebab"),
    ],
)
def test_humanize(key, name):
    assert humanize(key) == name


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (7.2, "7.20"),
        (89.99, "89.99"),
        (10.0, "10.00"),
        (0.5, "0.50"),
        (0.125, "0.125"),
        (-3.1, "-3.10"),
        (1e20, "100000000000000000000.00"),
        (1.5e-7, "0.00000015"),
        (123456789.123456, "123456789.123456"),
    ],
)
def test_float_rendering(number, text):
    assert render_float(number) == text
    assert float(text) == number


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), (42, "42"), (10**30, "1" + "0" * 30), ("x y", "x y")],
)
def test_scalar_rendering(value, text):
    assert render_scalar(value) == text


def test_value_types_on_the_wire(make_pipeline, box):
    make_pipeline().send(
        track(
            {
                "price": 19.9,
                "quantity": 2,
                "in_stock": True,
                "gift": False,
                "note": "a & b = c?#%+/ é ✓",
                "big": 12345678901234567890,
            }
        )
    )
    assert custom(box) == [
        ("Price", "19.90"),
        ("Quantity", "2"),
        ("In Stock", "true"),
        ("Gift", "false"),
        ("Note", "a & b = c?#%+/ é ✓"),
        ("Big", "12345678901234567890"),
    ]
    [req] = box.requests
    assert "Note=a%20%26%20b%20%3D%20c%3F%23%25%2B%2F%20%C3%A9%20%E2%9C%93" in req.raw_query


def test_traits_email_and_name_are_forwarded_unhashed(make_pipeline, box):
    traits = {"email": "Ada@Example.com", "name": "Ada Lovelace", "phone": "+44 20 7946 0000"}
    make_pipeline().send(track({"sku": "P-1"}, traits=traits))
    assert custom(box) == [
        ("SKU", "P-1"),
        ("Email", "Ada@Example.com"),
        ("Name", "Ada Lovelace"),
    ]


def test_traits_from_context_traits(make_pipeline, box):
    event = track({}, context={"traits": {"email": "ada@example.com"}})
    make_pipeline().send(event)
    assert custom(box) == [("Email", "ada@example.com")]


def test_a_property_wins_over_the_trait_of_the_same_name(make_pipeline, box):
    event = track({"email": "checkout@example.com"}, traits={"email": "ada@example.com"})
    [result] = make_pipeline().send(event)
    assert custom(box) == [("Email", "checkout@example.com")]
    assert result.notes == ()


def test_page_event_properties_and_traits(make_pipeline, box):
    event = {
        "type": "page",
        "anonymous_id": "anon_abc123",
        "timestamp": 1749200400,
        "properties": {"url": "https://shop.example/?q=a b", "title": "Home", "referrer": None},
        "traits": {"name": "Ada"},
    }
    make_pipeline().send(event)
    [req] = box.requests
    assert req.query[1:3] == [("_p", "anon_abc123"), ("_n", "Page Viewed")]
    assert custom(box) == [
        ("URL", "https://shop.example/?q=a b"),
        ("Title", "Home"),
        ("Name", "Ada"),
    ]


def test_flattening_arrays_and_nulls(make_pipeline, box):
    make_pipeline().send(
        track(
            {
                "shipping": {"city": "Paris", "zip_code": "75001", "geo": {"lat": 48.85}},
                "categories": ["shoes", "sale", None, 3, 2.5, True],
                "products": [{"sku": "P-1", "qty": 1}, ["x"]],
                "discount": None,
                "tags": [],
                "extra": {},
                "meta": {"source": None},
                "Gift Wrap": {"color": "red"},
            }
        )
    )
    assert custom(box) == [
        ("Shipping.City", "Paris"),
        ("Shipping.Zip Code", "75001"),
        ("Shipping.Geo.Lat", "48.85"),
        ("Categories", "shoes, sale, 3, 2.50, true"),
        ("Products", '{"sku":"P-1","qty":1}, ["x"]'),
        ("Gift Wrap.Color", "red"),
    ]


def test_name_rules(make_pipeline, box):
    long_name = "Very Long " + "x" * 300
    [result] = make_pipeline().send(
        track(
            {
                "Size, EU: Men": "42",
                long_name: "v",
                "_Internal Flag": "1",
                ",:": "gone",
                "note:": "trailing colon",
            }
        )
    )
    assert result.status is Status.DELIVERED
    assert custom(box) == [
        ("Size  EU  Men", "42"),
        (long_name[:255], "v"),
        ("Internal Flag", "1"),
        ("note", "trailing colon"),
    ]
    assert len(result.notes) == 3
    assert "longer than 255 characters: truncated" in result.notes[0]
    assert "starts with '_'" in result.notes[1]
    assert "empty" in result.notes[2]
    assert "dropped" in result.notes[2]
    assert all(note in result.reason for note in result.notes)


def test_exactly_255_characters_is_kept_without_a_note(make_pipeline, box):
    name = "N" * 255
    [result] = make_pipeline().send(track({name: "v"}))
    assert custom(box) == [(name, "v")]
    assert result.notes == ()


def test_duplicate_names_keep_the_first_value(make_pipeline, box):
    [result] = make_pipeline().send(track({"order_id": "A", "Order ID": "B", "ORDER id": "C"}))
    assert custom(box) == [("Order ID", "A")]
    assert len(result.notes) == 2
    assert "given twice" in result.notes[0]


def test_event_name_rules(make_pipeline, box):
    mappings = {"events": {"Product Viewed": {"vendor_event": "Viewed: Product, Detail"}}}
    make_pipeline(mappings=mappings).send(track({}))
    [req] = box.requests
    assert req.query[2] == ("_n", "Viewed  Product  Detail")


def test_event_name_empty_under_the_rules_is_dropped(make_pipeline, box):
    mappings = {"events": {"Product Viewed": {"vendor_event": ":,"}}}
    [result] = make_pipeline(mappings=mappings).send(track({}))
    assert result.status is Status.DROPPED
    assert "empty" in result.reason
    assert box.requests == []


def test_identity_commas_and_colons_become_spaces(make_pipeline, box):
    event = track({}, user_id="acme:user,42")
    make_pipeline().send(event)
    [req] = box.requests
    assert req.query[1] == ("_p", "acme user 42")


def test_identity_over_255_characters_is_dropped(make_pipeline, box):
    [result] = make_pipeline().send(track({}, user_id="u" * 256))
    assert result.status is Status.DROPPED
    assert "user_id is longer than 255 characters" in result.reason
    assert box.requests == []


def test_long_value_is_truncated_to_8_kib_with_a_note(make_pipeline, box):
    [result] = make_pipeline().send(track({"description": "d" * 9000, "short": "s" * 8192}))
    [req] = box.requests
    assert req.method == "POST"
    pairs = parse_qsl(req.body.decode())
    assert pairs[5:] == [("Description", "d" * 8192), ("Short", "s" * 8192)]
    assert "'Description' value of 9000 bytes truncated to 8192" in result.reason
    assert not any("Short" in note for note in result.notes)


def test_truncation_never_splits_a_character(make_pipeline, box):
    # "✓" is 3 bytes in UTF-8: 1 + 2730 * 3 = 8191 bytes fit, one more would not
    value = "a" + "✓" * 3000
    make_pipeline().send(track({"text": value}))
    [req] = box.requests
    sent = dict(parse_qsl(req.body.decode()))["Text"]
    assert sent == "a" + "✓" * 2730
    assert len(sent.encode()) == 8191
