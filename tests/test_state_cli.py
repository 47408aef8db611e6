"""The CLI's state: ``signal send --state``, ``signal dead-letter list|export|replay|purge``,
the pipeline file's ``state`` key and the default state location.

In-process ``main([...])`` against loopback servers; every pipeline file sets
``retry.attempts = 1`` so nothing sleeps. State files live under tmp_path
(HOME and XDG_STATE_HOME are pointed there whenever a default is in play).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from signal_core import Pipeline
from signal_core.cli.main import main
from signal_core.events import normalize
from signal_core.state import DeadLetter, open_store
from signal_core.testing import FakeClock, Sandbox
from signal_state_kit import (
    DAY,
    ECHO_KEY,
    KARGO_TOKEN,
    SwitchSandbox,
    assert_no_secret,
    body,
    echo_integration,
    kargo_integration,
    state_files,
    track,
)

SECRETS = (ECHO_KEY, KARGO_TOKEN)


@pytest.fixture(autouse=True)
def _echo_and_kargo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAL_PLUGINS", "echo,kargo")


@pytest.fixture
def ebox(make_box: Callable[..., Sandbox]) -> SwitchSandbox:
    return make_box(cls=SwitchSandbox, status=503)  # type: ignore[return-value]


@pytest.fixture
def kbox(make_box: Callable[..., Sandbox]) -> SwitchSandbox:
    return make_box(cls=SwitchSandbox, status=503)  # type: ignore[return-value]


class Cli:
    """Runs ``signal`` in process and keeps every byte it printed."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.printed: list[str] = []

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        self.printed += [out, err]
        return code, out, err

    def assert_no_secret(self) -> None:
        assert_no_secret("".join(self.printed), *SECRETS)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


@pytest.fixture
def config(tmp_path: Path, ebox: SwitchSandbox, kbox: SwitchSandbox) -> Callable[..., str]:
    def write(name: str = "signal.json", **settings: Any) -> str:
        data = {
            "integrations": [echo_integration(ebox), kargo_integration(kbox)],
            "retry": {"attempts": 1},
            **settings,
        }
        path = tmp_path / name
        if name.endswith(".toml"):
            path.write_text(_toml(data), encoding="utf-8")
        else:
            path.write_text(json.dumps(data), encoding="utf-8")
        return str(path)

    return write


def _toml(data: dict[str, Any]) -> str:
    lines = [f"state = {json.dumps(data['state'])}"] if "state" in data else []
    lines += ["[retry]", "attempts = 1"]
    for item in data["integrations"]:
        lines += ["[[integrations]]"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in item.items() if k != "config"]
        lines += ["[integrations.config]"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in item["config"].items()]
    return "\n".join(lines) + "\n"


def orders(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        track(properties={"order_id": f"ORD-{i}", "revenue": 10 + i})
        for i in range(start, start + n)
    ]


def write_events(tmp_path: Path, *lines: Any, name: str = "events.jsonl") -> str:
    path = tmp_path / name
    path.write_text(
        "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines),
        encoding="utf-8",
    )
    return str(path)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def stored(url: str) -> list[DeadLetter]:
    store = open_store(url)
    try:
        return store.dead_letters()
    finally:
        store.close()


