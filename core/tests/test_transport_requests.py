"""RequestsTransport: error mapping (requests-mock), check_request, no URL in errors."""

from __future__ import annotations

import pickle

import pytest
import requests
import requests_mock
from signal_core.errors import (
    ConnectError,
    ConnectionLost,
    ConnectTimeout,
    InvalidRequestError,
    ReadTimeout,
    TLSError,
    TransportError,
)
from signal_core.transport import USER_AGENT, RequestsTransport, check_request
from signal_core.wire import Request, Timeout

SECRET = "CANARY_tr4nsport"
URL = "https://vendor.example/collect"
TIMEOUT = Timeout(1.0, 1.0, 1.0)


def request(**kw):
    base = {"method": "POST", "url": URL, "query": (("key", SECRET),), "body": b"{}"}
    base.update(kw)
    return Request(**base)


@pytest.fixture
def transport():
    t = RequestsTransport()
    yield t
    t.close()


def test_user_agent_constant():
    assert USER_AGENT == "signal-core/0.1.0"


def test_a_mocked_response_is_read(transport):
    with requests_mock.Mocker() as m:
        m.post(URL, status_code=503, headers={"Retry-After": "2", "X-Up": "a"}, content=b"busy")
        response = transport.send(request(), TIMEOUT)
        sent = m.request_history[0]
    assert response.status == 503
    assert response.header("Retry-After") == "2"
    assert response.header("x-up") == "a"
    assert response.body == b"busy"
    assert sent.url == f"{URL}?key={SECRET}"
    assert sent.headers["User-Agent"] == USER_AGENT
    assert sent.body == b"{}"


def test_response_body_is_bounded():
    t = RequestsTransport(max_response_bytes=10)
    with requests_mock.Mocker() as m:
        m.post(URL, status_code=200, content=b"x" * 1000)
        assert t.send(request(), TIMEOUT).body == b"x" * 10
    t.close()


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (requests.exceptions.ConnectTimeout, ConnectTimeout),
        (requests.exceptions.ReadTimeout, ReadTimeout),
        (requests.exceptions.SSLError, TLSError),
        (requests.exceptions.InvalidURL, InvalidRequestError),
        (requests.exceptions.InvalidHeader, InvalidRequestError),
        (requests.exceptions.ChunkedEncodingError, ConnectionLost),
        (requests.exceptions.ConnectionError, ConnectionLost),
        (requests.exceptions.ConnectionError("NewConnectionError: refused"), ConnectError),
    ],
)
def test_requests_errors_become_transport_errors_without_the_url(transport, raised, expected):
    if isinstance(raised, type):
        raised = raised(f"failed for {URL}?key={SECRET}")
    with requests_mock.Mocker() as m:
        m.post(URL, exc=raised)
        with pytest.raises(TransportError) as info:
            transport.send(request(), TIMEOUT)
    exc = info.value
    assert type(exc) is expected
    assert exc.__context__ is None
    assert exc.__cause__ is None
    for text in (str(exc), repr(exc), repr(exc.args), pickle.dumps(exc).decode("latin-1")):
        assert SECRET not in text
        assert "vendor.example" not in text
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is expected
    assert str(clone) == str(exc)


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {SECRET}\r\nX-Evil: 1"},
        {"X-Token": f"{SECRET}\n"},
        {"X-Token": "a\rb"},
        {"X-Token": "a\x00b"},
        {"X-Token": 5},
        {"X Bad": "v"},
        {"X-Bad:": "v"},
        {"": "v"},
        {"X-\nBad": "v"},
    ],
)
def test_check_request_rejects_header_injection_before_any_io(headers):
    bad = request(headers=headers)
    with pytest.raises(InvalidRequestError) as info:
        check_request(bad)
    assert SECRET not in str(info.value)
    with requests_mock.Mocker() as m:
        m.post(URL, status_code=204)
        t = RequestsTransport()
        with pytest.raises(InvalidRequestError):
            t.send(bad, TIMEOUT)
        t.close()
        assert m.call_count == 0


@pytest.mark.parametrize(
    "url", ["ftp://vendor.example/x", "file:///etc/passwd", "//vendor.example", ""]
)
def test_check_request_rejects_other_schemes(url):
    with pytest.raises(InvalidRequestError):
        check_request(Request("GET", url))


def test_check_request_accepts_a_normal_request():
    check_request(
        request(headers={"Authorization": "Bearer abc", "Content-Type": "application/json"})
    )
