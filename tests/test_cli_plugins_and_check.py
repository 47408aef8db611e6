"""`signal plugins` and `signal check`."""

from __future__ import annotations

import json

from signal_core.cli.main import main
from signal_e2e_kit import install_fake_distribution

SECRET = "CANARY_check_Key"


def test_plugins_lists_echo_with_vendors_and_hooks(capsys):
    assert main(["plugins"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "echo: signal-echo 0.0.1",
        "  vendors: echo, echo_batch",
        "  hooks:   build_request, classify_response, declare_vendors, map_event",
    ]
    assert err == ""


def test_plugins_json(capsys):
    assert main(["plugins", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["load_errors"] == []
    [echo] = data["plugins"]
    assert echo == {
        "name": "echo",
        "distribution": "signal-echo",
        "version": "0.0.1",
        "hooks": ["build_request", "classify_response", "declare_vendors", "map_event"],
        "vendors": ["echo", "echo_batch"],
    }


def test_plugins_reports_a_broken_plugin_and_still_lists_echo(tmp_path, monkeypatch, capsys):
    (tmp_path / "signal_cli_broken_plugin.py").write_text("raise ImportError('no vendor sdk')\n")
    install_fake_distribution(
        tmp_path, "broken-dist", "1.0", {"broken": "signal_cli_broken_plugin"}
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SIGNAL_PLUGINS", "echo,broken")
    assert main(["plugins"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "echo: signal-echo 0.0.1"
    assert err.splitlines() == ["BROKEN broken: broken-dist 1.0: ImportError: no vendor sdk"]
    assert main(["plugins", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["load_errors"] == [
        {
            "name": "broken",
            "distribution": "broken-dist",
            "version": "1.0",
            "error": "ImportError: no vendor sdk",
        }
    ]
    assert [p["name"] for p in data["plugins"]] == ["echo"]


def test_plugins_with_none_loaded(monkeypatch, capsys):
    monkeypatch.setenv("SIGNAL_PLUGINS", "")
    assert main(["plugins"]) == 0
    assert "no vendor plugins installed" in capsys.readouterr().out


TOML = f"""
[[integrations]]
vendor = "echo"
name = "Echo Prod"
base_url = "http://127.0.0.1:9"
consent_categories = ["marketing"]
config = {{ api_key = "{SECRET}", mode = "header" }}

[[integrations]]
vendor = "echo_batch"
enabled = false
"""


def test_check_masks_secrets_and_exits_0(tmp_path, capsys):
    path = tmp_path / "signal.toml"
    path.write_text(TOML, encoding="utf-8")
    assert main(["check", "-c", str(path)]) == 0
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    assert out.splitlines() == [
        f"{path}: OK, 2 integration(s)",
        "- Echo Prod (echo, enabled)",
        "    endpoint = https://echo.example/collect",
        "    api_key = ***",
        "    mode = header",
        "    events: Order Completed -> purchase, page -> page (unmapped: drop)",
        "    consent: marketing",
        "    base_url: http://127.0.0.1:9",
        "- echo_batch-2 (echo_batch, disabled)",
        "    endpoint = https://echo.example/batch",
        "    events: Order Completed -> purchase, page -> page (unmapped: drop)",
    ]


def test_check_json(tmp_path, capsys):
    path = tmp_path / "signal.toml"
    path.write_text(TOML, encoding="utf-8")
    assert main(["check", "-c", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out
    data = json.loads(out)
    assert data["integrations"][0]["config"]["api_key"] == "***"
    assert data["retry"]["attempts"] == 3
    assert data["consent"] == {"required": False}


def test_check_bad_config_exits_2_naming_the_field(tmp_path, capsys):
    path = tmp_path / "signal.toml"
    path.write_text(TOML.replace('mode = "header"', 'mode = "smoke"'), encoding="utf-8")
    assert main(["check", "-c", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("signal: configuration error: integration 'Echo Prod': config.mode: ")
    assert SECRET not in err
