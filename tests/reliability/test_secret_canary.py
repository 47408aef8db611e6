"""Secret canaries: every vendor configured with a canary secret, the whole fault matrix
run with every logger at DEBUG, and the canary searched for in everything the SDK
produced: log records, warnings, exceptions (and their chains and pickles), results,
previews, the dead-letter store, CLI output and the SQLite file.

Each canary starts with ``CNRY`` and carries characters that get percent-encoded
(``/ + = & % ? # ~``): searching for the marker finds it raw, encoded or cut short.
"""

from __future__ import annotations

import io
import json
import logging
import pickle
import traceback
import warnings
from pathlib import Path
from typing import Any

import pytest
from faultserver import (
    CLOSE,
    GARBAGE,
    HANG,
    MB,
    OK,
    RESET,
    TRUNCATED,
    Action,
    FaultServer,
    Mixer,
    closed_port,
    drip,
    garbage,
    huge,
    mirror,
    redirect,
    reply,
    retry_after,
)
from reliability_kit import TOKEN_PATH, exception_texts, integration, leaks, order, report
from signal_core import ConfigError, Pipeline, Status, hookimpl
from signal_core.cli.main import main
from signal_core.plugins import get_plugin_manager

MARKER = "CNRY"
CANARIES = {
    "echo-query": "CNRYechoQ-1a/+x=&y%z?#w~",
    "echo-header": "CNRYechoH-2b/+x=&y%z?#w~",
    "kargo-query": "CNRYkargoQ-3c/+x=&y%z?#w~",
    "kargo-header": "CNRYkargoH-4d/+x=&y%z?#w~",
    "kameleoon-oauth": "CNRYkamS-5e/+x=&y%z?#w~",
    "kissmetrics": "CNRYkiss-6f/+x=&y%z?#w~",
    "knorex-get": "CNRYknxG-7g/+x=&y%z?#w~",
    "knorex-post": "CNRYknxP-8h/+x=&y%z?#w~",
}
ACCESS_TOKEN = "CNRYaccessToken-9i.abc_def"  # what the OAuth endpoint hands out
SECRETS = [*CANARIES.values(), ACCESS_TOKEN]
TOKEN_REPLY = reply(
    200,
    json.dumps({"access_token": ACCESS_TOKEN, "expires_in": 3600}).encode(),
    Content_Type="application/json",
)
FAST = {"read_timeout": 0.1}


def canary_integrations(base_url: str, retry: dict[str, Any] | None = None) -> list[dict]:
    retry = retry or FAST
    return [
        integration(
            "echo", base_url, name="echo-query", secret=CANARIES["echo-query"], retry=retry
        ),
        integration(
            "echo",
            base_url,
            name="echo-header",
            secret=CANARIES["echo-header"],
            auth_mode="header",
            retry=retry,
        ),
        integration(
            "kargo", base_url, name="kargo-query", secret=CANARIES["kargo-query"], retry=retry
        ),
        integration(
            "kargo",
            base_url,
            name="kargo-header",
            secret=CANARIES["kargo-header"],
            auth_mode="header",
            retry=retry,
        ),
        integration(
            "kameleoon",
            base_url,
            name="kameleoon-oauth",
            secret=CANARIES["kameleoon-oauth"],
            oauth=True,
            retry=retry,
        ),
        integration(
            "kissmetrics", base_url, name="kissmetrics", secret=CANARIES["kissmetrics"], retry=retry
        ),
        integration(
            "knorex", base_url, name="knorex-get", secret=CANARIES["knorex-get"], retry=retry
        ),
        integration(
            "knorex",
            base_url,
            name="knorex-post",
            secret=CANARIES["knorex-post"],
            knorex_method="POST",
            retry=retry,
        ),
    ]


def events() -> list[dict]:
    long = order(1)
    long["properties"]["notes"] = "n" * 3000  # Kissmetrics: over 2 KB, sent as a POST form
    return [order(0), long]


