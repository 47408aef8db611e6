"""Shared helpers of the reliability suite: vendor integrations, events, spies, clocks.

Imported by name (conftest.py puts this directory on ``sys.path``).
"""

from __future__ import annotations

import copy
import json
import pickle
import threading
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from faultserver import Hit
from signal_core.transport import Transport
from signal_core.transport_urllib3 import Urllib3Transport
from signal_core.wire import Request, Response, Timeout
from signal_kameleoon.mapping import nonce_for

ALL_PLUGINS = "echo,kargo,kameleoon,kissmetrics,knorex"

# Every vendor the suite drives, and whether it de-duplicates (Vendor.dedups).
DEDUPS = {
    "echo": False,
    "echo_batch": True,
    "kargo": False,
    "kameleoon": True,
    "kissmetrics": True,
    "knorex": False,
}
VENDORS = tuple(DEDUPS)
REAL_VENDORS = ("kargo", "kameleoon", "kissmetrics", "knorex")

KNOREX_TEMPLATE = (
    "https://postback.knorex.example/conv?kcid={kcid}&goal={goal_id}&eid={event_id}&t={token}"
)
TOKEN_PATH = "/oauth/token"


def default_secrets(tag: str = "test") -> dict[str, str]:
    return {
        "echo": f"echo_{tag}_key_1",
        "kargo": f"kargo_{tag}_token_1",
        "kameleoon": f"kameleoon_{tag}_secret_1",
        "kissmetrics": f"kissmetrics_{tag}_key_1",
        "knorex": f"knorex_{tag}_token_1",
    }


def integration(
    vendor: str,
    base_url: str,
    *,
    name: str | None = None,
    secret: str | None = None,
    retry: dict[str, Any] | None = None,
    oauth: bool = False,
    client_id: str = "client_id_1",
    auth_mode: str = "query",
    knorex_method: str = "GET",
) -> dict[str, Any]:
    """An integration of ``vendor`` whose requests all go to ``base_url``."""
    secret = secret or default_secrets().get(vendor, "")
    config: dict[str, Any]
    if vendor == "echo":
        config = {"api_key": secret, "mode": auth_mode}
    elif vendor == "echo_batch":
        config = {}
    elif vendor == "kargo":
        config = {
            "advertiser_id": "kg_adv_1",
            "campaign_id": "kg_camp_1",
            "auth_token": secret,
            "auth_mode": auth_mode,
        }
    elif vendor == "kameleoon":
        config = {"site_code": "f17c21u1ag", "region": "eu"}
        if oauth:
            config.update(client_id=client_id, client_secret=secret)
    elif vendor == "kissmetrics":
        config = {"api_key": secret}
    elif vendor == "knorex":
        config = {"postback_url": KNOREX_TEMPLATE, "token": secret, "method": knorex_method}
    else:  # pragma: no cover - a typo in a test
        raise ValueError(vendor)
    data: dict[str, Any] = {
        "vendor": vendor,
        "name": name or vendor,
        "config": config,
        "base_url": base_url,
        "consent_categories": [],
    }
    if retry:
        data["retry"] = retry
    return data


def order(i: int = 0, **extra: Any) -> dict[str, Any]:
    """An ``Order Completed`` event every vendor maps (its order_id is its message_id)."""
    mid = f"evt-{i:06d}"
    event: dict[str, Any] = {
        "type": "track",
        "event": "Order Completed",
        "message_id": mid,
        "timestamp": "2025-06-06T09:00:00Z",
        "anonymous_id": f"anon{i}",
        "properties": {
            "order_id": mid,
            "revenue": 10.5 + i,
            "currency": "USD",
            "kgid": "kg_click_1",
            "kcid": "kc_click_1",
            "kameleoon_goal_id": 4242,
            "knorex_goal_id": "g7",
        },
    }
    event.update(extra)
    return event


def page(i: int = 0) -> dict[str, Any]:
    mid = f"evt-{i:06d}"
    return {
        "type": "page",
        "message_id": mid,
        "timestamp": "2025-06-06T09:00:00Z",
        "anonymous_id": f"anon{i}",
        "properties": {"order_id": mid},
        "context": {"page": {"url": f"https://shop.example/p/{i}", "title": "P"}},
    }


