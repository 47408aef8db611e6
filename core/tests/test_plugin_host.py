"""Plugin discovery: broken plugins reported, SIGNAL_PLUGINS, the core defaults."""

from __future__ import annotations

import sys
import textwrap

import pytest
import signal_core.defaults
from signal_core import ConfigError, Vendor, hookimpl
from signal_core.plugins import ENTRY_POINT_GROUP, get_plugin_manager

BROKEN_MOD = "signal_test_broken_plugin"
BADHOOK_MOD = "signal_test_badhook_plugin"
BADARGS_MOD = "signal_test_badargs_plugin"


def make_dist(root, dist, version, entry_points):
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = [f"[{ENTRY_POINT_GROUP}]"] + [f"{n} = {m}" for n, m in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def broken_plugins(tmp_path, monkeypatch):
    """Three installed-looking distributions whose plugins cannot be used."""
    (tmp_path / f"{BROKEN_MOD}.py").write_text(
        "raise RuntimeError('plugin exploded at import')\n", encoding="utf-8"
    )
    (tmp_path / f"{BADHOOK_MOD}.py").write_text(
        textwrap.dedent(
            """
            from signal_core import hookimpl

            @hookimpl
            def map_evnt(event, rule, integration):  # typo: no such hook
                return None
            """
        ),
        encoding="utf-8",
    )
    (tmp_path / f"{BADARGS_MOD}.py").write_text(
        textwrap.dedent(
            """
            from signal_core import hookimpl

            @hookimpl
            def build_request(payloads, integration, session):  # unknown argument
                return None
            """
        ),
        encoding="utf-8",
    )
    make_dist(tmp_path, "broken-dist", "1.0", {"broken": BROKEN_MOD})
    make_dist(tmp_path, "badhook-dist", "2.5", {"badhook": BADHOOK_MOD})
    make_dist(tmp_path, "badargs-dist", "0.3", {"badargs": BADARGS_MOD})
    monkeypatch.syspath_prepend(str(tmp_path))  # also invalidates importlib caches
    yield
    for mod in (BROKEN_MOD, BADHOOK_MOD, BADARGS_MOD):
        sys.modules.pop(mod, None)


@pytest.mark.parametrize("env", [None, "echo,broken,badhook,badargs"])
def test_broken_plugins_are_reported_and_echo_still_loads(broken_plugins, monkeypatch, env):
    if env is None:
        monkeypatch.delenv("SIGNAL_PLUGINS", raising=False)
    else:
        monkeypatch.setenv("SIGNAL_PLUGINS", env)
    pm = get_plugin_manager()
    errors = {e.name: e for e in pm.load_errors}
    assert {"broken", "badhook", "badargs"} <= set(errors)
    broken = errors["broken"]
    assert (broken.distribution, broken.version) == ("broken-dist", "1.0")
    assert broken.error == "RuntimeError: plugin exploded at import"
    badhook = errors["badhook"]
    assert (badhook.distribution, badhook.version) == ("badhook-dist", "2.5")
    assert "map_evnt" in badhook.error
    badargs = errors["badargs"]
    assert (badargs.distribution, badargs.version) == ("badargs-dist", "0.3")
    assert "session" in badargs.error
    # nothing of the broken ones stays registered
    for name in ("broken", "badhook", "badargs"):
        assert pm.get_plugin(name) is None
    pm.check_pending()
    # the good plugin is untouched
    assert pm.dists["echo"] == ("signal-echo", "0.0.1")
    assert {"echo", "echo_batch"} <= set(pm.vendors())
    assert "echo" in [i.name for i in pm.describe()]


def test_signal_plugins_empty_loads_none(monkeypatch):
    monkeypatch.setenv("SIGNAL_PLUGINS", "")
    pm = get_plugin_manager()
    assert pm.vendors() == {}
    assert pm.describe() == []
    assert pm.get_plugin("echo") is None


@pytest.mark.parametrize("env", ["echo", " echo , not_installed "])
def test_signal_plugins_restricts_loading(monkeypatch, env):
    monkeypatch.setenv("SIGNAL_PLUGINS", env)
    pm = get_plugin_manager()
    assert set(pm.vendors()) == {"echo", "echo_batch"}
    assert [i.name for i in pm.describe()] == ["echo"]
    assert pm.load_errors == []


def test_unset_signal_plugins_loads_every_entry_point(monkeypatch):
    monkeypatch.delenv("SIGNAL_PLUGINS", raising=False)
    pm = get_plugin_manager()
    assert pm.get_plugin("echo") is not None


def test_load_entrypoints_false_has_only_the_core_defaults():
    pm = get_plugin_manager(load_entrypoints=False)
    assert pm.vendors() == {}
    assert pm.get_plugin("signal_core.defaults") is signal_core.defaults


def test_describe_the_echo_plugin():
    (info,) = get_plugin_manager().describe()
    assert (info.name, info.distribution, info.version) == ("echo", "signal-echo", "0.0.1")
    assert info.vendors == ("echo", "echo_batch")
    assert info.hooks == ("build_request", "classify_response", "declare_vendors", "map_event")


def test_core_default_classification_is_a_plugin_named_signal_core_defaults():
    pm = get_plugin_manager()
    assert pm.get_plugin("signal_core.defaults") is signal_core.defaults
    impls = pm.hook.classify_response.get_hookimpls()
    default = [i for i in impls if i.plugin_name == "signal_core.defaults"]
    assert len(default) == 1
    assert default[0].trylast
    assert "echo" in [i.plugin_name for i in impls]
    # the defaults plugin is not listed as a vendor plugin
    assert "signal_core.defaults" not in [i.name for i in pm.describe()]


def test_a_vendor_declared_twice_is_a_config_error():
    class Clash:
        @hookimpl
        def declare_vendors(self):
            return [Vendor(name="echo")]

    pm = get_plugin_manager()
    pm.register(Clash(), name="clash")
    try:
        with pytest.raises(ConfigError) as info:
            pm.vendors()
        assert "'echo'" in str(info.value)
    finally:
        pm.unregister(name="clash")
    assert "echo" in pm.vendors()


def test_an_in_process_plugin_is_described_as_such():
    class Extra:
        @hookimpl
        def declare_vendors(self):
            return Vendor(name="extra")

    pm = get_plugin_manager()
    pm.register(Extra(), name="extra")
    try:
        info = {i.name: i for i in pm.describe()}["extra"]
        assert info.distribution == "(registered in process)"
        assert info.vendors == ("extra",)
        assert "extra" in pm.vendors()
    finally:
        pm.unregister(name="extra")