FAULTS: dict[str, Action] = {
    "ok": OK,
    "503": reply(503),
    "429-retry-after-86400": retry_after(429, "86400"),
    "400-mirroring-the-request": mirror(400),
    "401-mirroring-the-request": mirror(401),
    "403-mirroring-the-request": mirror(403),
    "404-mirroring-the-request": mirror(404),
    "500-mirroring-the-request": mirror(500),
    "200-mirroring-the-request": mirror(200),
    "reset": RESET,
    "close": CLOSE,
    "garbage": GARBAGE,
    "garbage-mirroring-a-canary": garbage(f"{CANARIES['kargo-query']}\r\n\r\n".encode()),
    "truncated": TRUNCATED,
    "hang": HANG,
    "drip": drip(0.3, "body", body=b"xxxxx"),
    "redirect": redirect(f"http://127.0.0.1:{closed_port()}/x?key={CANARIES['echo-query']}"),
    "huge": huge(2 * MB),
}


class ErrorSpy:
    """Sees every transport error the core classifies (raised by the transport or by
    a plugin's authorize_request), without answering."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    @hookimpl(tryfirst=True)
    def classify_response(self, request, response, error, integration):  # type: ignore[no-untyped-def]
        if error is not None:
            self.errors.append(error)


class Texts:
    """Everything the SDK produced, as (where, text) pairs."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, text: Any) -> None:
        self.items.append((where, text if isinstance(text, str) else repr(text)))

    def add_exception(self, where: str, exc: BaseException) -> None:
        for text in exception_texts(exc):
            self.add(where, text)
        self.add(f"{where} (traceback)", "".join(traceback.format_exception(exc)))

    def add_records(self, records: list[logging.LogRecord]) -> None:
        formatter = logging.Formatter()
        for record in records:
            where = f"log {record.name}"
            self.add(where, record.getMessage())
            self.add(where, repr(record.msg))
            self.add(where, repr(record.args))
            if record.exc_text:
                self.add(where, record.exc_text)
            if record.exc_info:
                self.add(where, formatter.formatException(record.exc_info))
                if record.exc_info[1] is not None:
                    self.add_exception(where, record.exc_info[1])
            if record.stack_info:
                self.add(where, record.stack_info)

    def leaked(self) -> list[tuple[str, list[str], str]]:
        out = []
        for where, text in self.items:
            found = leaks(text, SECRETS, MARKER)
            if found:
                at = text.find(MARKER)
                out.append((where, found, text[max(0, at - 60) : at + 60]))
        return out


def run_fault(
    action: Action, token_action: Action, texts: Texts, tls_context: Any = None
) -> tuple[list, FaultServer | None]:
    spy = ErrorSpy()
    pm = get_plugin_manager()
    pm.register(spy, name="canary-error-spy")
    server: FaultServer | None = None
    if action is None:  # refused
        url = f"http://127.0.0.1:{closed_port()}"
    else:
        server = FaultServer(default=action, routes={TOKEN_PATH: token_action}, tls=tls_context)
        server.start()
        url = server.url
    from signal_core.testing import FakeClock

    pipeline = Pipeline(canary_integrations(url), clock=FakeClock(), plugin_manager=pm)
    results = []
    try:
        for event in events():
            results += pipeline.send(event)
        for preview in pipeline.preview(order(2)):
            texts.add("preview", str(preview))
            texts.add("preview", json.dumps(preview.to_dict()))
        for item in pipeline.integrations:
            texts.add("integration", repr(item))
            texts.add("integration", json.dumps(item.describe()))
            texts.add("integration config", repr(item.config))
        texts.add("pipeline", repr(pipeline))
        out = io.StringIO()
        pipeline.dead_letters.export(out)
        texts.add("dead-letter export", out.getvalue())
        for record in pipeline.dead_letters.list():
            texts.add("dead letter", repr(record))
            texts.add("dead letter", json.dumps(record.to_dict()))
    finally:
        pipeline.close()
        if server is not None:
            server.stop()
    for result in results:
        texts.add("result", repr(result))
        texts.add("result", json.dumps(result.to_dict()))
        texts.add("result pickle", pickle.dumps(result).decode("latin-1"))
    for error in spy.errors:
        texts.add_exception("transport error", error)
    return results, server


