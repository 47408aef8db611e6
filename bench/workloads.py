"""What the bench sends: integrations per vendor, events, and the baselines.

Events are "Order Completed" purchases that every vendor maps (Kargo
conversion, Kissmetrics "Purchased", Knorex postback, Kameleoon conversion),
each with its own ids and amounts so no two requests are the same. Secrets
are fake; every integration points at a local server through ``base_url``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import requests
import urllib3
from signal_core import Pipeline, Request
from signal_core.transport import USER_AGENT

VENDORS = ("kargo", "kissmetrics", "knorex", "kameleoon")
OVERHEAD_VENDORS = ("kargo", "kissmetrics", "knorex")

CONFIGS: dict[str, dict[str, Any]] = {
    "kargo": {
        "advertiser_id": "kg_adv_12345",
        "campaign_id": "kg_camp_67890",
        "auth_token": "kg_token_bench_secret",
    },
    "kissmetrics": {"api_key": "km_bench_secret_key"},
    "knorex": {
        "postback_url": (
            "https://postback.knorex.example/s2s?kcid={kcid}&goal={goal_id}&value={value}"
            "&currency={currency}&order={order_id}&token={token}"
        ),
        "goal_id": "kx_goal_1",
        "token": "kx_bench_token",
    },
    "kameleoon": {"site_code": "f17c21u1ag", "region": "eu"},
}


def integration(vendor: str, base_url: str, name: str | None = None) -> dict[str, Any]:
    return {
        "vendor": vendor,
        "name": name or vendor,
        "config": dict(CONFIGS[vendor]),
        "base_url": base_url,
    }


def pipeline_file(vendors: tuple[str, ...] | list[str], base_url: str) -> dict[str, Any]:
    return {"integrations": [integration(v, base_url) for v in vendors]}


def event(i: int) -> dict[str, Any]:
    """The i-th purchase: distinct ids, amounts and click ids, fixed timestamps."""
    return {
        "type": "track",
        "event": "Order Completed",
        "message_id": f"msg-{i:08d}-4b88-4e2a-9a31-6c0e2b5d77aa",
        "timestamp": 1749200400 + i % 86400,
        "anonymous_id": f"anon_{i:08d}",
        "user_id": f"user_{i % 50_000:06d}",
        "properties": {
            "order_id": f"ORD-{i:08d}",
            "revenue": round(10 + (i % 997) * 0.37, 2),
            "currency": "USD",
            "kgid": f"kg_click_{i:08d}",
            "kcid": f"kx_click_{i:08d}",
            "kameleoon_goal_id": 36151,
        },
        "traits": {"email": f"buyer{i}@example.com"},
        "context": {
            "ip": "203.0.113.50",
            "user_agent": "Mozilla/5.0 (bench)",
            "cookies": {"kameleoonVisitorCode": f"vc{i:010d}"},
        },
    }


def events(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [event(i) for i in range(start, start + n)]


def write_events(path: str, n: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps(event(i), separators=(",", ":")))
            out.write("\n")


# -- the requests the SDK sends, built once for the baselines ------------------------
def built_requests(pipeline: Pipeline, evs: list[dict[str, Any]]) -> list[Request]:
    """The exact requests ``pipeline.send`` makes for ``evs`` (one integration):
    the plugin's ``map_event`` and ``build_request``, ``base_url`` applied."""
    from signal_core.events import normalize

    [integ] = pipeline.integrations
    hooks = pipeline.hooks
    out: list[Request] = []
    for raw in evs:
        ev = normalize(raw)
        rule = integ.mapping.rule_for(ev.name)
        assert rule is not None, "the bench event must be mapped"
        assert rule.enabled, "the bench event must be mapped"
        payloads = hooks.map_event(ev, rule, integ)
        for payload in payloads:
            payload.event_id = ev.message_id
        request = hooks.build_request(payloads, integ)
        if integ.base_url:
            request = request.with_base_url(integ.base_url)
        out.append(request)
    return out


def wire_headers(request: Request) -> dict[str, str]:
    """Headers as the SDK's transports put them on the wire (User-Agent first,
    the request's own, Content-Length for a body or a non-GET method)."""
    headers = {"User-Agent": USER_AGENT, **request.headers}
    if request.body:
        headers["Content-Length"] = str(len(request.body))
    elif request.method not in ("GET", "HEAD"):
        headers["Content-Length"] = "0"
    return headers


class RequestsLoop:
    """The hand-written baseline: one ``requests.Session``, ``.post()`` / ``.get()``."""

    name = "requests loop"

    def __init__(self, reqs: list[Request]) -> None:
        self.session = requests.Session()
        self.session.headers.clear()
        self.session.headers["User-Agent"] = USER_AGENT
        self.calls = [(r.method, r.full_url, dict(r.headers), r.body) for r in reqs]

    def run(self) -> int:
        session = self.session
        ok = 0
        for method, url, headers, body in self.calls:
            if method == "GET":
                resp = session.get(url, headers=headers, timeout=(3.05, 5), allow_redirects=False)
            else:
                resp = session.post(
                    url, headers=headers, data=body, timeout=(3.05, 5), allow_redirects=False
                )
            ok += resp.status_code < 300
        return ok

    def close(self) -> None:
        self.session.close()


class Urllib3Loop:
    """The limit of synchronous Python: a raw ``urllib3.PoolManager`` loop."""

    name = "urllib3 loop"

    def __init__(self, reqs: list[Request]) -> None:
        self.pool = urllib3.PoolManager(maxsize=32, retries=False)
        self.calls = [(r.method, r.full_url, wire_headers(r), r.body or None) for r in reqs]

    def run(self) -> int:
        request = self.pool.request
        ok = 0
        timeout = urllib3.Timeout(connect=3.05, read=5)
        for method, url, headers, body in self.calls:
            resp = request(method, url, body=body, headers=headers, timeout=timeout, redirect=False)
            ok += resp.status < 300
        return ok

    def close(self) -> None:
        self.pool.clear()


class SdkLoop:
    """The SDK: ``pipeline.send(event)`` per event, one thread."""

    def __init__(self, name: str, pipeline: Pipeline, evs: list[dict[str, Any]]) -> None:
        self.name = name
        self.pipeline = pipeline
        self.events = evs

    def run(self) -> int:
        send = self.pipeline.send
        ok = 0
        for ev in self.events:
            for result in send(ev):
                ok += result.status.value == "delivered"
        return ok

    def close(self) -> None:
        self.pipeline.close()


def chunks(seq: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]
