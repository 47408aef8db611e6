"""Loading integrations: config validation, ${ENV} expansion, base_url, errors."""

from __future__ import annotations

import pytest
from signal_core import ConfigError, Pipeline
from signal_core.integration import expand_env, load_integration
from signal_core.vendor import ConfigField, Vendor

ACME = Vendor(
    name="acme",
    config=(
        ConfigField("account", required=True, pattern=r"[a-z0-9_]+"),
        ConfigField("token", required=True, secret=True),
        ConfigField("region", default="eu", choices=("eu", "na")),
        ConfigField("rate", kind=float, default=1.0),
        ConfigField("debug", kind=bool, default=False),
    ),
    presets={"basic": {"Order Completed": {"vendor_event": "conversion"}}},
    default_preset="basic",
    consent_categories=("marketing",),
)
VENDORS = {"acme": ACME}


def acme(**over):
    data = {"vendor": "acme", "name": "Acme", "config": {"account": "acc_1", "token": "tok_1"}}
    data.update(over)
    return data


def load(data, index=0):
    return load_integration(data, VENDORS, index=index)


def test_a_valid_integration_gets_defaults_and_vendor_settings():
    integ = load(acme())
    assert integ.name == "Acme"
    assert integ.vendor == "acme"
    assert integ.spec is ACME
    assert dict(integ.config) == {
        "account": "acc_1",
        "token": "tok_1",
        "region": "eu",
        "rate": 1.0,
        "debug": False,
    }
    assert integ.enabled is True
    assert integ.consent_categories == ("marketing",)
    assert integ.base_url is None
    assert integ.mapping.rule_for("Order Completed").vendor_event == "conversion"


def test_name_defaults_to_vendor_then_vendor_and_position():
    assert load({"vendor": "acme", "config": {"account": "a", "token": "tok-1"}}).name == "acme"
    second = load({"vendor": "acme", "config": {"account": "a", "token": "tok-1"}}, index=1)
    assert second.name == "acme-2"


def test_env_expansion_plain_and_with_default(monkeypatch):
    monkeypatch.setenv("ACME_TOKEN", "tok_from_env")
    monkeypatch.setenv("ACME_ACCOUNT", "acc_env")
    monkeypatch.delenv("ACME_REGION", raising=False)
    integ = load(
        acme(
            config={
                "account": "${ACME_ACCOUNT}",
                "token": "${ACME_TOKEN}",
                "region": "${ACME_REGION:-na}",
            }
        )
    )
    assert integ.config["token"] == "tok_from_env"
    assert integ.config["account"] == "acc_env"
    assert integ.config["region"] == "na"


def test_env_set_wins_over_default_and_expansion_is_inline(monkeypatch):
    monkeypatch.setenv("ACME_REGION", "eu")
    monkeypatch.setenv("PART", "x")
    integ = load(
        acme(config={"account": "acc_${PART}_1", "token": "tok-1", "region": "${ACME_REGION:-na}"})
    )
    assert integ.config["region"] == "eu"
    assert integ.config["account"] == "acc_x_1"


def test_env_default_may_be_empty_and_expansion_is_recursive(monkeypatch):
    monkeypatch.delenv("NOPE", raising=False)
    env = {"A": "1"}
    assert expand_env("${NOPE:-}", where="w", integration="i", environ=env) == ""
    assert expand_env(
        {"x": ["${A}", {"y": "${A}${A}"}], "n": 5}, where="w", integration="i", environ=env
    ) == {"x": ["1", {"y": "11"}], "n": 5}


def test_unset_env_variable_is_a_config_error_naming_field(monkeypatch):
    monkeypatch.delenv("ACME_MISSING", raising=False)
    with pytest.raises(ConfigError) as info:
        load(acme(config={"account": "a", "token": "${ACME_MISSING}"}))
    exc = info.value
    assert (exc.integration, exc.field) == ("Acme", "config.token")
    assert "ACME_MISSING" in str(exc)


