"""Load-time validation of the integration config, above all the postback URL template."""

from __future__ import annotations

from typing import Any

import pytest
from signal_core import ConfigError, Pipeline

GOOD = "https://s2s.knorex.example/xpo/postback?kcid={kcid}"


def load(config: dict[str, Any]) -> Pipeline:
    return Pipeline([{"vendor": "knorex", "name": "Knorex", "config": config}])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://s2s.knorex.example/p?kcid={kcid}", "must be an https URL"),
        ("ftp://s2s.knorex.example/p?kcid={kcid}", "must be an https URL"),
        ("javascript:alert(1)//?kcid={kcid}", "must be an https URL"),
        ("s2s.knorex.example/p?kcid={kcid}", "must be an https URL"),
        ("https:///p?kcid={kcid}", "must name a host"),
        ("https://user:pw@s2s.knorex.example/p?kcid={kcid}", "user name or password"),
        ("https://evil.com@s2s.knorex.example/p?kcid={kcid}", "user name or password"),
        ("https://s2s.knorex.example/p?kcid={kcid}#frag", "must not have a fragment"),
        ("https://169.254.169.254#@s2s.knorex.example/?kcid={kcid}", "must not have a fragment"),
        ("https://s2s.knorex.example/p?kcid={click_id}", "unknown placeholder {click_id}"),
        ("https://s2s.knorex.example/p?kcid={KCID}", "unknown placeholder {KCID}"),
        ("https://s2s.knorex.example/p?kcid={}", "unknown placeholder {}"),
        ("https://s2s.knorex.example/{goal_id}?kcid={kcid}", "placeholder {goal_id} is outside"),
        ("https://{kcid}.knorex.example/p?x=1", "placeholder {kcid} is outside"),
        ("https://s2s.knorex.example/p/{kcid}", "placeholder {kcid} is outside"),
        ("https://s2s.knorex.example/p?kcid={kcid", "'{' or '}'"),
        ("https://s2s.knorex.example/p?kcid=kcid}", "'{' or '}'"),
        ("https://s2s.knorex.example/p?kcid={kcid}&x=a b", "contains ' '"),
        ("https://s2s.knorex.example/p?x=\u00e9&kcid={kcid}", "contains '\u00e9'"),
        ("https://evil.com\\@s2s.knorex.example/?kcid={kcid}", "contains '\\\\'"),
        ("https://s2s.knorex.example/p?x=%zz&kcid={kcid}", "'%' that is not followed"),
        ("https://s2s.knorex.example:99999/p?kcid={kcid}", "invalid port"),
        ("https://s2s.knorex.example:abc/p?kcid={kcid}", "invalid port"),
        ("https://s2s_knorex.example/p?kcid={kcid}", "invalid host name"),
        ("https://eu%2Eevil.com/p?kcid={kcid}", "invalid host name"),
        ("https://s2s.knorex.example/p?kcid={kcid}\r\nX: 1", "line breaks"),
        ("", "is required"),
    ],
)
def test_bad_postback_urls_are_rejected_at_load_naming_the_field(url: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load({"postback_url": url})
    message = str(info.value)
    assert message.startswith("integration 'Knorex': config.postback_url: ")
    assert expected in message


def test_postback_url_must_be_text() -> None:
    with pytest.raises(ConfigError, match=r"config\.postback_url: must be a string, got int"):
        load({"postback_url": 123})


@pytest.mark.parametrize(
    "url",
    [
        GOOD,
        "HTTPS://S2S.Knorex.Example:8443/a/b%20c?kcid={kcid}&fixed=1&goal={goal_id}",
        "https://203.0.113.7/pb?kcid={kcid}&t={token}&ts={timestamp}",
        "https://[2001:db8::1]:8443/pb?kcid={kcid}",
        "https://s2s.knorex.example?kcid={kcid}{order_id}",
        "https://s2s.knorex.example/postback",  # fine for POST, where kcid is in the body
    ],
)
def test_good_postback_urls_load(url: str) -> None:
    pipeline = load({"postback_url": url, "token": "tok-config-test", "method": "POST"})
    assert pipeline.integrations[0].config["postback_url"] == url


def test_postback_url_is_stripped_of_surrounding_whitespace() -> None:
    pipeline = load({"postback_url": f"  {GOOD}\t"})
    assert pipeline.integrations[0].config["postback_url"] == GOOD


def test_method_defaults_to_get_and_accepts_either_case() -> None:
    assert load({"postback_url": GOOD}).integrations[0].config["method"] == "GET"
    assert load({"postback_url": GOOD, "method": "post"}).integrations[0].config["method"] == "POST"
    with pytest.raises(ConfigError, match=r"config\.method: 'PUT' is not one of 'GET', 'POST'"):
        load({"postback_url": GOOD, "method": "PUT"})


def test_goal_id_accepts_text_or_a_whole_number() -> None:
    assert load({"postback_url": GOOD, "goal_id": 4711}).integrations[0].config["goal_id"] == "4711"
    assert (
        load({"postback_url": GOOD, "goal_id": " g-1 "}).integrations[0].config["goal_id"] == "g-1"
    )
    with pytest.raises(ConfigError, match=r"config\.goal_id: must be text or a whole number"):
        load({"postback_url": GOOD, "goal_id": True})
    with pytest.raises(ConfigError, match=r"config\.goal_id: must be 1 to 200 printable"):
        load({"postback_url": GOOD, "goal_id": "g\tx"})


def test_unknown_config_key_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"unknown field\(s\) \['goal'\]"):
        load({"postback_url": GOOD, "goal": "1"})


def test_token_with_whitespace_is_rejected_without_showing_it() -> None:
    with pytest.raises(ConfigError) as info:
        load({"postback_url": GOOD, "token": " tok-Whitespace-Canary"})
    assert "config.token" in str(info.value)
    assert "tok-Whitespace-Canary" not in str(info.value)


def test_token_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOREX_TEST_TOKEN", "env-token-1")
    pipeline = load({"postback_url": GOOD + "&t={token}", "token": "${KNOREX_TEST_TOKEN}"})
    assert pipeline.integrations[0].config["token"] == "env-token-1"