def list_line(r: DeadLetter) -> str:
    when = datetime.fromtimestamp(r.last_failed, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    status = "-" if r.http_status is None else r.http_status
    name = r.integration or "(invalid)"
    return f"{when}  {name}  {r.event_id}  attempts={r.attempts} http={status}  {r.reason}"


def test_send_with_state_writes_every_failure_to_the_sqlite_file(
    cli: Cli, config: Callable[..., str], tmp_path: Path, ebox: SwitchSandbox
) -> None:
    db = tmp_path / "state" / "dl.db"
    events = orders(3)
    code, out, _ = cli(
        "send", "-c", config(), write_events(tmp_path, *events), "--state", sqlite_url(db)
    )
    assert code == 1
    assert "echo  " in out
    assert "failed: echo event" in out
    records = stored(sqlite_url(db))
    ids = [normalize(e).message_id for e in events]
    assert sorted((r.integration, r.event_id) for r in records) == sorted(
        (name, i) for name in ("echo", "kargo") for i in ids
    )
    for r in records:
        assert (r.vendor, r.attempts, r.http_status) == (r.integration, 1, 503)
        assert r.reason == f"gave up after 1 attempts: 503 Service Unavailable from {r.integration}"
        assert r.event == {**events[ids.index(r.event_id)], "message_id": r.event_id}
    assert len(ebox.requests) == 3
    cli.assert_no_secret()
    assert_no_secret(state_files(db), *SECRETS)


def test_dead_letter_list_as_text_and_json_with_an_integration_filter(
    cli: Cli, config: Callable[..., str], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "s.db")
    cli("send", "-c", config(), write_events(tmp_path, *orders(2)), "--state", url)
    records = stored(url)
    assert len(records) == 4

    code, out, err = cli("dead-letter", "list", "--state", url)
    assert code == 0
    assert out.splitlines() == [list_line(r) for r in records]
    assert err == "4 dead letter(s)\n"

    code, out, err = cli("dead-letter", "list", "--state", url, "--json")
    assert code == 0
    assert err == ""
    expected = []
    for r in records:
        item = r.to_dict()
        del item["event"]
        expected.append(item)
    assert [json.loads(line) for line in out.splitlines()] == expected

    code, out, err = cli("dead-letter", "list", "--state", url, "--integration", "kargo")
    assert out.splitlines() == [list_line(r) for r in records if r.integration == "kargo"]
    assert err == "2 dead letter(s)\n"
    code, out, err = cli("dead-letter", "list", "--state", url, "--limit", "1", "--json")
    assert [json.loads(line)["key"] for line in out.splitlines()] == [records[0].key]
    cli.assert_no_secret()


def test_dead_letter_export_to_a_file_and_to_stdout(
    cli: Cli, config: Callable[..., str], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "s.db")
    events = orders(3)
    cli("send", "-c", config(), write_events(tmp_path, *events), "--state", url)
    records = stored(url)
    target = tmp_path / "out" / "dead.jsonl"
    target.parent.mkdir()
    code, out, err = cli("dead-letter", "export", "--state", url, "-o", str(target))
    assert (code, out, err) == (0, "", "exported 6 dead letter(s)\n")
    text = target.read_text(encoding="utf-8")
    assert [DeadLetter.from_dict(json.loads(line)) for line in text.splitlines()] == records
    assert {json.dumps(r.event, sort_keys=True) for r in records} == {
        json.dumps({**e, "message_id": normalize(e).message_id}, sort_keys=True) for e in events
    }
    assert_no_secret(text, *SECRETS)

    code, out, err = cli("dead-letter", "export", "--state", url, "--integration", "echo")
    assert code == 0
    assert err == "exported 3 dead letter(s)\n"
    assert [json.loads(line) for line in out.splitlines()] == [
        r.to_dict() for r in records if r.integration == "echo"
    ]
    cli.assert_no_secret()


def test_dead_letter_replay_exits_0_when_all_are_delivered(
    cli: Cli, config: Callable[..., str], tmp_path: Path, ebox: SwitchSandbox, kbox: SwitchSandbox
) -> None:
    url = sqlite_url(tmp_path / "s.db")
    events = orders(3)
    cfg = config()
    cli("send", "-c", cfg, write_events(tmp_path, *events), "--state", url)
    failed_ids = [body(r)["id"] for r in ebox.requests]
    failed_kargo = sorted(r.body for r in kbox.requests)
    ebox.status = kbox.status = 204
    code, out, err = cli("dead-letter", "replay", "-c", cfg, "--state", url)
    assert code == 0, err
    assert json.loads(out) == {
        "replayed": 6,
        "delivered": 6,
        "still_failing": 0,
        "kept": 0,
        "outcomes": {"delivered": 6},
    }
    assert sorted(body(r)["id"] for r in ebox.requests[3:]) == sorted(failed_ids)
    assert sorted(failed_ids) == sorted(normalize(e).message_id for e in events)
    assert sorted(r.body for r in kbox.requests[3:]) == failed_kargo
    assert stored(url) == []
    cli.assert_no_secret()


def test_dead_letter_replay_exits_1_when_some_still_fail(
    cli: Cli, config: Callable[..., str], tmp_path: Path, ebox: SwitchSandbox, kbox: SwitchSandbox
) -> None:
    url = sqlite_url(tmp_path / "s.db")
    cfg = config()
    cli("send", "-c", cfg, write_events(tmp_path, *orders(2)), "--state", url)
    before = {r.key: r for r in stored(url)}
    ebox.status = 204
    code, out, _ = cli("dead-letter", "replay", "-c", cfg, "--state", url)
    assert code == 1
    assert json.loads(out) == {
        "replayed": 4,
        "delivered": 2,
        "still_failing": 2,
        "kept": 0,
        "outcomes": {"delivered": 2, "failed": 2},
    }
    after = stored(url)
    assert {r.integration for r in after} == {"kargo"}
    for r in after:
        assert r.attempts == before[r.key].attempts + 1 == 2
        assert r.first_failed == before[r.key].first_failed
        assert r.last_failed >= before[r.key].last_failed
    # Only the kargo ones are tried again.
    code, out, _ = cli("dead-letter", "replay", "-c", cfg, "--state", url, "--integration", "echo")
    assert (code, json.loads(out)["replayed"]) == (0, 0)
    cli.assert_no_secret()


def test_replay_needs_a_pipeline_file(cli: Cli) -> None:
    with pytest.raises(SystemExit) as exc:
        cli("dead-letter", "replay", "--state", "memory://")
    assert exc.value.code == 2


def test_dead_letter_purge_refuses_without_yes_and_honours_filters(
    cli: Cli, config: Callable[..., str], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path / "s.db")
    cli("send", "-c", config(), write_events(tmp_path, *orders(3)), "--state", url)
    code, out, err = cli("dead-letter", "purge", "--state", url)
    assert (code, out) == (2, "")
    assert err == "signal: purge deletes dead letters; add --yes to confirm\n"
    assert len(stored(url)) == 6
    code, out, _ = cli("dead-letter", "purge", "--state", url, "--yes", "--integration", "echo")
    assert (code, out) == (0, "purged 3 dead letter(s)\n")
    assert {r.integration for r in stored(url)} == {"kargo"}
    code, out, _ = cli("dead-letter", "purge", "--state", url, "--yes")
    assert (code, out) == (0, "purged 3 dead letter(s)\n")
    assert stored(url) == []


def test_age_filters_of_the_dead_letter_commands(
    cli: Cli, tmp_path: Path, ebox: SwitchSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_url(tmp_path / "s.db")
    now = time.time()
    integrations = [echo_integration(ebox)]
    for start, first in ((now - 3 * DAY, 0), (now - 600, 10)):
        # Failures written as if three days and ten minutes ago.
        with Pipeline(
            integrations, state=url, clock=FakeClock(start=start), retry={"attempts": 1}
        ) as p:
            for event in orders(2, start=first):
                p.send(event)
    records = stored(url)
    old = [r for r in records if r.last_failed < now - DAY]
    recent = [r for r in records if r.last_failed > now - DAY]
    assert len(old) == len(recent) == 2

    def listed(*flags: str) -> list[str]:
        code, out, _ = cli("dead-letter", "list", "--state", url, "--json", *flags)
        assert code == 0
        return [json.loads(line)["key"] for line in out.splitlines()]

    assert listed("--older-than", "2d") == [r.key for r in old]
    assert listed("--older-than", "48h") == [r.key for r in old]
    assert listed("--newer-than", "1h") == [r.key for r in recent]
    assert listed("--newer-than", "30m") == [r.key for r in recent]
    assert listed("--newer-than", "5m") == []
    assert listed("--older-than", "1h", "--newer-than", "4d") == [r.key for r in old]
    assert listed("--older-than", "1w") == []
    with pytest.raises(SystemExit) as exc:
        cli("dead-letter", "list", "--state", url, "--older-than", "2 days")
    assert exc.value.code == 2

    code, out, _ = cli("dead-letter", "purge", "--state", url, "--yes", "--older-than", "1d")
    assert (code, out) == (0, "purged 2 dead letter(s)\n")
    assert [r.key for r in stored(url)] == [r.key for r in recent]


def test_unparsable_and_invalid_lines_are_dead_lettered_with_no_integration(
    cli: Cli, config: Callable[..., str], tmp_path: Path, ebox: SwitchSandbox, kbox: SwitchSandbox
) -> None:
    ebox.status = kbox.status = 204
    url = sqlite_url(tmp_path / "s.db")
    no_name = {"type": "track", "anonymous_id": "anon_9", "properties": {"order_id": "X"}}
    broken = '{"type": "track", "event": "Order Completed", '
    cfg = config()
    events = write_events(tmp_path, orders(1)[0], broken, no_name, orders(1, start=1)[0])
    code, _, _ = cli("send", "-c", cfg, events, "--state", url)
    assert code == 1
    assert len(ebox.requests) == len(kbox.requests) == 2
    records = stored(url)
    assert [r.integration for r in records] == ["", ""]
    assert sorted(json.dumps(r.event, sort_keys=True) for r in records) == sorted(
        [json.dumps({"_raw": broken}), json.dumps(no_name, sort_keys=True)]
    )
    by_event = {("_raw" in r.event): r for r in records}
    assert by_event[True].reason.startswith("invalid event: invalid JSON")
    assert by_event[False].reason == "invalid event: event: a track event needs an event name"

    code, out, _err = cli("dead-letter", "list", "--state", url)
    assert out.splitlines() == [list_line(r) for r in records]
    assert all("  (invalid)  " in line and "http=-" in line for line in out.splitlines())
    code, out, _ = cli("dead-letter", "list", "--state", url, "--integration", "", "--json")
    assert sorted(json.loads(line)["key"] for line in out.splitlines()) == sorted(
        r.key for r in records
    )
    assert all(json.loads(line)["integration"] == "" for line in out.splitlines())

    code, out, _ = cli("dead-letter", "replay", "-c", cfg, "--state", url)
    assert code == 0
    assert json.loads(out) == {
        "replayed": 2,
        "delivered": 0,
        "still_failing": 0,
        "kept": 2,
        "outcomes": {"invalid (kept)": 2},
    }
    assert len(stored(url)) == 2
    assert len(ebox.requests) == 2


def test_reflected_secrets_stay_out_of_cli_output_and_the_state_file(
    cli: Cli, config: Callable[..., str], tmp_path: Path, ebox: SwitchSandbox, kbox: SwitchSandbox
) -> None:
    ebox.reflect = kbox.reflect = True
    ebox.status, kbox.status = 401, 400
    db = tmp_path / "s.db"
    url = sqlite_url(db)
    cfg = config()
    events = write_events(tmp_path, *orders(2), "{oops")
    code, out, _ = cli("send", "-c", cfg, events, "--state", url, "--json")
    assert code == 1
    assert "auth_token=***" in out  # the reflected token was there, masked
    assert quote_any(KARGO_TOKEN) in kbox.requests[0].target
    cli("send", "-c", cfg, events, "--state", url)
    cli("send", "-c", cfg, events, "--state", url, "--dry-run")
    cli("dead-letter", "list", "--state", url)
    cli("dead-letter", "list", "--state", url, "--json")
    cli("dead-letter", "export", "--state", url)
    cli("dead-letter", "export", "--state", url, "-o", str(tmp_path / "x.jsonl"))
    assert_no_secret((tmp_path / "x.jsonl").read_text(encoding="utf-8"), *SECRETS)
    cli("dead-letter", "replay", "-c", cfg, "--state", url)
    cli("dead-letter", "list", "-c", cfg, "--state", url)
    assert len(stored(url)) == 5
    cli.assert_no_secret()
    assert_no_secret(state_files(db), *SECRETS)


def quote_any(secret: str) -> str:
    from urllib.parse import quote

    return quote(secret, safe="")


@pytest.mark.parametrize("name", ["signal.json", "signal.toml"])
def test_the_pipeline_files_state_is_used_and_state_flag_overrides_it(
    cli: Cli, config: Callable[..., str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from_file, from_flag, from_env = (
        sqlite_url(tmp_path / f"{n}.db") for n in ("file", "flag", "env")
    )
    monkeypatch.setenv("SIGNAL_STATE", from_env)  # the file's key beats the environment
    cfg = config(name, state=from_file)
    events = write_events(tmp_path, *orders(1))
    assert cli("send", "-c", cfg, events)[0] == 1
    assert len(stored(from_file)) == 2
    assert not (tmp_path / "env.db").exists()

    assert (
        cli("send", "-c", cfg, write_events(tmp_path, *orders(2, start=5)), "--state", from_flag)[0]
        == 1
    )
    assert len(stored(from_flag)) == 4
    assert len(stored(from_file)) == 2

    code, out, _ = cli("dead-letter", "list", "-c", cfg, "--json")
    assert code == 0
    assert len(out.splitlines()) == 2
    code, out, _ = cli("dead-letter", "list", "-c", cfg, "--state", from_flag, "--json")
    assert code == 0
    assert len(out.splitlines()) == 4
    assert not (tmp_path / "env.db").exists()


def test_the_default_state_honours_signal_state_then_xdg_state_home_then_home(
    cli: Cli, config: Callable[..., str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config()
    events = write_events(tmp_path, *orders(1))
    xdg_db = tmp_path / "xdg" / "signal" / "state.db"
    home_db = tmp_path / "home" / ".local" / "state" / "signal" / "state.db"
    env_db = tmp_path / "env" / "state.db"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    monkeypatch.setenv("SIGNAL_STATE", sqlite_url(env_db))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert cli("send", "-c", cfg, events)[0] == 1
    assert len(stored(sqlite_url(env_db))) == 2
    assert not xdg_db.exists()
    assert not home_db.exists()
    code, out, _ = cli("dead-letter", "list", "--json")
    assert code == 0
    assert len(out.splitlines()) == 2

    monkeypatch.delenv("SIGNAL_STATE")
    assert cli("send", "-c", cfg, events, "--dry-run")[0] == 0
    assert not xdg_db.exists()  # a dry run keeps no state
    assert cli("send", "-c", cfg, events)[0] == 1
    assert len(stored(sqlite_url(xdg_db))) == 2
    assert not home_db.exists()
    code, out, _ = cli("dead-letter", "list", "--json")
    assert code == 0
    assert len(out.splitlines()) == 2

    monkeypatch.delenv("XDG_STATE_HOME")
    assert cli("send", "-c", cfg, events)[0] == 1
    assert len(stored(sqlite_url(home_db))) == 2
    code, out, _ = cli("dead-letter", "purge", "--yes")
    assert (code, out) == (0, "purged 2 dead letter(s)\n")
    assert stored(sqlite_url(home_db)) == []
    assert len(stored(sqlite_url(xdg_db))) == 2  # untouched


def test_undecodable_lines_and_hostile_event_ids_are_kept_and_listed_safely(
    cli: Cli, config: Callable[..., str], tmp_path: Path, ebox: SwitchSandbox, kbox: SwitchSandbox
) -> None:
    kbox.status = 204
    url = sqlite_url(tmp_path / "s.db")
    forged = "m-1\n2025-01-01 00:00:00  echo  forged  attempts=1 http=204  \x1b[2Jdelivered"
    events = tmp_path / "events.jsonl"
    events.write_bytes(
        b"\xff\xfe{not json\n" + json.dumps(track(message_id=forged)).encode() + b"\n"
    )
    code, _, _ = cli("send", "-c", config(), str(events), "--state", url)
    assert code == 1
    records = stored(url)
    assert sorted((r.integration, r.event_id) for r in records)[0][0] == ""
    invalid = next(r for r in records if r.integration == "")
    assert invalid.event == {"_raw": "\\udcff\\udcfe{not json"}
    failed = next(r for r in records if r.integration == "echo")
    assert failed.event_id == forged

    code, out, _ = cli("dead-letter", "list", "--state", url)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    assert (
        "  m-1\\n2025-01-01 00:00:00  echo  forged  attempts=1 http=204  \\x1b[2Jdelivered  "
        in (lines[0] + lines[1])
    )
    assert "\x1b" not in out


def test_a_negative_limit_is_a_usage_error(cli: Cli) -> None:
    with pytest.raises(SystemExit) as exc:
        cli("dead-letter", "list", "--state", "memory://", "--limit", "-1")
    assert exc.value.code == 2
