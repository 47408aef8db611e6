"""The core's default classify_response, as a pure function of request/response/error."""

from __future__ import annotations

import pytest
from signal_core.defaults import classify_response, status_text
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
from signal_core.integration import load_integration
from signal_core.outcome import Verdict
from signal_core.vendor import Vendor
from signal_core.wire import Request, Response

PLAIN = Vendor(name="plain")
DEDUP = Vendor(name="dedup", dedups=True)
REQUEST = Request("POST", "https://vendor.example/collect")


def integration(vendor=PLAIN, **extra):
    return load_integration({"vendor": vendor.name, **extra}, {vendor.name: vendor})


def classify(status=None, error=None, integ=None, headers=None):
    response = None if status is None else Response(status, headers or {}, b"")
    return classify_response(REQUEST, response, error, integ or integration())


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_2xx_is_delivered(status):
    outcome = classify(status)
    assert outcome.verdict is Verdict.DELIVERED
    assert outcome.reason.startswith(str(status))


def test_reason_names_status_and_phrase():
    assert classify(204).reason == "204 No Content"
    assert classify(503).reason == "503 Service Unavailable from plain"
    assert classify(404).reason == "404 Not Found from plain"
    assert status_text(299) == "299"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_3xx_fails_and_says_redirects_are_not_followed(status):
    outcome = classify(status)
    assert outcome.verdict is Verdict.FAILED
    assert "redirects are not followed" in outcome.reason


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504, 599])
def test_retryable_statuses(status):
    outcome = classify(status)
    assert outcome.verdict is Verdict.RETRY
    assert outcome.throttled is False


def test_429_is_retried_as_throttled():
    outcome = classify(429)
    assert (outcome.verdict, outcome.throttled) == (Verdict.RETRY, True)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 410, 422, 451, 501, 100])
def test_other_statuses_fail_permanently(status):
    outcome = classify(status)
    assert outcome.verdict is Verdict.FAILED
    assert not outcome.split


def test_413_fails_and_asks_to_split():
    outcome = classify(413)
    assert (outcome.verdict, outcome.split) == (Verdict.FAILED, True)


def test_per_integration_retry_statuses():
    integ = integration(retry={"retry_statuses": [503]})
    assert classify(503, integ=integ).verdict is Verdict.RETRY
    assert classify(500, integ=integ).verdict is Verdict.FAILED


@pytest.mark.parametrize("error", [ConnectError("refused"), ConnectTimeout()])
def test_errors_before_sending_are_retried(error):
    for vendor in (PLAIN, DEDUP):
        outcome = classify(error=error, integ=integration(vendor))
        assert outcome.verdict is Verdict.RETRY
        assert outcome.reason == str(error)


@pytest.mark.parametrize(
    "error", [ReadTimeout(), ConnectionLost("reset"), DeadlineExceeded("body"), TransportError()]
)
def test_errors_after_sending_retry_only_when_the_vendor_dedups(error):
    plain = classify(error=error)
    assert plain.verdict is Verdict.FAILED
    assert "not retried" in plain.reason
    assert "does not de-duplicate" in plain.reason
    dedup = classify(error=error, integ=integration(DEDUP))
    assert dedup.verdict is Verdict.RETRY
    assert "de-duplicates" in dedup.reason


@pytest.mark.parametrize("error", [TLSError("bad cert"), InvalidRequestError("header")])
def test_tls_and_invalid_request_are_never_retried(error):
    for vendor in (PLAIN, DEDUP):
        outcome = classify(error=error, integ=integration(vendor))
        assert outcome.verdict is Verdict.FAILED
        assert outcome.reason == str(error)


def test_no_response_and_no_error_is_not_retried_for_a_plain_vendor():
    outcome = classify()
    assert outcome.verdict is Verdict.FAILED
    assert "no response" in outcome.reason
