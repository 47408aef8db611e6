"""Errors pickle without secrets; results and summaries add up."""

from __future__ import annotations

import pickle

import pytest
from signal_core import ConfigError, DeliveryResult, DropEvent, SendSummary, Status
from signal_core.cli.safe_text import one_line
from signal_core.errors import (
    ConnectError,
    ConnectionLost,
    ConnectTimeout,
    DeadlineExceeded,
    InvalidRequestError,
    ReadTimeout,
    TLSError,
    TransportError,
)


@pytest.mark.parametrize(
    "cls",
    [
        TransportError,
        ConnectError,
        ConnectTimeout,
        ReadTimeout,
        ConnectionLost,
        TLSError,
        InvalidRequestError,
        DeadlineExceeded,
    ],
)
def test_transport_errors_pickle(cls):
    exc = cls("detail")
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is cls
    assert str(clone) == str(exc) == f"{cls.kind}: detail"
    assert clone.sent is cls.sent
    assert str(cls()) == cls.kind


def test_sent_flags():
    assert not ConnectError.sent
    assert not ConnectTimeout.sent
    assert not TLSError.sent
    assert not InvalidRequestError.sent
    assert ReadTimeout.sent
    assert ConnectionLost.sent
    assert DeadlineExceeded.sent


def test_config_error_pickles_with_its_location():
    exc = ConfigError("is required", integration="Main", field="config.api_key")
    assert str(exc) == "integration 'Main': config.api_key: is required"
    clone = pickle.loads(pickle.dumps(exc))
    assert (str(clone), clone.integration, clone.field, clone.problem) == (
        str(exc),
        "Main",
        "config.api_key",
        "is required",
    )
    assert str(ConfigError("plain")) == "plain"
    assert str(ConfigError("p", field="f")) == "f: p"


def test_drop_event_carries_its_reason():
    exc = pickle.loads(pickle.dumps(DropEvent("no order id")))
    assert exc.reason == "no order id"
    assert str(exc) == "no order id"


def test_delivery_result_to_dict():
    r = DeliveryResult(
        "I", "echo", Status.FAILED, "503", attempts=3, http_status=503, event_id="e", notes=("n",)
    )
    assert r.to_dict() == {
        "event_id": "e",
        "integration": "I",
        "vendor": "echo",
        "status": "failed",
        "reason": "503",
        "attempts": 3,
        "http_status": 503,
        "notes": ["n"],
    }
    assert not r.ok
    assert DeliveryResult("I", "echo", Status.SKIPPED, "x").ok
    assert str(Status.DROPPED) == "dropped"


def test_send_summary_counts():
    s = SendSummary()
    for status in (Status.DELIVERED, Status.DELIVERED, Status.FAILED):
        s.add(DeliveryResult("A", "echo", status, ""))
    s.add(DeliveryResult("B", "echo", Status.SKIPPED, ""))
    s.events = 4
    s.add_invalid(3, "bad")
    assert s.total(Status.DELIVERED) == 2
    assert s.total("skipped") == 1
    assert s.failed == 1
    assert not s.ok
    assert s.to_dict() == {
        "events": 4,
        "invalid": 1,
        "integrations": {
            "A": {"delivered": 2, "dropped": 0, "skipped": 0, "failed": 1},
            "B": {"delivered": 0, "dropped": 0, "skipped": 1, "failed": 0},
        },
    }
    assert s.invalid_examples == [(3, "bad")]
    assert SendSummary().ok


@pytest.mark.parametrize(
    "text",
    ["a\nb", "a\r\nforged", "\x1b[31mred\x1b[0m", "tab\there", "\x9b2J", "nul\x00", "ls\u2028x"],
)
def test_one_line_escapes_control_characters(text):
    out = one_line(text)
    assert out.isprintable()
    assert len(out.splitlines()) == 1
    assert "\x1b" not in out


def test_one_line_keeps_printable_text():
    assert one_line("Order Completed café ☕") == "Order Completed café ☕"
