"""The kit's pytest plugin, as a plugin author's suite sees it: installed with the
core, no conftest, no import. Each check runs in an inner pytest session."""

from __future__ import annotations

import importlib.metadata as md

import pytest

pytest_plugins = ["pytester"]

INNER = ("-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")


def test_the_core_registers_the_kit_as_a_pytest11_plugin() -> None:
    found = [ep for ep in md.entry_points(group="pytest11") if ep.name == "signal"]
    assert [ep.value for ep in found] == ["signal_core.testing.pytest_plugin"]
    assert found[0].dist is not None
    assert found[0].dist.metadata["Name"] == "signal-core"


def test_fixtures_are_available_without_any_import(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fixtures="""
        import requests
        from signal_core.plugins import PluginManager
        from signal_core.testing import FakeClock, Sandbox


        def test_sandbox_records_and_answers(signal_sandbox):
            assert isinstance(signal_sandbox, Sandbox)
            response = requests.post(signal_sandbox.url + "/p?q=1", data=b"hello")
            assert response.status_code == 204
            [seen] = signal_sandbox.requests
            assert (seen.method, seen.target, seen.body) == ("POST", "/p?q=1", b"hello")


        def test_factory_scripts_replies(signal_sandbox_factory):
            box = signal_sandbox_factory(503, default=200)
            codes = [requests.get(box.url + "/").status_code for _ in range(3)]
            assert codes == [503, 200, 200]


        def test_fake_clock(fake_clock):
            assert isinstance(fake_clock, FakeClock)
            fake_clock.sleep(2.5)
            assert fake_clock.sleeps == [2.5] and fake_clock.monotonic() == 2.5


        def test_make_event(make_event):
            event = make_event("track", "Signed Up", user_id="u1")
            assert (event["type"], event["event"], event["user_id"]) == ("track", "Signed Up", "u1")


        def test_fresh_plugin_manager(signal_plugin_manager):
            assert isinstance(signal_plugin_manager, PluginManager)
            assert signal_plugin_manager.vendors() == {}
        """
    )
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=5)


def test_register_plugin_lasts_one_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_register="""
        import json

        from signal_core import ConfigField, Payload, Request, Vendor, hookimpl
        from signal_core.testing import track

        SEEN = []


        class Tiny:
            @hookimpl
            def declare_vendors(self):
                return [Vendor(name="tiny", config=(ConfigField("key", required=True),),
                               presets={"default": {"Order Completed": {}}},
                               default_preset="default")]

            @hookimpl
            def map_event(self, event, rule, integration):
                if integration.vendor != "tiny":
                    return None
                return [Payload({"name": rule.vendor_event, "key": integration.config["key"]})]

            @hookimpl
            def build_request(self, payloads, integration):
                if integration.vendor != "tiny":
                    return None
                body = json.dumps(payloads[0].data).encode()
                return Request("POST", "https://tiny.example/in", body=body)


        def test_registered_plugin_delivers(register_plugin, signal_pipeline, signal_sandbox,
                                            fake_clock):
            pm = register_plugin(Tiny(), name="tiny")
            SEEN.append(pm)
            assert "tiny" in pm.vendors()
            pipeline = signal_pipeline(
                [{"vendor": "tiny", "config": {"key": "k1"}, "base_url": signal_sandbox.url}]
            )
            assert pipeline.plugin_manager is pm and pipeline.clock is fake_clock
            [result] = pipeline.send(track())
            assert result.status == "delivered"
            [request] = signal_sandbox.requests
            assert request.body == b'{"name": "Order Completed", "key": "k1"}'


        def test_it_was_unregistered_afterwards(signal_plugin_manager):
            [previous] = SEEN
            assert previous.get_plugin("tiny") is None
            assert "tiny" not in signal_plugin_manager.vendors()


        def test_a_name_cannot_be_registered_twice(register_plugin):
            register_plugin(Tiny(), name="tiny")
            try:
                register_plugin(Tiny(), name="tiny")
            except ValueError:
                pass
            else:
                raise AssertionError("a second plugin named tiny was accepted")
        """
    )
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=3)


def test_signal_pipeline_uses_installed_plugins_when_none_is_registered(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNAL_PLUGINS", "echo")  # the repo's test-only vendor, installed
    pytester.makepyfile(
        test_installed="""
        def test_echo_is_there(signal_pipeline, signal_sandbox):
            pipeline = signal_pipeline([{"vendor": "echo", "config": {"api_key": "k-1234"},
                                         "base_url": signal_sandbox.url}])
            assert "echo" in pipeline.plugin_manager.vendors()
        """
    )
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=1)


def test_sandboxes_are_stopped_after_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_stop="""
        import threading

        import pytest
        import requests

        URLS = []


        def test_first(signal_sandbox):
            URLS.append(signal_sandbox.url)


        def test_then_it_is_gone():
            # The fixture stops sandboxes in a named background thread: wait for it.
            for thread in threading.enumerate():
                if thread.name == "signal-sandbox-stop":
                    thread.join(5)
            with pytest.raises(requests.ConnectionError):
                requests.get(URLS[0] + "/", timeout=2)
        """
    )
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=2)
