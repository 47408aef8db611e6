"""The url and secret are checked when the integration loads."""

from __future__ import annotations

import pytest
from signal_core import ConfigError, Pipeline


def load(**config: str) -> Pipeline:
    return Pipeline([{"vendor": "webhook", "name": "hook", "config": config}])


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/in",
        "https://hooks.example.com:8443/in?team=42",
        "http://127.0.0.1:8080/in",
        "http://localhost/in",
    ],
)
def test_accepted_urls(url: str):
    with load(url=url) as pipeline:
        assert pipeline.integrations[0].config["url"] == url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/in", "must use https"),
        ("ftp://hooks.example.com/in", "must be an https:// URL"),
        ("https:///in", "must be an https:// URL with a host"),
        ("https://user:pw@hooks.example.com/in", "must not carry a user or password"),
        ("https://hooks.example.com/in#frag", "must not have a fragment"),
        ("https://hooks.example.com/in x", "whitespace or a control character"),
        ("https://hooks.example.com/in\tx", "whitespace or a control character"),
        ("https://hooks.example.com/in\r\nX: y", "line breaks"),
        ("https://hooks.example.com:99999/in", "not a valid URL"),
    ],
)
def test_rejected_urls(url: str, problem: str):
    with pytest.raises(ConfigError, match=problem) as caught:
        load(url=url)
    assert caught.value.field == "config.url"


def test_a_url_is_required():
    with pytest.raises(ConfigError) as caught:
        load(secret="whsec_abcdef")
    assert caught.value.field == "config.url"
    assert "whsec_abcdef" not in str(caught.value)


def test_a_secret_with_a_line_break_is_rejected_without_showing_it():
    with pytest.raises(ConfigError) as caught:
        load(url="https://hooks.example.com/in", secret="whsec_abcdef\n")
    assert caught.value.field == "config.secret"
    assert "whsec_abcdef" not in str(caught.value)
