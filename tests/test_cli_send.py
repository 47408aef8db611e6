"""`signal send`: exit codes, summaries, --json, bad lines, stdin."""

from __future__ import annotations

import io
import json

import pytest
from signal_core.cli.main import main
from signal_core.events import normalize
from signal_e2e_kit import track

SECRET = "CANARY_cli_Key/+1"


def write_config(tmp_path, *integrations, name="signal.json", **settings):
    path = tmp_path / name
    path.write_text(json.dumps({"integrations": list(integrations), **settings}), encoding="utf-8")
    return str(path)


def echo_cfg(box, name="echo", **extra):
    return {
        "vendor": "echo",
        "name": name,
        "config": {"api_key": SECRET},
        "base_url": box.url,
        **extra,
    }


def write_events(tmp_path, *lines, name="events.jsonl"):
    path = tmp_path / name
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    return str(path)


def test_all_delivered_exits_0_with_a_summary(tmp_path, box, capsys):
    config = write_config(tmp_path, echo_cfg(box))
    events = write_events(
        tmp_path, track(properties={"n": 1}), track(properties={"n": 2}), "", track("Nope")
    )
    assert main(["send", "-c", config, events, "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert len(box.requests) == 2
    lines = out.splitlines()
    assert lines[0].split() == ["integration", "delivered", "dropped", "skipped", "failed"]
    assert lines[1].split() == ["echo", "2", "1", "0", "0"]
    assert "events read: 3, invalid: 0" in lines
    assert err == ""
    assert SECRET not in out + err


def test_a_failed_event_exits_1_and_is_listed(tmp_path, make_box, capsys):
    ok, failing = make_box(), make_box(default=400)
    config = write_config(tmp_path, echo_cfg(ok), echo_cfg(failing, name="bad"))
    event = track()
    events = write_events(tmp_path, event)
    assert main(["send", "-c", config, events]) == 1
    out, _ = capsys.readouterr()
    event_id = normalize(event).message_id
    assert (
        f"failed: bad event {event_id}: 400 Bad Request from echo (attempts 1)" in out.splitlines()
    )
    assert len(ok.requests) == 1
    assert len(failing.requests) == 1


def test_retryable_failure_with_one_attempt_exits_1(tmp_path, make_box, capsys):
    busy = make_box(default=503)
    config = write_config(tmp_path, echo_cfg(busy), retry={"attempts": 1})
    assert main(["send", "-c", config, write_events(tmp_path, track())]) == 1
    assert len(busy.requests) == 1


def test_a_malformed_line_is_reported_with_its_number_and_the_rest_is_delivered(
    tmp_path, box, capsys
):
    config = write_config(tmp_path, echo_cfg(box))
    events = write_events(
        tmp_path,
        track(properties={"n": 1}),
        '{"type": "track", "event": ',
        {"type": "track", "anonymous_id": "a"},
        track(properties={"n": 4}),
    )
    assert main(["send", "-c", config, events]) == 1
    out, err = capsys.readouterr()
    assert sorted(json.loads(r.body)["n"] for r in box.requests) == [1, 4]
    err_lines = err.splitlines()
    assert len(err_lines) == 2
    assert err_lines[0].startswith("line 2: invalid: invalid JSON: ")
    assert err_lines[1] == "line 3: invalid: event: a track event needs an event name"
    assert "events read: 4, invalid: 2" in out.splitlines()


def test_json_output_has_one_line_per_event_and_integration(tmp_path, make_box, capsys):
    box = make_box()
    config = write_config(
        tmp_path, echo_cfg(box), {"vendor": "echo_batch", "name": "echo_batch", "base_url": box.url}
    )
    good = [track(properties={"n": n}) for n in range(3)]
    events = write_events(tmp_path, good[0], "not json", good[1], {"type": "page"}, good[2])
    assert main(["send", "-c", config, events, "--json", "--workers", "2"]) == 1
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    invalid = [r for r in records if r.get("status") == "invalid"]
    results = [r for r in records if r.get("status") != "invalid"]
    assert [(r["line"], r["status"]) for r in invalid] == [(2, "invalid"), (4, "invalid")]
    assert all(r["reason"] for r in invalid)
    assert len(results) == 3 * 2
    ids = {normalize(e).message_id for e in good}
    assert {(r["integration"], r["event_id"]) for r in results} == {
        (i, e) for i in ("echo", "echo_batch") for e in ids
    }
    assert all(
        r["status"] == "delivered" and r["vendor"] in ("echo", "echo_batch") for r in results
    )
    assert set(results[0]) == {
        "event_id",
        "integration",
        "vendor",
        "status",
        "reason",
        "attempts",
        "http_status",
        "notes",
    }
    assert err == ""
    assert SECRET not in out


def test_json_output_exit_0_when_all_delivered(tmp_path, box, capsys):
    config = write_config(tmp_path, echo_cfg(box))
    assert main(["send", "-c", config, write_events(tmp_path, track()), "--json"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["status"] == "delivered"


def test_events_from_stdin(tmp_path, box, capsys, monkeypatch):
    config = write_config(tmp_path, echo_cfg(box))
    stdin = (
        json.dumps(track(properties={"n": 7}))
        + "\n"
        + json.dumps(track(properties={"n": 8}))
        + "\n"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["send", "-c", config, "-"]) == 0
    assert sorted(json.loads(r.body)["n"] for r in box.requests) == [7, 8]
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["send", "-c", config]) == 0  # "-" is the default
    assert len(box.requests) == 4


@pytest.mark.parametrize(
    "config_text",
    [
        '{"integrations": [{"vendor": "nope"}]}',
        '{"integrations": [{"vendor": "echo", "config": {}}]}',
        '{"integrations": [',
        '{"integrations": [{"vendor": "echo", "config": {"api_key": "CANARY_cli_Key/+1\\n"}}]}',
    ],
)
def test_bad_config_exits_2(tmp_path, box, capsys, config_text):
    path = tmp_path / "bad.json"
    path.write_text(config_text, encoding="utf-8")
    assert main(["send", "-c", str(path), write_events(tmp_path, track())]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("signal: configuration error: ")
    assert SECRET not in out + err
    assert box.requests == []


def test_missing_config_or_events_file_exits_2(tmp_path, box, capsys):
    assert (
        main(["send", "-c", str(tmp_path / "missing.toml"), write_events(tmp_path, track())]) == 2
    )
    config = write_config(tmp_path, echo_cfg(box))
    assert main(["send", "-c", config, str(tmp_path / "missing.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "missing.toml" in err
    assert "missing.jsonl" in err
    assert box.requests == []


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["send"],
        ["send", "-c"],
        ["send", "-c", "x.toml", "--workers", "0"],
        ["send", "-c", "x.toml", "--workers", "two"],
        ["launch"],
        ["check"],
        ["plugins", "--bogus"],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == "signal-core 0.1.0"


def test_progress_line_on_stderr_when_asked_and_never_with_json(tmp_path, box, capsys):
    config = write_config(tmp_path, echo_cfg(box), state="memory://")
    events = write_events(tmp_path, *(track(properties={"n": n}) for n in range(3)))
    assert main(["send", "-c", config, events, "--progress"]) == 0
    out, err = capsys.readouterr()
    # redrawn in place with \r, ends on the final counts, then a newline
    assert err.startswith("\r")
    assert err.endswith("delivered=3\x1b[K\n")
    assert "3 results (" in err
    assert "\r" not in out
    assert main(["send", "-c", config, events, "--progress", "--json"]) == 0
    _, err = capsys.readouterr()
    assert err == ""


def test_progress_defaults_to_off_when_stderr_is_not_a_terminal(tmp_path, box, capsys):
    config = write_config(tmp_path, echo_cfg(box), state="memory://")
    events = write_events(tmp_path, track())
    assert main(["send", "-c", config, events]) == 0  # capsys' stderr is not a tty
    assert capsys.readouterr().err == ""
