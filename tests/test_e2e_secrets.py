"""A canary secret in the query and in a header never leaks: logs, results,
previews, dead letters, exceptions, pickles, warnings."""

from __future__ import annotations

import io
import json
import logging
import pickle
import warnings
from urllib.parse import quote, quote_plus

import pytest
from signal_core import ConfigError, Status, hookimpl
from signal_core.errors import TransportError
from signal_core.testing import Reply
from signal_core.transport import RequestsTransport
from signal_core.wire import Request, Timeout
from signal_e2e_kit import closed_port, echo, track

SECRET = "CANARY/s3cr3t+Key"
FORMS = (SECRET, quote(SECRET, safe=""), quote_plus(SECRET, safe=""), "s3cr3t")


def assert_clean(text, where=""):
    for form in FORMS:
        assert form not in text, f"secret leaked in {where}: {text!r}"


class Nowhere:
    def __init__(self):
        self.url = f"http://127.0.0.1:{closed_port()}"


class Leaky:
    """A careless third-party plugin that puts the secret in its exception."""

    @hookimpl(tryfirst=True)
    def map_event(self, event, rule, integration):
        if integration.vendor == "echo" and event.properties.get("explode"):
            raise ValueError(f"cannot map with key {integration.config['api_key']}")
        return None


@pytest.fixture
def debug_logs(caplog):
    caplog.set_level(logging.DEBUG)
    urllib3_logger = logging.getLogger("urllib3")
    old = urllib3_logger.level
    urllib3_logger.setLevel(logging.DEBUG)
    yield caplog
    urllib3_logger.setLevel(old)


def test_the_secret_never_leaks_across_successes_and_failures(
    make_box, make_pipeline, register_plugin, debug_logs
):
    ok, busy, unauthorized = make_box(), make_box(default=503), make_box(default=401)
    throttled = make_box(default=Reply(429, {"Retry-After": "86400"}))
    nowhere = Nowhere()
    header = {"config": {"mode": "header"}}
    pm = register_plugin(Leaky(), "leaky")
    integrations = [
        echo(ok, name="ok-query", api_key=SECRET),
        echo(ok, name="ok-header", api_key=SECRET, **header),
        echo(busy, name="busy-query", api_key=SECRET),
        echo(busy, name="busy-header", api_key=SECRET, **header),
        echo(unauthorized, name="401-query", api_key=SECRET),
        echo(throttled, name="429-query", api_key=SECRET),
        echo(nowhere, name="refused-query", api_key=SECRET),
        echo(nowhere, name="refused-header", api_key=SECRET, **header),
    ]
    texts = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipeline = make_pipeline(integrations, plugin_manager=pm)
        results = pipeline.send(track(properties={"n": 0}))
        results += pipeline.send(track(properties={"explode": True}))
        collected = []
        pipeline.send_many(
            [track(properties={"n": n}) for n in range(1, 4)], workers=4, on_result=collected.append
        )
        results += collected
        previews = pipeline.preview(track(properties={"n": 9}))
        dead = io.StringIO()
        pipeline.dead_letters.export(dead)

    # the runs really happened, so the checks below mean something
    statuses = {r.integration: r.status for r in results}
    assert statuses["ok-query"] is Status.DELIVERED
    assert statuses["refused-query"] is Status.FAILED
    assert sum(r.status is Status.FAILED for r in results) >= 6 * 5
    assert any(r.query == [("key", SECRET)] for r in ok.requests)
    assert any(r.headers.get("Authorization") == f"Bearer {SECRET}" for r in ok.requests)
    assert len(busy.requests) == 2 * 4 * 3
    request_lines = [
        r.getMessage()
        for r in debug_logs.records
        if r.name.startswith("urllib3") and "POST /collect" in r.getMessage()
    ]
    assert len(request_lines) >= len(ok.requests) + len(busy.requests)
    assert len(previews) == len(integrations)
    assert dead.getvalue().count("\n") >= 6 * 4

    for result in results:
        texts += [result.reason, repr(result), json.dumps(result.to_dict())]
    assert any("plugin error in map_event" in r.reason and "***" in r.reason for r in results)
    for preview in previews:
        texts += [str(preview), repr(preview), json.dumps(preview.to_dict())]
        assert "***" in str(preview)
    texts.append(dead.getvalue())
    texts += [repr(pipeline)] + [
        repr(i) + repr(i.config) + str(i.describe()) for i in pipeline.integrations
    ]
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in debug_logs.records:
        texts += [
            record.getMessage(),
            str(record.msg),
            repr(record.args),
            record.exc_text or "",
            formatter.format(record),
        ]
    texts.append(debug_logs.text)
    texts += [str(w.message) for w in caught]
    for text in texts:
        assert_clean(text)


def test_config_error_for_a_bad_secret_has_no_secret_even_pickled(box, make_pipeline):
    for bad in (SECRET + "\n", f" {SECRET}", SECRET.replace("+", "\r\n")):
        with pytest.raises(ConfigError) as info:
            make_pipeline([echo(box, api_key=bad, config={"mode": "header"})])
        exc = info.value
        pickled = pickle.dumps(exc)
        for text in (str(exc), repr(exc), repr(exc.args), pickled.decode("latin-1")):
            assert_clean(text, "ConfigError")
        assert_clean(str(pickle.loads(pickled)))
        assert exc.__cause__ is None
        assert exc.__suppress_context__


def test_transport_errors_have_no_url_or_secret_even_pickled():
    transport = RequestsTransport()
    url = f"http://127.0.0.1:{closed_port()}/collect"
    errors = []
    for request in (
        Request("POST", url, (("key", SECRET),), {"Authorization": f"Bearer {SECRET}"}, b"{}"),
        Request("POST", url, (("key", SECRET),), {"Authorization": f"Bearer {SECRET}\n"}, b"{}"),
    ):
        with pytest.raises(TransportError) as info:
            transport.send(request, Timeout(1, 1, 1))
        errors.append(info.value)
    transport.close()
    for exc in errors:
        chain = exc
        while chain is not None:
            pickled = pickle.dumps(chain)
            for text in (str(chain), repr(chain), repr(chain.args), pickled.decode("latin-1")):
                assert_clean(text, "TransportError")
                assert "127.0.0.1" not in text
            chain = chain.__cause__ or chain.__context__
