"""Redactor and the logging filter on the HTTP libraries' loggers."""

from __future__ import annotations

import logging
import sys

from signal_core.redact import (
    MASK,
    RedactingFilter,
    Redactor,
    install_log_filter,
    register_secrets,
)

SECRET = "CANARY/redact+me now"


def test_redactor_masks_raw_and_encoded_forms():
    redact = Redactor([SECRET, ""])
    text = f"raw={SECRET} quoted=CANARY%2Fredact%2Bme%20now plus=CANARY%2Fredact%2Bme+now"
    assert redact(text) == "raw=*** quoted=*** plus=***"
    assert bool(redact)
    assert not bool(Redactor())
    assert Redactor()("unchanged") == "unchanged"


def test_longest_secret_is_masked_first():
    assert Redactor(["abc", "abcdef"])("xabcdefx abc") == "x***x ***"


def make_record(msg, args=(), exc=None):
    exc_info = None
    if exc is not None:
        try:
            raise exc
        except Exception:
            exc_info = sys.exc_info()
    return logging.LogRecord(
        "urllib3.connectionpool", logging.DEBUG, __file__, 1, msg, args, exc_info
    )


def test_filter_masks_secrets_and_query_strings_in_message_args_and_exceptions():
    register_secrets([SECRET])
    filt = RedactingFilter()
    filt.redactor = Redactor([SECRET])
    record = make_record(
        '%s://%s:%s "%s %s %s" %s %s',
        ("http", "127.0.0.1", 80, "POST", "/collect?key=abc&other=1", "HTTP/1.1", 503, 0),
        exc=ValueError(f"failed: /x?token=zzz and {SECRET}"),
    )
    assert filt.filter(record) is True
    message = record.getMessage()
    assert "key=abc" not in message
    assert "?***" in message
    assert record.args is None
    assert record.exc_info is None
    assert "zzz" not in record.exc_text
    assert SECRET not in record.exc_text
    assert MASK in record.exc_text
    record = make_record("token %s", (SECRET,))
    filt.filter(record)
    assert record.getMessage() == "token ***"


def test_filter_survives_a_broken_format_string():
    filt = RedactingFilter()
    record = make_record("%d items %s", ("not a number",))
    assert filt.filter(record) is True
    assert record.getMessage() == "%d items %s"


def test_install_log_filter_covers_http_library_loggers():
    logging.getLogger("urllib3.some_new_module")
    install_log_filter()
    install_log_filter()  # idempotent
    for name in ("urllib3", "urllib3.connectionpool", "urllib3.some_new_module", "requests"):
        filters = [f for f in logging.getLogger(name).filters if isinstance(f, RedactingFilter)]
        assert len(filters) == 1, name