@pytest.fixture
def texts() -> Texts:
    return Texts()


def test_the_fault_matrix_leaks_no_canary(debug_logs, texts, tls_context):
    runs = 0
    statuses: set[Status] = set()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cases = [(name, action, OK) for name, action in FAULTS.items()]
        # the same faults at the OAuth token endpoint (the client_secret is in its body)
        cases += [(f"token-{name}", OK, action) for name, action in FAULTS.items()]
        cases += [("refused", None, OK)]
        for name, action, token_action in cases:
            results, server = run_fault(action, token_action, texts)
            assert len(results) == 2 * len(CANARIES), name
            statuses.update(r.status for r in results)
            if server is not None:
                assert server.requests, name  # the fault was really served
            runs += 1
        results, server = run_fault(OK, OK, texts, tls_context=tls_context)
        assert all("TLS error" in r.reason for r in results)
        runs += 1
    texts.add_records(debug_logs.records)
    for warning in caught:
        texts.add("warning", str(warning.message))
    assert Status.DELIVERED in statuses
    assert Status.FAILED in statuses
    # the canaries really were on the wire and in the records' neighbourhood
    assert any(r.name.startswith("urllib3") for r in debug_logs.records)
    leaked = texts.leaked()
    report(
        "canary",
        fault_runs=runs,
        texts_checked=len(texts.items),
        log_records=len(debug_logs.records),
        leaks=len(leaked),
    )
    assert leaked == [], leaked[:5]


def test_the_canaries_do_reach_the_wire(fault_server):
    # Proof that the search above can fail: the secrets are sent, only never shown.
    server = fault_server(routes={TOKEN_PATH: TOKEN_REPLY})
    from signal_core.testing import FakeClock

    with Pipeline(canary_integrations(server.url), clock=FakeClock()) as pipeline:
        for event in events():
            assert all(r.status is Status.DELIVERED for r in pipeline.send(event))
    wire = "\n".join(f"{h.target}\n{h.headers}\n{h.body!r}" for h in server.requests)
    assert set(leaks(wire, SECRETS)) == set(SECRETS)


# -- the CLI ----------------------------------------------------------------------------
def write_cli_files(tmp_path: Path, url: str) -> tuple[str, str, Path]:
    db = tmp_path / "state.db"
    config = {
        "integrations": canary_integrations(url),
        # tiny backoff: the CLI runs on the real clock
        "retry": {"read_timeout": 0.2, "backoff_base": 0.001, "throttled_backoff_base": 0.001},
        "state": f"sqlite:///{db}",
    }
    for item in config["integrations"]:
        item.pop("retry")
    cfg = tmp_path / "pipeline.json"
    cfg.write_text(json.dumps(config), encoding="utf-8")
    lines = tmp_path / "events.jsonl"
    lines.write_text("\n".join(json.dumps(e) for e in [*events(), order(7)]) + "\n")
    return str(cfg), str(lines), db


