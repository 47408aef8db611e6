"""`signal send --dry-run` and untrusted text in CLI output."""

from __future__ import annotations

import json

from signal_core.cli.main import main
from signal_core.events import normalize
from signal_e2e_kit import track

SECRET = "CANARY_dry/+Key"
ENC_SECRET = "CANARY_dry%2F%2BKey"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def config(tmp_path, box, **echo_extra):
    return write(
        tmp_path,
        "signal.json",
        json.dumps(
            {
                "integrations": [
                    {
                        "vendor": "echo",
                        "name": "echo",
                        "config": {"api_key": SECRET},
                        "base_url": box.url,
                        **echo_extra,
                    },
                    {
                        "vendor": "echo",
                        "name": "echo-hdr",
                        "config": {"api_key": SECRET, "mode": "header"},
                        "base_url": box.url,
                    },
                ]
            }
        ),
    )


def jsonl(*items):
    return "".join((i if isinstance(i, str) else json.dumps(i)) + "\n" for i in items)


def assert_no_secret(text):
    assert SECRET not in text
    assert ENC_SECRET not in text
    assert "dry/+" not in text


def test_dry_run_sends_nothing_and_prints_redacted_requests(tmp_path, box, capsys):
    event = track(properties={"order_id": "O-1"})
    events = write(tmp_path, "e.jsonl", jsonl(event, track("Unmapped")))
    assert main(["send", "-c", config(tmp_path, box), events, "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert box.requests == []
    assert_no_secret(out + err)
    message_id = normalize(event).message_id
    body = json.dumps(
        {"event": "purchase", "id": message_id, "user": "anon_1", "order_id": "O-1"},
        separators=(",", ":"),
    )
    expected_query = (
        f"# line 1 -> echo (echo)\n"
        f"POST {box.url}/collect?key=***\n"
        f"Content-Type: application/json\n"
        f"\n{body}\n\n"
    )
    expected_header = (
        f"# line 1 -> echo-hdr (echo)\n"
        f"POST {box.url}/collect\n"
        f"Content-Type: application/json\n"
        f"Authorization: Bearer ***\n"
        f"\n{body}\n\n"
    )
    assert expected_query in out
    assert expected_header in out
    assert "# line 2 -> echo: dropped: event 'Unmapped' is not mapped for this integration" in out


def test_dry_run_json(tmp_path, box, capsys):
    events = write(tmp_path, "e.jsonl", jsonl(track(), "{oops", {"type": "page"}))
    assert main(["send", "-c", config(tmp_path, box), events, "--dry-run", "--json"]) == 1
    out, _ = capsys.readouterr()
    assert box.requests == []
    assert_no_secret(out)
    records = [json.loads(line) for line in out.splitlines()]
    assert [(r["line"], r["status"]) for r in records] == [
        (1, "would_send"),
        (1, "would_send"),
        (2, "invalid"),
        (3, "invalid"),
    ]
    assert records[0]["url"] == f"{box.url}/collect?key=***"
    assert records[1]["headers"]["Authorization"] == "Bearer ***"
    assert records[3]["reason"] == "anonymous_id: an event needs anonymous_id or user_id"


EVIL = "Evil\n# line 99 -> forged (echo)\r\x1b[2J\x1b[31mred\u2028sep"


def test_untrusted_event_names_do_not_forge_lines_in_dry_run(tmp_path, box, capsys):
    events = write(tmp_path, "e.jsonl", jsonl(track(EVIL)))
    assert main(["send", "-c", config(tmp_path, box), events, "--dry-run"]) == 0
    out, _ = capsys.readouterr()
    assert "\x1b" not in out
    assert "\r" not in out
    assert "\u2028" not in out
    assert out.count("\n") == 4  # two "dropped" lines, each followed by a blank line
    assert "# line 99" not in [line[:9] for line in out.splitlines()]


def test_untrusted_event_names_in_request_bodies_stay_escaped(tmp_path, box, capsys):
    cfg = config(tmp_path, box, mappings={"defaults": {"action": "passthrough"}})
    events = write(tmp_path, "e.jsonl", jsonl(track(EVIL)))
    assert main(["send", "-c", cfg, events, "--dry-run"]) == 0
    out, _ = capsys.readouterr()
    assert "\x1b" not in out
    assert "\r" not in out
    lines = out.splitlines()
    assert not any(line.startswith("# line 99") for line in lines)
    assert sum(line.startswith("# line ") for line in lines) == 2


def test_untrusted_text_in_the_delivery_summary(tmp_path, make_box, capsys):
    failing = make_box(default=400)
    cfg = config(tmp_path, failing, mappings={"defaults": {"action": "passthrough"}})
    events = write(
        tmp_path,
        "e.jsonl",
        jsonl(
            track(EVIL, message_id="id-1\nfailed: forged line\x1b[2J"),
            {"type": "track", "event": EVIL, "anonymous_id": "x", "timestamp": "\x1b[31m\nnope"},
        ),
    )
    assert main(["send", "-c", cfg, events, "--workers", "1"]) == 1
    out, err = capsys.readouterr()
    assert len(failing.requests) == 1  # echo passes it through; echo-hdr drops it (unmapped)
    for text in (out, err):
        assert "\x1b" not in text
        assert "\r" not in text
    out_lines = out.splitlines()
    # header, two integration rows, "events read", one line for the failure
    assert len(out_lines) == 1 + 2 + 1 + 1
    assert sum(line.startswith("failed: ") for line in out_lines) == 1
    assert len(err.splitlines()) == 1
    assert err.startswith("line 2: invalid: timestamp: ")


def test_untrusted_text_in_json_output_is_one_line_per_record(tmp_path, make_box, capsys):
    failing = make_box(default=400)
    cfg = config(tmp_path, failing, mappings={"defaults": {"action": "passthrough"}})
    events = write(tmp_path, "e.jsonl", jsonl(track(EVIL, message_id="id\n\x1b[2Jx")))
    assert main(["send", "-c", cfg, events, "--json"]) == 1
    out, _ = capsys.readouterr()
    assert "\x1b" not in out
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 2
    assert {r["event_id"] for r in records} == {"id\n\x1b[2Jx"}


def test_header_values_from_event_data_cannot_forge_dry_run_lines(
    tmp_path, box, capsys, monkeypatch
):
    from signal_e2e_kit import install_fake_distribution

    install_fake_distribution(
        tmp_path, "signal-hdr-test", "0.1", {"hdr": "signal_e2e_kit:QUERY_HEADER_PLUGIN"}
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SIGNAL_PLUGINS", "echo,hdr")
    cfg = write(
        tmp_path,
        "signal.json",
        json.dumps({"integrations": [{"vendor": "header_echo", "base_url": box.url}]}),
    )
    note = "ua\r\n# line 99 -> forged\n\x1b[2J"
    events = write(tmp_path, "e.jsonl", jsonl(track(properties={"note": note})))
    assert main(["send", "-c", cfg, events, "--dry-run"]) == 0
    out, _ = capsys.readouterr()
    assert box.requests == []
    assert "\x1b" not in out
    assert "\r" not in out
    lines = out.splitlines()
    assert lines[0] == "# line 1 -> header_echo (header_echo)"
    assert lines[1] == f"POST {box.url}/h"
    assert lines[2].startswith("X-Note: ua")
    assert lines[3:] == ["", "{}", ""]
    # and a real send refuses the header before any byte is sent
    assert main(["send", "-c", cfg, events]) == 1
    assert box.requests == []
