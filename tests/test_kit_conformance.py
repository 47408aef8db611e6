"""The conformance suite catches real plugin defects, one at a time.

A small, correct ``toy`` plugin passes every check; each variant below breaks
one thing a third-party author could get wrong, and the suite must fail
exactly the checks about that thing (run in an inner pytest session, as a
plugin author's own suite would).
"""

from __future__ import annotations

import textwrap

import pytest

pytest_plugins = ["pytester"]

TOY_PLUGIN = """
from __future__ import annotations

import json
import logging
import socket
import time

from signal_core import ConfigField, DropEvent, Outcome, Payload, Request, Vendor, hookimpl

DEFECT = "{defect}"
log = logging.getLogger("toy_plugin")
_counter = [0]

SPEC = Vendor(
    name="toy",
    description="Toy vendor for the conformance suite's own tests.",
    config=(
        ConfigField(
            "api_key", required=True, secret=True,
            description="" if DEFECT == "no_description" else "API key, sent as X-Api-Key.",
        ),
        ConfigField("account", required=True, description="Account id, part of the URL."),
    ),
    presets={{"default": {{"Order Completed": {{"vendor_event": "purchase"}},
                          "Signed Up": {{"vendor_event": "signup"}}}}}},
    default_preset="nope" if DEFECT == "bad_default_preset" else "default",
    consent_categories=("marketing",),
    max_batch_size=10,
    hosts=() if DEFECT == "no_hosts" else ("api.toy.example",),
)


@hookimpl
def declare_vendors():
    return [SPEC]


@hookimpl
def map_event(event, rule, integration):
    if integration.vendor != "toy" and DEFECT != "greedy":
        return None
    if DEFECT == "drop_all":
        raise DropEvent("toy drops everything")
    return [Payload({{"event": rule.vendor_event, "id": event.message_id}})]


@hookimpl
def build_request(payloads, integration):
    if integration.vendor != "toy":
        return None
    events = [dict(p.data) for p in payloads]
    if DEFECT == "clock":
        for item in events:
            item["sent_at"] = time.time()
    if DEFECT == "network":
        socket.getaddrinfo("localhost", 80)
    if DEFECT == "leaky_log":
        log.debug("building with key %s", integration.config["api_key"])
    host = "api.other.example" if DEFECT == "wrong_host" else "api.toy.example"
    url = f"https://{{host}}/v1/{{integration.config['account']}}/events"
    headers = {{"Content-Type": "application/json", "X-Api-Key": integration.config["api_key"]}}
    return Request("POST", url, headers=headers, body=json.dumps(events).encode())


@hookimpl
def authorize_request(request, integration, transport):
    if integration.vendor != "toy" or DEFECT != "unstable_retry":
        return None
    _counter[0] += 1
    return request.with_headers({{"X-Attempt": str(_counter[0])}})


@hookimpl
def classify_response(request, response, error, integration):
    if integration.vendor != "toy" or response is None:
        return None
    if DEFECT == "retry_4xx" and response.status == 400:
        return Outcome.retry("400, but toy retries it")
    if DEFECT == "fail_5xx" and response.status == 503:
        return Outcome.failed("503 Service Unavailable, toy gives up")
    if response.status == 401:
        return Outcome.failed("401: the api_key was refused")
    return None
"""

TOY_TEST = """
from signal_core.testing import VendorConformance, track

import toy_plugin


class TestToyConformance(VendorConformance):
    vendor = "toy"
    plugin = toy_plugin
    config = {{"api_key": "toy-key-123", "account": "acc1"}}
    events = {events}
"""

# Inner sessions: quiet, and without the third-party plugins this repo's tools bring.
INNER = ("-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")
BOTH_EVENTS = '[track("Order Completed"), track("Signed Up")]'
ALL_CHECKS = {
    "test_vendor_is_declared_once",
    "test_declaration_is_complete",
    "test_hooks_answer_only_for_their_vendor",
    "test_sample_config_is_valid",
    "test_missing_required_fields_are_rejected",
    "test_sample_events_map",
    "test_every_preset_event_maps",
    "test_unmapped_events_are_dropped",
    "test_build_request_is_pure_and_deterministic",
    "test_requests_go_only_to_declared_hosts",
    "test_requests_go_only_to_base_url",
    "test_secrets_are_redacted",
    "test_2xx_is_delivered",
    "test_4xx_fails_without_retry",
    "test_429_and_5xx_are_retried",
    "test_retries_give_up_after_the_policy_attempts",
    "test_connection_refused_is_retried",
    "test_retries_resend_identical_bytes",
    "test_batches_split_on_413",
}


