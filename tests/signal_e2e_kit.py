"""Helpers of the end-to-end tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any
from urllib.parse import unquote

from signal_core import Payload, Request, Vendor, hookimpl
from signal_core.testing import Recorded, Reply, Sandbox

T0_ISO = "2025-06-06T09:00:00Z"


def track(name: str = "Order Completed", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "track",
        "event": name,
        "anonymous_id": "anon_1",
        "timestamp": T0_ISO,
    }
    data.update(extra)
    return data


def echo(box: Sandbox, name: str = "echo", api_key: str = "key_e2e_test", **extra: Any) -> dict:
    config = {"api_key": api_key, **extra.pop("config", {})}
    return {"vendor": "echo", "name": name, "config": config, "base_url": box.url, **extra}


def echo_batch(box: Sandbox, name: str = "echo_batch", **extra: Any) -> dict:
    return {"vendor": "echo_batch", "name": name, "base_url": box.url, **extra}


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def decode_query(raw: str) -> list[tuple[str, str]]:
    """Split a raw query on & and = only, then percent-decode (``+`` stays ``+``)."""
    if not raw:
        return []
    return [tuple(unquote(p) for p in pair.split("=", 1)) for pair in raw.split("&")]  # type: ignore[misc]


def json_body(recorded: Recorded) -> Any:
    return json.loads(recorded.body)


class BarrierSandbox(Sandbox):
    """Holds every request until ``parties`` requests are in flight at once.

    A client that sends them one after another never gets past the first:
    after ``timeout`` the barrier breaks and the request is answered 418.
    """

    def __init__(self, parties: int, timeout: float = 5.0) -> None:
        super().__init__()
        self.barrier = threading.Barrier(parties, timeout=timeout)
        self.broken = False

    def _next(self, recorded: Recorded) -> Reply:
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            self.broken = True
            super()._next(recorded)
            return Reply(418)
        return super()._next(recorded)


QUERY_ECHO = Vendor(
    name="query_echo", presets={"all": {}}, default_preset="all", unmapped="passthrough"
)
HEADER_ECHO = Vendor(name="header_echo", unmapped="passthrough")


class QueryAndHeaderPlugin:
    """In-process test vendors: ``query_echo`` sends every property as a query
    pair (GET /q), ``header_echo`` sends the ``note`` property as a header."""

    @hookimpl
    def declare_vendors(self) -> list[Vendor]:
        return [QUERY_ECHO, HEADER_ECHO]

    @hookimpl
    def map_event(self, event, rule, integration):  # type: ignore[no-untyped-def]
        if integration.vendor not in ("query_echo", "header_echo"):
            return None
        return [Payload(dict(event.properties))]

    @hookimpl
    def build_request(self, payloads, integration):  # type: ignore[no-untyped-def]
        data = payloads[0].data
        if integration.vendor == "query_echo":
            pairs = tuple((str(k), str(v)) for k, v in data["pairs"])
            return Request("GET", "https://query.example/q", pairs)
        if integration.vendor == "header_echo":
            return Request("POST", "https://header.example/h", (), {"X-Note": data["note"]}, b"{}")
        return None


QUERY_HEADER_PLUGIN = QueryAndHeaderPlugin()


def install_fake_distribution(
    root: Any, dist: str, version: str, entry_points: dict[str, str]
) -> None:
    """Write ``<dist>-<version>.dist-info`` with ``signal_core.plugins`` entry points
    into ``root`` (which the caller puts on sys.path)."""
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = ["[signal_core.plugins]"] + [f"{n} = {m}" for n, m in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
