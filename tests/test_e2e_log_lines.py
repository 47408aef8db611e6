"""Untrusted text (event names, ids, vendor answers) never forges log lines."""

from __future__ import annotations

import logging

from signal_core import Outcome, Status, hookimpl
from signal_e2e_kit import echo, track

EVIL_NAME = "Buy\nINFO forged: all good\x1b[2J"
EVIL_ID = "id-1\r\nERROR forged\x1b[31m"


class Careless:
    """Quotes event data and vendor answers in its errors and reasons."""

    @hookimpl(tryfirst=True)
    def map_event(self, event, rule, integration):
        if event.properties.get("explode"):
            raise ValueError(f"cannot map {event.name}")
        return None

    @hookimpl(tryfirst=True)
    def classify_response(self, request, response, error, integration):
        if response is not None and response.status == 400:
            return Outcome.failed(f"400: vendor says {response.body.decode()}")
        return None


def test_no_log_record_spans_lines_or_carries_escapes(box, make_pipeline, register_plugin, caplog):
    caplog.set_level(logging.DEBUG)
    pm = register_plugin(Careless(), "careless")
    pipeline = make_pipeline(
        [echo(box, mappings={"defaults": {"action": "passthrough"}})], plugin_manager=pm
    )
    [failed] = pipeline.send(track(EVIL_NAME, message_id=EVIL_ID, properties={"explode": True}))
    assert failed.status is Status.FAILED
    from signal_core.testing import Reply

    box.script(Reply(400, body=b"bad field\nWARNING forged\x1b[0m"))
    [rejected] = pipeline.send(track(EVIL_NAME, message_id=EVIL_ID))
    assert (rejected.status, rejected.http_status) == (Status.FAILED, 400)
    records = [r for r in caplog.records if r.name.startswith("signal_core")]
    assert any(r.levelno == logging.ERROR for r in records)  # the map_event failure was logged
    assert any("attempt=1" in r.getMessage() for r in records)  # the delivery debug line too
    for record in records:
        message = record.getMessage()
        assert "\n" not in message, message
        assert "\r" not in message, message
        assert "\x1b" not in message, message