def run_suite(pytester: pytest.Pytester, defect: str, events: str = BOTH_EVENTS) -> set[str]:
    """Run the conformance suite on the toy plugin; return the names of the failed checks."""
    pytester.makepyfile(toy_plugin=TOY_PLUGIN.format(defect=defect))
    pytester.makepyfile(test_toy=TOY_TEST.format(events=events))
    pytester.syspathinsert()
    result = pytester.runpytest(*INNER, "-rfE")
    outcomes = result.parseoutcomes()
    failed = {
        line.split("::")[-1].split(" ")[0]
        for line in result.outlines
        if line.startswith(("FAILED", "ERROR"))
    }
    ran = outcomes.get("passed", 0) + outcomes.get("failed", 0) + outcomes.get("errors", 0)
    assert ran + outcomes.get("skipped", 0) == len(ALL_CHECKS), result.stdout.str()
    return failed


def test_a_correct_plugin_passes_every_check(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(toy_plugin=TOY_PLUGIN.format(defect="none"))
    pytester.makepyfile(test_toy=TOY_TEST.format(events=BOTH_EVENTS))
    pytester.syspathinsert()
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=len(ALL_CHECKS))


@pytest.mark.parametrize(
    ("defect", "expected"),
    [
        ("no_description", {"test_declaration_is_complete"}),
        ("no_hosts", {"test_declaration_is_complete", "test_requests_go_only_to_declared_hosts"}),
        ("greedy", {"test_hooks_answer_only_for_their_vendor"}),
        ("clock", {"test_build_request_is_pure_and_deterministic"}),
        ("network", {"test_build_request_is_pure_and_deterministic"}),
        ("wrong_host", {"test_requests_go_only_to_declared_hosts"}),
        ("leaky_log", {"test_secrets_are_redacted"}),
        ("retry_4xx", {"test_4xx_fails_without_retry"}),
        (
            "fail_5xx",
            {
                "test_429_and_5xx_are_retried",
                "test_retries_give_up_after_the_policy_attempts",
                "test_retries_resend_identical_bytes",
            },
        ),
        ("unstable_retry", {"test_retries_resend_identical_bytes"}),
    ],
)
def test_each_defect_fails_exactly_its_checks(
    pytester: pytest.Pytester, defect: str, expected: set[str]
) -> None:
    assert run_suite(pytester, defect) == expected


def test_a_preset_event_without_a_sample_is_reported(pytester: pytest.Pytester) -> None:
    failed = run_suite(pytester, "none", events='[track("Order Completed")]')
    assert failed == {"test_every_preset_event_maps"}


def test_a_plugin_that_drops_everything_fails_the_mapping_checks(
    pytester: pytest.Pytester,
) -> None:
    failed = run_suite(pytester, "drop_all")
    assert {"test_sample_events_map", "test_every_preset_event_maps"} <= failed
    assert "test_declaration_is_complete" not in failed


def test_a_default_preset_that_does_not_exist_is_reported(pytester: pytest.Pytester) -> None:
    failed = run_suite(pytester, "bad_default_preset")
    assert "test_declaration_is_complete" in failed


def test_failures_say_what_to_fix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(toy_plugin=TOY_PLUGIN.format(defect="greedy"))
    pytester.makepyfile(test_toy=TOY_TEST.format(events=BOTH_EVENTS))
    pytester.syspathinsert()
    result = pytester.runpytest(*INNER, "-k", "only_for_their_vendor")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*if integration.vendor != VENDOR*", "*map_event answered*"])


def test_a_vendor_nobody_declares_fails_with_a_hint(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_missing=textwrap.dedent(
            """
            from signal_core.testing import VendorConformance

            class TestNobodyConformance(VendorConformance):
                vendor = "nobody-declares-this"
                config = {}
            """
        )
    )
    result = pytester.runpytest(*INNER, "-k", "declared_once")
    result.assert_outcomes(errors=1)  # the suite's fixture stops every check
    result.stdout.fnmatch_lines(["*no plugin declares vendor 'nobody-declares-this'*"])
