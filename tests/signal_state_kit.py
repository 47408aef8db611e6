"""Helpers of the issue-7 state tests (click ids, ID syncs, dead letters, CLI).

Imported by name: ``tests/conftest.py`` puts this directory on ``sys.path``.
"""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from signal_core.testing import Recorded, Reply, Sandbox

ECHO_KEY = "CANARY_echo/Key+7=x"
KARGO_TOKEN = "CANARY_kargo/Tok+en=9"
KNOREX_TEMPLATE = (
    "https://s2s.knorex.example/pb?kcid={kcid}&goal={goal_id}&value={value}&eid={event_id}"
)
DAY = 86400.0
T0_ISO = "2025-06-06T09:00:00Z"


def secret_forms(*secrets: str) -> list[str]:
    """Each secret raw and percent-encoded (both ways a URL may carry it)."""
    forms: list[str] = []
    for secret in secrets:
        forms += [secret, quote(secret, safe=""), quote_plus(secret, safe="")]
    return forms


def assert_no_secret(text: str | bytes, *secrets: str) -> None:
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
    for form in secret_forms(*secrets):
        assert form.encode() not in data, f"secret form {form!r} leaked"


def track(
    name: str = "Order Completed", anonymous_id: str | None = "anon_1", **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "track", "event": name, "timestamp": T0_ISO}
    if anonymous_id is not None:
        data["anonymous_id"] = anonymous_id
    data.update(extra)
    return data


def echo_integration(
    box: Sandbox | None = None, name: str = "echo", api_key: str = ECHO_KEY, **extra: Any
) -> dict[str, Any]:
    config = {"api_key": api_key, **extra.pop("config", {})}
    data: dict[str, Any] = {"vendor": "echo", "name": name, "config": config}
    if box is not None:
        data["base_url"] = box.url
    data.update(extra)
    return data


def kargo_integration(box: Sandbox, name: str = "kargo", **extra: Any) -> dict[str, Any]:
    config = {"advertiser_id": "adv-7", "auth_token": KARGO_TOKEN, **extra.pop("config", {})}
    return {"vendor": "kargo", "name": name, "config": config, "base_url": box.url, **extra}


def knorex_integration(box: Sandbox, name: str = "knorex", **extra: Any) -> dict[str, Any]:
    config = {"postback_url": KNOREX_TEMPLATE, "goal_id": "G-1", **extra.pop("config", {})}
    return {"vendor": "knorex", "name": name, "config": config, "base_url": box.url, **extra}


def body(recorded: Recorded) -> Any:
    return json.loads(recorded.body)


def state_files(db: Path) -> bytes:
    """The bytes of a SQLite database and its -wal / -shm / -journal companions."""
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


class SwitchSandbox(Sandbox):
    """Answers every request with ``self.status`` (change it to "recover").

    With ``reflect`` the answer's body is the request target, query and all,
    as some vendors echo the request in error pages.
    """

    def __init__(self, status: int = 503, reflect: bool = False) -> None:
        super().__init__()
        self.status = status
        self.reflect = reflect

    def _next(self, recorded: Recorded) -> Reply:
        super()._next(recorded)
        return Reply(self.status, body=recorded.target.encode() if self.reflect else b"")


class HangingServer:
    """Accepts connections on 127.0.0.1 and never answers (until stopped)."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.05)
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections.append(conn)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(1.0)
        for conn in self.connections:
            conn.close()
        self._sock.close()