# -- reading event ids back from what the server received ---------------------------
def event_ids(hit: Hit, nonces: dict[str, str]) -> list[str]:
    """The event ids one request carried, whatever the vendor."""
    path = hit.path
    if path in ("/collect", "/batch", "/data/c"):
        data = json.loads(hit.body)
        items = data if isinstance(data, list) else [data]
        key = "order_id" if path == "/data/c" else "id"
        return [str(item[key]) for item in items]
    if path == "/visit/events":
        return [nonces[item["nonce"]] for item in json.loads(hit.body)]
    if path == "/e":
        pairs = hit.query if hit.method == "GET" else hit.form
        return [v for k, v in pairs if k == "Order ID"]
    if path == "/conv":
        return [v for k, v in hit.query if k == "eid"]
    return []


def nonce_table(message_ids: Iterable[str]) -> dict[str, str]:
    return {nonce_for(mid): mid for mid in message_ids}


def integration_of(hit: Hit) -> str:
    """Which integration (named after its vendor) sent ``hit``, by path."""
    by_path = {
        "/batch": "echo_batch",
        "/data/c": "kargo",
        "/visit/events": "kameleoon",
        "/e": "kissmetrics",
        "/conv": "knorex",
    }
    return "echo" if hit.path == "/collect" else by_path.get(hit.path, "?")


# -- a transport that keeps what it saw -----------------------------------------------
class SpyTransport:
    """A real transport (``factory``: the default Urllib3Transport, or
    RequestsTransport) that keeps every response and raised exception."""

    factory: Any = Urllib3Transport

    def __init__(self, inner: Transport | None = None, **kwargs: Any) -> None:
        self.inner = inner or self.factory(**kwargs)
        self.responses: list[Response] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()

    def send(self, request: Request, timeout: Timeout) -> Response:
        try:
            response = self.inner.send(request, timeout)
        except BaseException as exc:
            with self._lock:
                self.errors.append(exc)
            raise
        with self._lock:
            self.responses.append(response)
        return response

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()


# -- a fake clock per thread ---------------------------------------------------------
class ThreadClock:
    """Like FakeClock (never sleeps, draw pinned), but each thread has its own time.

    With ``send_many`` workers sharing one FakeClock, one worker's backoff
    sleeps would eat the other workers' deadlines; here they cannot.
    """

    def __init__(self, *, start: float = 1_750_000_000.0, draw: float = 1.0) -> None:
        self._start = start
        self.draw = draw
        self._local = threading.local()
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return float(getattr(self._local, "now", 0.0))

    def time(self) -> float:
        return self._start + self.monotonic()

    def sleep(self, seconds: float) -> None:
        self._local.now = self.monotonic() + max(0.0, seconds)
        if not hasattr(self._local, "sleeps"):
            self._local.sleeps = []
        self._local.sleeps.append(seconds)
        with self._lock:
            self.sleeps.append(seconds)

    def thread_sleeps(self) -> list[float]:
        return list(getattr(self._local, "sleeps", []))

    def random(self) -> float:
        return self.draw


# -- looking for a canary in everything the SDK produced -------------------------------
def variants(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}


def leaks(text: str, secrets: Iterable[str], marker: str = "") -> list[str]:
    """The secrets (raw or percent-encoded, or the shared ``marker``) found in ``text``."""
    found = [s for s in secrets if any(v in text for v in variants(s))]
    if marker and marker in text and not found:
        found.append(marker)
    return found


def exception_texts(exc: BaseException) -> Iterator[str]:
    """str, repr, args and pickle of an exception and of its whole cause/context chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(current.args)
        yield repr(vars(current)) if hasattr(current, "__dict__") else ""
        try:
            yield pickle.dumps(current).decode("latin-1")
        except Exception as problem:  # unpicklable is fine; its reason must be clean too
            yield str(problem)
        current = current.__cause__ or current.__context__


def deep_copy(value: Any) -> Any:
    return copy.deepcopy(value)


def host_of(url: str) -> str:
    return urlsplit(url).netloc


# -- numbers for docs/reliability.md ---------------------------------------------------
REPORT_ENV = "SIGNAL_RELIABILITY_REPORT"
_report_lock = threading.Lock()


def report(section: str, **numbers: Any) -> None:
    """Merge ``numbers`` into the JSON file named by $SIGNAL_RELIABILITY_REPORT, if set."""
    import os

    path = os.environ.get(REPORT_ENV)
    if not path:
        return
    with _report_lock:
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            data = {}
        entry = data.setdefault(section, {})
        for key, value in numbers.items():
            if isinstance(value, (int, float)) and isinstance(entry.get(key), (int, float)):
                entry[key] += value  # sections run more than once add up
            else:
                entry[key] = value
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
