"""The vendor declaration and config validation."""

from __future__ import annotations

from typing import Any

import pytest
import signal_kargo
from kargo_testkit import integration
from signal_core import ConfigError, Pipeline
from signal_core.plugins import get_plugin_manager
from signal_kargo.endpoint import validate_endpoint


def test_entry_point_registers_the_kargo_vendor() -> None:
    pm = get_plugin_manager()
    assert not [e for e in pm.load_errors if e.name == "kargo"]
    vendor = pm.vendors()["kargo"]
    assert vendor is signal_kargo.KARGO
    assert pm.get_plugin("kargo") is signal_kargo
    info = next(i for i in pm.describe() if i.name == "kargo")
    assert info.vendors == ("kargo",)
    assert set(info.hooks) == {
        "declare_vendors",
        "id_sync",
        "map_event",
        "build_request",
        "classify_response",
    }


def test_vendor_declaration() -> None:
    v = signal_kargo.KARGO
    assert v.name == "kargo"
    assert v.click_ids == ("kgid",)
    assert v.hosts == ("krxd.net",)
    assert v.dedups is False
    assert v.max_batch_size == 1
    assert v.consent_categories == ("marketing",)
    assert v.default_preset == "retail"
    assert v.unmapped == "drop"
    assert v.secret_fields == ("auth_token",)
    assert {k: dict(r) for k, r in v.presets["retail"].items()} == {
        "Order Completed": {"vendor_event": "conversion"},
        "Product Viewed": {"vendor_event": "engagement"},
    }
    required = {f.name for f in v.config if f.required}
    assert required == {"advertiser_id", "auth_token"}


def test_defaults_applied_and_seed_management_body_loads() -> None:
    seed_body = {
        "source_id": "src_abc123",
        "vendor": "kargo",
        "name": "Kargo Production",
        "enabled": True,
        "config": {
            "advertiser_id": "kg_adv_12345",
            "campaign_id": "kg_camp_67890",
            "auth_token": "kg_token_secret_abc123",
        },
        "consent_categories": ["marketing"],
    }
    [item] = Pipeline([seed_body]).integrations
    assert item.config["endpoint"] == "https://krxd.net/data/c"
    assert item.config["auth_mode"] == "query"
    assert item.consent_categories == ("marketing",)
    assert item.describe()["mapped_events"] == {
        "Order Completed": "conversion",
        "Product Viewed": "engagement",
    }
    assert item.describe()["config"]["auth_token"] == "***"


def test_default_consent_is_marketing() -> None:
    [item] = Pipeline([integration()]).integrations
    assert item.consent_categories == ("marketing",)


def test_env_expansion_of_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KARGO_AUTH_TOKEN", "from-env-token")
    [item] = Pipeline([integration(auth_token="${KARGO_AUTH_TOKEN}")]).integrations
    assert item.config["auth_token"] == "from-env-token"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("advertiser_id", None, "is required"),
        ("advertiser_id", 12345, "must be a string"),
        ("auth_mode", "cookie", "is not one of 'query', 'header'"),
        ("campaign_id", "a\nb", "line breaks"),
    ],
)
def test_bad_config_rejected(field: str, value: Any, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(**{field: value})])
    assert f"config.{field}" in str(info.value)
    assert message in str(info.value)


def test_unknown_config_field_rejected() -> None:
    with pytest.raises(ConfigError, match="unknown field"):
        Pipeline([integration(region="eu")])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://krxd.net/data/c", "https://krxd.net/data/c"),
        ("HTTPS://KRXD.net/data/c", "https://krxd.net/data/c"),
        ("https://s2s.kargo.com:8443/v1/conv", "https://s2s.kargo.com:8443/v1/conv"),
        ("https://krxd.net", "https://krxd.net/"),
        ("http://127.0.0.1:8080/data/c", "http://127.0.0.1:8080/data/c"),
        ("http://localhost/data/c", "http://localhost/data/c"),
        ("http://[::1]:9000/c", "http://[::1]:9000/c"),
    ],
)
def test_endpoint_accepted(value: str, expected: str) -> None:
    assert validate_endpoint(value) == expected
    [item] = Pipeline([integration(endpoint=value)]).integrations
    assert item.config["endpoint"] == expected


@pytest.mark.parametrize(
    "value",
    [
        "http://krxd.net/data/c",
        "http://169.254.169.254/latest",
        "ftp://krxd.net/data/c",
        "krxd.net/data/c",
        "//krxd.net/data/c",
        "https://user:pw@krxd.net/data/c",
        "https://x@attacker.com:443/#",
        "https://krxd.net/data/c?x=1",
        "https://krxd.net/data/c?",
        "https://krxd.net/data/c#frag",
        "https://evil.com\\@krxd.net/",
        "https://krxd.net%2Eevil.com/",
        "https://krxd.net:99999/",
        "https://krxd.net:0/",
        "https://krxd.net:port/",
        "https://-bad-.net/",
        "https:///data/c",
        "https://krxd.net/data c",
        "https://krxd.net/data/c\r\nX: y",
        "https://krxd.net\n/data/c",
        "https://[fe80::1]/c",
        "https://kr\u00f6d.net/c",
        "",
        " ",
    ],
)
def test_endpoint_rejected(value: str) -> None:
    with pytest.raises(ValueError):
        validate_endpoint(value)
    if value.strip():
        with pytest.raises(ConfigError) as info:
            Pipeline([integration(endpoint=value)])
        assert "config.endpoint" in str(info.value)


def test_endpoint_error_names_the_rule() -> None:
    with pytest.raises(ConfigError, match="must use https"):
        Pipeline([integration(endpoint="http://krxd.net/data/c")])
    with pytest.raises(ConfigError, match="must not carry a query string"):
        Pipeline([integration(endpoint="https://krxd.net/data/c?auth_token=x")])
