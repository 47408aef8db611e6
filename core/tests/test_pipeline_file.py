"""Pipeline.from_file: TOML and JSON pipeline files."""

from __future__ import annotations

import json

import pytest
from signal_core import ConfigError, Pipeline

TOML = """
retry = { attempts = 4, backoff_base = 0.25 }
timeout = { connect = 1.5, read = 2.5, total = 8 }
consent = { required = true }

[[integrations]]
vendor = "echo"
name = "Echo Prod"
consent_categories = ["marketing"]
base_url = "http://127.0.0.1:${ECHO_PORT:-9}"
config = { api_key = "${ECHO_KEY}", mode = "header" }
mappings = { events = { "Signed Up" = { vendor_event = "signup" } } }

[[integrations]]
vendor = "echo_batch"
retry = { attempts = 6 }
"""


def test_toml_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ECHO_KEY", "key_from_env")
    monkeypatch.delenv("ECHO_PORT", raising=False)
    path = tmp_path / "signal.toml"
    path.write_text(TOML, encoding="utf-8")
    with Pipeline.from_file(path) as pipeline:
        echo, batch = pipeline.integrations
        assert echo.name == "Echo Prod"
        assert echo.config["api_key"] == "key_from_env"
        assert echo.config["mode"] == "header"
        assert echo.base_url == "http://127.0.0.1:9"
        assert echo.consent_categories == ("marketing",)
        assert echo.mapping.rule_for("Signed Up").vendor_event == "signup"
        assert echo.mapping.rule_for("Order Completed").vendor_event == "purchase"
        assert pipeline.consent.required is True
        assert pipeline.retry.attempts == 4
        assert pipeline.retry.backoff_base == 0.25
        assert (pipeline.retry.connect_timeout, pipeline.retry.read_timeout) == (1.5, 2.5)
        assert pipeline.retry.deadline == 8
        assert echo.retry == pipeline.retry
        # a per-integration override starts from the pipeline's policy
        assert batch.retry.attempts == 6
        assert batch.retry.backoff_base == 0.25
        assert batch.retry.deadline == 8


def test_json_file(tmp_path):
    path = tmp_path / "signal.json"
    path.write_text(
        json.dumps(
            {
                "timeout": 2,
                "integrations": [
                    {"vendor": "echo", "config": {"api_key": "key-1"}, "preset": "default"}
                ],
            }
        ),
        encoding="utf-8",
    )
    with Pipeline.from_file(str(path)) as pipeline:
        assert [i.name for i in pipeline.integrations] == ["echo"]
        assert pipeline.retry.read_timeout == 2
        assert pipeline.consent.required is False


def test_keyword_arguments_override_the_file(tmp_path):
    path = tmp_path / "signal.json"
    path.write_text(
        json.dumps({"retry": {"attempts": 2}, "integrations": [{"vendor": "echo_batch"}]}),
        encoding="utf-8",
    )
    with Pipeline.from_file(path, retry={"attempts": 7}) as pipeline:
        assert pipeline.retry.attempts == 7


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("bad.toml", "integrations = [", ["bad.toml", "not valid TOML"]),
        ("bad.json", '{"integrations": [', ["bad.json", "not valid JSON"]),
        ("list.json", "[1]", ["top level"]),
        ("empty.toml", "", ["integrations", "non-empty list"]),
        ("none.json", '{"integrations": []}', ["non-empty list"]),
        ("extra.toml", 'integrations = [{vendor = "echo_batch"}]\nretries = 3\n', ["'retries'"]),
    ],
)
def test_bad_files_are_config_errors(tmp_path, name, text, words):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        Pipeline.from_file(path)
    for word in words:
        assert word in str(info.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        Pipeline.from_file(tmp_path / "nope.toml")
    assert "nope.toml" in str(info.value)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"retry": {"attempts": "3"}}, "retry.attempts"),
        ({"timeout": "fast"}, "timeout"),
        ({"timeout": {"connect": 1, "idle": 2}}, "timeout"),
        ({"consent": {"required": "yes"}}, "consent.required"),
        ({"consent": {"strict": True}}, "consent"),
        ({"consent": ["required"]}, "consent"),
    ],
)
def test_bad_pipeline_settings_name_the_field(tmp_path, settings, field):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"integrations": [{"vendor": "echo_batch"}], **settings}))
    with pytest.raises(ConfigError) as info:
        Pipeline.from_file(path)
    assert info.value.field == field


def test_error_in_an_integration_of_a_file_names_it(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[[integrations]]\nvendor = "echo"\nname = "Main"\nconfig = {}\n')
    with pytest.raises(ConfigError) as info:
        Pipeline.from_file(path)
    assert (info.value.integration, info.value.field) == ("Main", "config.api_key")