def test_cli_output_and_stored_state_leak_no_canary(
    tmp_path, capsys, debug_logs, texts, fault_server, monkeypatch
):
    monkeypatch.delenv("SIGNAL_STATE", raising=False)
    actions = [mirror(400), mirror(500), RESET, GARBAGE, TRUNCATED, retry_after(429, "86400")]
    server = fault_server(
        routes={TOKEN_PATH: TOKEN_REPLY}, chooser=Mixer([(a, 1) for a in actions], seed=7)
    )
    cfg, lines, db = write_cli_files(tmp_path, server.url)
    export = tmp_path / "export.jsonl"
    commands = [
        ["send", "-c", cfg, lines],
        ["send", "-c", cfg, "--json", lines],
        ["send", "-c", cfg, "--dry-run", lines],
        ["send", "-c", cfg, "--dry-run", "--json", lines],
        ["check", "-c", cfg],
        ["check", "-c", cfg, "--json"],
        ["plugins"],
        ["plugins", "--json"],
        ["dead-letter", "list", "-c", cfg],
        ["dead-letter", "list", "-c", cfg, "--json"],
        ["dead-letter", "export", "-c", cfg],
        ["dead-letter", "export", "-c", cfg, "-o", str(export)],
        ["dead-letter", "replay", "-c", cfg],
    ]
    codes = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for argv in commands:
            codes[" ".join(argv)] = main(argv)
            out, err = capsys.readouterr()
            texts.add(f"stdout of {argv[:2]}", out)
            texts.add(f"stderr of {argv[:2]}", err)
    assert codes[" ".join(commands[0])] == 1  # some events failed: failures were exercised
    assert codes[" ".join(commands[4])] == 0  # check passed
    texts.add("export file", export.read_text(encoding="utf-8"))
    assert export.read_text(encoding="utf-8").count("\n") > 0  # dead letters were kept
    for path in tmp_path.glob("state.db*"):
        texts.add(f"file {path.name}", path.read_bytes().decode("latin-1"))
    assert db.exists()
    assert db.stat().st_size > 0
    texts.add_records(debug_logs.records)
    for warning in caught:
        texts.add("warning", str(warning.message))
    leaked = texts.leaked()
    report("canary", cli_commands=len(commands), leaks=len(leaked))
    assert leaked == [], leaked[:5]


# -- a secret with whitespace or a line break is rejected at load ---------------------------
SECRET_FIELDS = {
    "echo": "api_key",
    "kargo": "auth_token",
    "kameleoon": "client_secret",
    "kissmetrics": "api_key",
    "knorex": "token",
}
BAD = [
    " CNRYsecret1",
    "CNRYsecret1 ",
    "CNRYsecret1\n",
    "\nCNRYsecret1",
    "CNRY\nsecret1",
    "CNRYsecret1\r\n",
    "CNRY\rsecret1",
    "\tCNRYsecret1",
    "CNRYsecret1\t",
    "CNRYsecret1\x00",
]


@pytest.mark.parametrize("vendor", sorted(SECRET_FIELDS))
@pytest.mark.parametrize("bad", BAD, ids=repr)
def test_a_secret_with_whitespace_or_a_line_break_is_rejected_naming_only_the_field(
    vendor, bad, fault_server
):
    server = fault_server()
    data = integration(vendor, server.url, secret=bad, oauth=True)
    with pytest.raises(ConfigError) as info:
        Pipeline([data])
    exc = info.value
    assert exc.integration == vendor
    assert exc.field == f"config.{SECRET_FIELDS[vendor]}"
    assert SECRET_FIELDS[vendor] in str(exc)
    for text in exception_texts(exc):
        assert "secret1" not in text, text
        assert MARKER not in text, text
    assert server.connections == 0


def test_the_cli_rejects_a_bad_secret_naming_only_the_field(tmp_path, capsys, fault_server):
    server = fault_server()
    cfg, lines, _ = write_cli_files(tmp_path, server.url)
    data = json.loads(Path(cfg).read_text())
    data["integrations"][2]["config"]["auth_token"] = "CNRYsecret1\nX-Injected: 1"
    Path(cfg).write_text(json.dumps(data))
    for argv in (["check", "-c", cfg], ["send", "-c", cfg, lines]):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert "config.auth_token" in err
        assert "kargo-query" in err
        assert MARKER not in out + err
        assert "Injected" not in out + err
    assert server.connections == 0
