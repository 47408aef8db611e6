"""Loading: the declaration, and validation of everything that builds a host."""

from __future__ import annotations

import pytest
import signal_kameleoon
from kameleoon_testkit import SECRET, SITE, integration, purchase
from signal_core import ConfigError, Pipeline, Vendor
from signal_core.integration import load_integration
from signal_core.plugins import get_plugin_manager
from signal_kameleoon import request as kameleoon_request

HOSTILE = [
    "evil.com/",
    "x@attacker.com:443/#",
    "169.254.169.254#",
    "us\n",
    "eu.evil.com",
    "eu%2Eevil.com",
    "",
    "eu\r\nHost: evil.com",
    "\r\n",
    "eu/",
    "eu?x=",
    "eu#",
    "na-data.kameleoon.io",
]


def test_the_entry_point_declares_the_vendor():
    vendors = get_plugin_manager().vendors()
    spec = vendors["kameleoon"]
    assert spec is signal_kameleoon.KAMELEOON
    assert (spec.max_batch_size, spec.max_batch_bytes, spec.dedups) == (100, 2_500_000, True)
    assert spec.consent_categories == ("analytics",)
    assert spec.default_preset == "default"
    assert spec.secret_fields == ("client_secret",)
    assert set(spec.hosts) == {
        "eu-data.kameleoon.io",
        "na-data.kameleoon.io",
        "eu-data.kameleoon.eu",
        "na-data.kameleoon.eu",
        "api.kameleoon.com",
    }
    assert {k: r["vendor_event"] for k, r in spec.presets["default"].items()} == {
        "page": "PAGE",
        "Order Completed": "CONVERSION",
        "Order Refunded": "CONVERSION",
        "Signed Up": "CONVERSION",
    }


@pytest.mark.parametrize("value", [*HOSTILE, "eu ", "EU", "us", "fr"])
def test_hostile_region_is_rejected_at_load(value):
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(region=value)])
    assert info.value.field == "config.region"
    assert "config.region" in str(info.value)
    assert info.value.integration == "Kameleoon EU"


@pytest.mark.parametrize("value", [*HOSTILE, "f17c21u1ag/", "f17c21u1ag.", "a" * 33, "٣٦٥", "ab_c"])
def test_hostile_site_code_is_rejected_at_load(value):
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(site_code=value)])
    assert info.value.field == "config.site_code"
    assert "config.site_code" in str(info.value)


@pytest.mark.parametrize("value", ["com", "evil.com/", "io\n", "", "IO", "io.evil.com"])
def test_hostile_domain_tld_is_rejected_or_defaulted(value):
    if value == "":  # empty means unset: the default applies
        pipeline = Pipeline([integration(domain_tld=value)])
        assert pipeline.integrations[0].config["domain_tld"] == "io"
        return
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(domain_tld=value)])
    assert info.value.field == "config.domain_tld"


@pytest.mark.parametrize("value", [None, 10, ["eu"], {"eu": 1}])
def test_region_of_another_type_is_rejected(value):
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(region=value)])
    assert info.value.field == "config.region"


def test_site_code_of_32_letters_and_digits_is_accepted():
    code = "Ab0" * 10 + "Z9"
    pipeline = Pipeline([integration(site_code=code)])
    [preview] = pipeline.preview(purchase())
    assert preview.url == f"https://eu-data.kameleoon.io/visit/events?siteCode={code}&json=true"


def test_required_fields():
    with pytest.raises(ConfigError) as info:
        Pipeline([{"vendor": "kameleoon", "config": {"region": "eu"}}])
    assert info.value.field == "config.site_code"
    with pytest.raises(ConfigError) as info:
        Pipeline([{"vendor": "kameleoon", "config": {"site_code": SITE}}])
    assert info.value.field == "config.region"


def test_unknown_config_field_is_rejected():
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(endpoint="https://evil.example/")])
    assert info.value.field == "config"


@pytest.mark.parametrize("bad", [f" {SECRET}", f"{SECRET}\n", "two words"])
def test_bad_client_secret_is_rejected_without_showing_it(bad):
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(client_id="cid", client_secret=bad)])
    assert info.value.field == "config.client_secret"
    assert SECRET not in str(info.value)
    assert "two words" not in str(info.value)


def test_client_id_with_a_line_break_is_rejected():
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(client_id="cid\r\nX-Evil: 1", client_secret="s")])
    assert info.value.field == "config.client_id"


@pytest.mark.parametrize("config", [{"client_id": "cid"}, {"client_secret": SECRET}])
def test_half_configured_oauth_is_rejected_at_load(box, config):
    with pytest.raises(ConfigError) as info:
        Pipeline([integration(box, **config)])
    assert info.value.integration == "Kameleoon EU"
    assert info.value.field == "config"
    assert "client_id and client_secret must be set together" in str(info.value)
    assert SECRET not in str(info.value)
    assert box.requests == []


def test_build_request_refuses_an_integration_that_bypassed_validation():
    spec = signal_kameleoon.KAMELEOON
    ok = load_integration(integration(), {"kameleoon": spec})
    # Forge configs the loader would reject; the request builder still refuses them.
    for field, value in (("region", "evil.com/"), ("domain_tld", "com"), ("site_code", "a/b")):
        forged = dict(ok.config)
        forged[field] = value
        object.__setattr__(ok, "config", type(ok.config)(forged, frozenset()))
        with pytest.raises(ValueError, match=field):
            kameleoon_request.build([], ok)
        object.__setattr__(
            ok, "config", load_integration(integration(), {"kameleoon": spec}).config
        )


def test_hooks_answer_only_for_kameleoon():
    other = load_integration({"vendor": "other"}, {"other": Vendor("other")})
    from signal_core import EventRule
    from signal_core.events import normalize

    ev = normalize(purchase())
    assert signal_kameleoon.map_event(ev, EventRule("x", "CONVERSION"), other) is None
    assert signal_kameleoon.build_request([], other) is None
    assert signal_kameleoon.authorize_request(None, other, None) is None
    assert signal_kameleoon.classify_response(None, None, None, other) is None