def test_env_expanded_base_url(monkeypatch):
    monkeypatch.setenv("SANDBOX_PORT", "8089")
    integ = load(acme(base_url="http://127.0.0.1:${SANDBOX_PORT}"))
    assert integ.base_url == "http://127.0.0.1:8089"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (acme(vendor="nope"), "vendor", ["unknown vendor", "'nope'", "acme"]),
        ({"name": "Acme", "config": {}}, "vendor", ["required"]),
        (acme(config={"account": "a"}), "config.token", ["required"]),
        (acme(config={"account": "", "token": "tok-1"}), "config.account", ["required"]),
        (
            acme(config={"account": "a", "token": "tok-1", "region": "us"}),
            "config.region",
            ["'us'", "'eu'", "'na'"],
        ),
        (acme(config={"account": "a b", "token": "tok-1"}), "config.account", ["does not match"]),
        (
            acme(config={"account": "a", "token": "tok-1", "rate": "fast"}),
            "config.rate",
            ["number"],
        ),
        (
            acme(config={"account": "a", "token": "tok-1", "debug": "yes"}),
            "config.debug",
            ["true or false"],
        ),
        (acme(config={"account": "a", "token": 123}), "config.token", ["string"]),
        (
            acme(config={"account": "a", "token": "tok-1", "colour": "red"}),
            "config",
            ["'colour'", "unknown"],
        ),
        (acme(config=["a"]), "config", ["object"]),
        (acme(enabled="yes"), "enabled", ["true or false"]),
        (acme(consent_categories="marketing"), "consent_categories", ["list"]),
        (acme(preset="nope"), "preset", ["unknown preset", "'nope'", "basic"]),
        (acme(retry={"attempts": 0}), "retry", ["attempts"]),
        (acme(retry={"tries": 2}), "retry", ["'tries'"]),
        (acme(base_url="ftp://127.0.0.1"), "base_url", ["http"]),
        (acme(base_url="http://127.0.0.1:9/path"), "base_url", ["path"]),
        (acme(base_url="http://127.0.0.1:9/?q=1"), "base_url", ["query"]),
        (acme(base_url="http://user@127.0.0.1:9"), "base_url", ["scheme, host and port"]),
        (acme(base_url="http://"), "base_url", ["host"]),
        (acme(base_url=8080), "base_url", ["string"]),
    ],
)
def test_config_errors_name_integration_and_field(data, field, words):
    with pytest.raises(ConfigError) as info:
        load(data)
    exc = info.value
    assert isinstance(exc, ValueError)
    assert exc.integration == "Acme"
    assert exc.field == field
    text = str(exc)
    assert text.startswith(f"integration 'Acme': {field}: ")
    for word in words:
        assert word in text


def test_unknown_integration_key_is_named():
    with pytest.raises(ConfigError) as info:
        load(acme(api_key="oops"))
    assert info.value.integration == "Acme"
    assert "'api_key'" in str(info.value)
    assert "unknown key" in str(info.value)


def test_integration_that_is_not_an_object():
    with pytest.raises(ConfigError) as info:
        load(["acme"], index=2)
    assert info.value.integration == "#3"


def test_pipeline_from_dicts_uses_installed_plugins():
    with Pipeline(
        [
            {"vendor": "echo", "name": "E1", "config": {"api_key": "key-1"}},
            {"vendor": "echo_batch", "enabled": False},
        ]
    ) as pipeline:
        assert [(i.name, i.vendor, i.enabled) for i in pipeline.integrations] == [
            ("E1", "echo", True),
            ("echo_batch-2", "echo_batch", False),
        ]
        assert pipeline.integrations[0].config["mode"] == "query"


def test_pipeline_rejects_two_integrations_with_one_name():
    with pytest.raises(ConfigError) as info:
        Pipeline(
            [
                {"vendor": "echo", "name": "same", "config": {"api_key": "key-1"}},
                {"vendor": "echo_batch", "name": "same"},
            ]
        )
    assert info.value.integration == "same"


def test_pipeline_reports_unknown_vendor_with_installed_ones():
    with pytest.raises(ConfigError) as info:
        Pipeline([{"vendor": "kargo", "name": "K"}])
    assert info.value.field == "vendor"
    assert "echo" in str(info.value)
    assert "echo_batch" in str(info.value)
