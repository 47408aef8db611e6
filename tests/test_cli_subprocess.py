"""`python -m signal_core` as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from signal_e2e_kit import track

SECRET = "CANARY_subprocess_Key"


def run(args, tmp_path, stdin=""):
    env = dict(os.environ)
    env.update(
        SIGNAL_PLUGINS="echo",
        SIGNAL_STATE="memory://",
        XDG_STATE_HOME=str(tmp_path / "xdg"),
        PYTHONIOENCODING="utf-8",
    )
    return subprocess.run(
        [sys.executable, "-m", "signal_core", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_send_from_stdin_in_a_subprocess(tmp_path, box):
    config = tmp_path / "signal.json"
    config.write_text(
        json.dumps(
            {
                "integrations": [
                    {"vendor": "echo", "config": {"api_key": SECRET}, "base_url": box.url}
                ]
            }
        )
    )
    events = "".join(json.dumps(track(properties={"n": n})) + "\n" for n in range(3))
    done = run(["send", "-c", str(config), "-", "--json"], tmp_path, stdin=events + "{bad\n")
    assert done.returncode == 1, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(r["status"] for r in records) == ["delivered"] * 3 + ["invalid"]
    assert [r["line"] for r in records if r["status"] == "invalid"] == [4]
    assert len(box.requests) == 3
    assert SECRET not in done.stdout + done.stderr

    done = run(["send", "-c", str(config), "-"], tmp_path, stdin=events)
    assert done.returncode == 0, done.stderr
    assert len(box.requests) == 6


def test_exit_2_for_config_and_usage_errors_in_a_subprocess(tmp_path):
    done = run(["send", "-c", str(tmp_path / "missing.toml"), "-"], tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("signal: configuration error: ")
    done = run(["frobnicate"], tmp_path)
    assert done.returncode == 2
    assert "usage:" in done.stderr


def test_plugins_in_a_subprocess(tmp_path):
    done = run(["plugins"], tmp_path)
    assert done.returncode == 0
    assert done.stdout.splitlines()[:2] == [
        "echo: signal-echo 0.0.1",
        "  vendors: echo, echo_batch",
    ]
