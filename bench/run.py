"""``nox -s bench``: the performance targets of issue 9, measured side by side.

Starts nginx (bench/nginx.conf, a free port of 127.0.0.1) and the latency
server (bench/latency_server.py, 50 ms), runs one measurement per target,
prints the table and writes docs/benchmarks.md plus the events/s-vs-workers
chart (docs/benchmarks-workers.png). Every figure is the median of several
rounds (min and max beside it); ratios are taken per round, between
measurements interleaved in that round, then their median.

    python bench/run.py [--quick] [--only 1,3] [--no-write]

``--quick`` runs fewer events and rounds (about 5 minutes instead of 20);
the document says which kind of run it shows.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import requests  # noqa: E402
import urllib3  # noqa: E402
from servers import LatencyServer, Nginx, nginx_binary  # noqa: E402
from signal_core import Pipeline, Response, __version__  # noqa: E402
from signal_core.events import normalize  # noqa: E402
from signal_core.transport import RequestsTransport  # noqa: E402
from signal_core.transport_urllib3 import Urllib3Transport  # noqa: E402
from workloads import (  # noqa: E402
    OVERHEAD_VENDORS,
    VENDORS,
    RequestsLoop,
    SdkLoop,
    Urllib3Loop,
    built_requests,
    events,
    integration,
    pipeline_file,
    write_events,
)

DELAY = 0.05  # the latency server: a vendor 50 ms away


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# -- results -----------------------------------------------------------------------------
@dataclass
class Row:
    target: str  # "1 overhead", ...
    what: str
    unit: str
    values: list[float]
    goal: str = ""
    passed: bool | None = None  # None: information, not a target
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def cell(self, value: float) -> str:
        if self.unit in ("x", "ratio"):
            return f"{value:.2f}"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.1f}"

    @property
    def verdict(self) -> str:
        if self.passed is None:
            return "info"
        return "PASS" if self.passed else "MISS"


@dataclass
class Run:
    quick: bool
    rows: list[Row] = field(default_factory=list)
    chart: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    load_before: tuple[float, float, float] = field(default_factory=os.getloadavg)
    load_after: tuple[float, float, float] | None = None
    minutes: float = 0.0
    machine: list[str] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        span = f"{row.cell(min(row.values))} .. {row.cell(max(row.values))}"
        say(
            f"  {row.target:<13} {row.what:<58} {row.cell(row.median):>10} {row.unit:<9}"
            f" [{span}] {row.goal} {row.verdict}"
        )
        return row


def ratio_rows(
    run: Run,
    target: str,
    what: str,
    num: list[float],
    den: list[float],
    goal: float,
    *,
    at_most: bool = False,
    judged: bool = True,
    note: str = "",
) -> Row:
    ratios = [a / b for a, b in zip(num, den)]
    med = statistics.median(ratios)
    ok = (med <= goal) if at_most else (med >= goal)
    sign = "<=" if at_most else ">="
    return run.add(
        Row(target, what, "x", ratios, f"{sign} {goal:g}x", ok if judged else None, note)
    )


# -- helpers --------------------------------------------------------------------------------
class NullTransport:
    """Answers every request at once, without a network: the SDK's own cost."""

    def __init__(self, status: int = 204) -> None:
        self.response = Response(status)

    def send(self, request: Any, timeout: Any) -> Response:
        return self.response


def rate(count: int, fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return count / (time.perf_counter() - started)


def signal_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "signal"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("signal")
    return [found] if found else [sys.executable, "-m", "signal_core"]


def run_child(args: list[str], *, env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """Run a child process; (wall seconds, exit code, peak RSS in KiB of that child)."""
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode not in (0,):
        tail = err.decode("utf-8", "replace")[-800:]
        raise RuntimeError(f"{' '.join(args[:3])}... exited {proc.returncode}:\n{tail}")
    return wall, proc.returncode, int(usage.ru_maxrss)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SIGNAL_PLUGINS", None)  # every installed vendor plugin
    env["SIGNAL_STATE"] = "memory://"
    return env


class Capture:
    """A raw HTTP server on 127.0.0.1 that records the bytes of each request."""

    def __init__(self) -> None:
        self.got: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, rest = buf.partition(b"\r\n\r\n")
                match = re.search(rb"\r\ncontent-length: *(\d+)", head, re.IGNORECASE)
                length = int(match.group(1)) if match else 0
                while len(rest) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    rest += data
                self.got.append(head + b"\r\n\r\n" + rest[:length])
                buf = rest[length:]
                conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.sock.close()


def same_bytes(vendor: str, count: int = 5) -> bool:
    """The four overhead modes put the same bytes on the wire for the same events."""
    cap = Capture()
    evs = events(count)
    seen: list[list[bytes]] = []
    try:
        sdk_r = Pipeline([integration(vendor, cap.url)], state="memory://")
        sdk_u = Pipeline(
            [integration(vendor, cap.url)], state="memory://", transport=Urllib3Transport()
        )
        reqs = built_requests(sdk_r, evs)
        loops = [RequestsLoop(reqs), Urllib3Loop(reqs), SdkLoop("r", sdk_r, evs)]
        loops.append(SdkLoop("u", sdk_u, evs))
        for loop in loops:
            start = len(cap.got)
            loop.run()
            loop.close()
            seen.append(cap.got[start:])
    finally:
        cap.close()
    return len(seen[0]) == count and all(s == seen[0] for s in seen)


# -- target 1: overhead ----------------------------------------------------------------------
def target_overhead(run: Run, nginx: str) -> None:
    # Short rounds, interleaved: a burst of load elsewhere hits all four loops alike.
    n, rounds = (300, 15) if run.quick else (500, 40)
    say(f"1. overhead: one thread, one event per request, to nginx ({n} events x {rounds})")
    for vendor in OVERHEAD_VENDORS:
        identical = same_bytes(vendor)
        evs = events(n)
        sdk_r = Pipeline(
            [integration(vendor, nginx)], state="memory://", transport=RequestsTransport()
        )
        sdk_u = Pipeline(
            [integration(vendor, nginx)], state="memory://", transport=Urllib3Transport()
        )
        reqs = built_requests(sdk_r, evs)
        loops = {
            "requests": RequestsLoop(reqs),
            "urllib3": Urllib3Loop(reqs),
            "sdk+requests": SdkLoop("sdk+requests", sdk_r, evs),
            "sdk+urllib3": SdkLoop("sdk+urllib3", sdk_u, evs),
        }
        for loop in loops.values():  # warm up: connections, caches, state keys
            loop.run()
        got: dict[str, list[float]] = {k: [] for k in loops}
        order = list(loops)
        for i in range(rounds):
            for name in order[i % 4 :] + order[: i % 4]:  # rotate who goes first
                got[name].append(rate(n, loops[name].run))
        for loop in loops.values():
            loop.close()
        note = "byte-identical requests" if identical else "REQUESTS DIFFER ON THE WIRE"
        t = "1 overhead"
        run.add(Row(t, f"{vendor}: requests.Session loop", "events/s", got["requests"]))
        run.add(Row(t, f"{vendor}: urllib3.PoolManager loop", "events/s", got["urllib3"]))
        run.add(Row(t, f"{vendor}: SDK, RequestsTransport", "events/s", got["sdk+requests"]))
        run.add(Row(t, f"{vendor}: SDK, Urllib3Transport", "events/s", got["sdk+urllib3"]))
        ratio_rows(
            run,
            t,
            f"{vendor}: SDK (urllib3) / requests loop",
            got["sdk+urllib3"],
            got["requests"],
            1.0,
            note=note,
        )
        ratio_rows(
            run,
            t,
            f"{vendor}: SDK (urllib3) / urllib3 loop",
            got["sdk+urllib3"],
            got["urllib3"],
            0.85,
            note=note,
        )
        ratio_rows(
            run,
            t,
            f"{vendor}: SDK (requests) / requests loop",
            got["sdk+requests"],
            got["requests"],
            1.0,
            judged=False,
            note="the requests-based transport, opt-in",
        )
        ratio_rows(
            run,
            t,
            f"{vendor}: SDK (requests) / urllib3 loop",
            got["sdk+requests"],
            got["urllib3"],
            0.85,
            judged=False,
            note="the requests-based transport, opt-in",
        )


# -- target 2: mapping cost ------------------------------------------------------------------
def target_mapping(run: Run) -> None:
    n, rounds = (5000, 5) if run.quick else (20000, 7)
    say(f"2. mapping cost: map + build + classify, no network ({n} events x {rounds})")
    for vendor in VENDORS:
        mapping_cost(run, vendor, n, rounds)


def mapping_cost(run: Run, vendor: str, n: int, rounds: int) -> None:
    status = 200 if vendor in ("kissmetrics", "knorex") else 204
    pipeline = Pipeline(
        [integration(vendor, "http://127.0.0.1:9")],
        state="memory://",
        transport=NullTransport(status),
    )
    [integ] = pipeline.integrations
    hooks = pipeline.hooks
    response = Response(status)
    raw = events(n)
    ready = [normalize(e) for e in raw]

    def map_build_classify(evs: list[Any], validate: bool) -> None:
        for item in evs:
            ev = normalize(item) if validate else item
            rule = integ.mapping.rule_for(ev.name)
            assert rule is not None
            payloads = hooks.map_event(ev, rule, integ)
            for payload in payloads:
                payload.event_id = ev.message_id
            request = hooks.build_request(payloads, integ)
            if integ.base_url:
                request = request.with_base_url(integ.base_url)
            hooks.classify_response(request, response, None, integ)

    def send_all() -> None:
        for item in raw:
            pipeline.send(item)

    send_all()  # warm up
    strict, full, whole = [], [], []
    for _ in range(rounds):
        strict.append(1e6 / rate(n, lambda: map_build_classify(ready, False)))
        full.append(1e6 / rate(n, lambda: map_build_classify(raw, True)))
        whole.append(1e6 / rate(n, send_all))
    pipeline.close()
    t = "2 mapping"
    ok = statistics.median(strict) <= 20.0
    run.add(Row(t, f"{vendor}: map + build + classify", "µs/event", strict, "<= 20 µs", ok))
    run.add(Row(t, f"{vendor}: normalize + map + build + classify", "µs/event", full))
    run.add(Row(t, f"{vendor}: whole send(), no-network transport", "µs/event", whole))


# -- target 3: fan-out -----------------------------------------------------------------------
def target_fanout(run: Run, slow: str) -> None:
    rounds = 9 if run.quick else 25
    say(f"3. fan-out: one event to four integrations {DELAY * 1000:g} ms away ({rounds} rounds)")
    fanout(run, slow, "RequestsTransport", RequestsTransport, rounds)
    fanout(run, slow, "Urllib3Transport", Urllib3Transport, rounds)


def fanout(run: Run, slow: str, label: str, factory: Any, rounds: int) -> None:
    def make(vendors: tuple[str, ...]) -> Pipeline:
        kw: dict[str, Any] = {"state": "memory://"}
        if factory is not None:
            kw["transport"] = factory()
        return Pipeline([integration(v, slow) for v in vendors], **kw)

    one, four = make(("kargo",)), make(VENDORS)
    single, fan = [], []
    for i in range(rounds + 1):
        ev = events(1, start=10_000 + i)[0]
        t0 = time.perf_counter()
        results = one.send(ev)
        t1 = time.perf_counter()
        results4 = four.send(ev)
        t2 = time.perf_counter()
        assert [r.status.value for r in results] == ["delivered"], results
        assert [r.status.value for r in results4] == ["delivered"] * 4, results4
        if i:  # the first round opens the connections
            single.append((t1 - t0) * 1000)
            fan.append((t2 - t1) * 1000)
    one.close()
    four.close()
    t = "3 fan-out"
    run.add(Row(t, f"{label}: send() to 1 integration", "ms", single))
    run.add(Row(t, f"{label}: send() to 4 integrations", "ms", fan))
    ratio_rows(run, t, f"{label}: 4 integrations / 1 integration", fan, single, 1.3, at_most=True)


# -- target 4: bulk --------------------------------------------------------------------------
def cli_send(config: Path, events_file: Path, workers: int, state: str) -> tuple[float, int]:
    args = [
        *signal_cmd(),
        "send",
        "-c",
        str(config),
        "--workers",
        str(workers),
        "--state",
        state,
        "--no-progress",
        str(events_file),
    ]
    wall, _, rss = run_child(args, env=child_env())
    return wall, rss


def target_bulk(run: Run, nginx: str, slow: str, tmp: Path) -> None:
    n, rounds = (5000, 2) if run.quick else (20000, 3)
    say(f"4. bulk: signal send --workers 32, {n} events ({rounds} rounds)")
    events_file = tmp / "bulk.jsonl"
    write_events(str(events_file), n)
    configs = {}
    for name, url in (("slow", slow), ("nginx", nginx)):
        configs[name] = tmp / f"bulk-{name}.json"
        configs[name].write_text(json.dumps(pipeline_file(["kargo"], url)))
    at_slow, at_nginx = [], []
    for _ in range(rounds):
        at_slow.append(n / cli_send(configs["slow"], events_file, 32, "memory://")[0])
        at_nginx.append(n / cli_send(configs["nginx"], events_file, 32, "memory://")[0])
    ideal = 32 / DELAY
    t = "4 bulk"
    run.add(
        Row(
            t,
            f"kargo, {DELAY * 1000:g} ms server: signal send --workers 32",
            "events/s",
            at_slow,
            note="wall time of the process, start-up included",
        )
    )
    run.add(Row(t, "kargo, nginx: same command (CPU-bound ceiling)", "events/s", at_nginx))
    ceiling = statistics.median(at_nginx)
    bound = min(ideal, ceiling)
    run.add(
        Row(
            t,
            f"events/s / min(ideal {ideal:g}, ceiling {ceiling:,.0f})",
            "x",
            [v / bound for v in at_slow],
            ">= 0.7x",
            statistics.median(at_slow) / bound >= 0.7,
        )
    )
    # The same bulk run in-process with the lean transport (information).
    evs = events(n)
    inproc = []
    for _ in range(rounds):
        with Pipeline(
            [integration("kargo", slow)], state="memory://", transport=Urllib3Transport()
        ) as pipeline:
            inproc.append(rate(n, lambda p=pipeline: p.send_many(evs, workers=32)))
    run.add(
        Row(
            t,
            "kargo, 50 ms server: send_many(workers=32), Urllib3Transport",
            "events/s",
            inproc,
            note="in-process, no start-up",
        )
    )


# -- target 5: batching ----------------------------------------------------------------------
def target_batching(run: Run, nginx: str, slow: str) -> None:
    rounds = 7 if run.quick else 15
    say(f"5. batching: Kameleoon send_many (batches of 100) vs send() per event ({rounds} rounds)")
    quick = run.quick
    batching(run, "nginx", nginx, 500 if quick else 1000, 5000 if quick else 10000, rounds)
    label = f"{DELAY * 1000:g} ms server"
    batching(run, label, slow, 20 if quick else 40, 1000 if quick else 2000, 3 if quick else 5)


def batching(run: Run, label: str, url: str, n_one: int, n_batch: int, rounds: int) -> None:
    kw: dict[str, Any] = {"state": "memory://", "transport": Urllib3Transport()}
    with Pipeline([integration("kameleoon", url)], **kw) as pipeline:
        one_evs, batch_evs = events(n_one), events(n_batch)
        pipeline.send(one_evs[0])
        summaries: list[Any] = []

        def one_by_one() -> None:
            for ev in one_evs:
                pipeline.send(ev)

        def batched_run() -> None:
            summaries.append(pipeline.send_many(batch_evs, workers=1))

        one, batched = [], []
        for _ in range(rounds):
            one.append(rate(n_one, one_by_one))
            batched.append(rate(n_batch, batched_run))
            delivered = summaries[-1].total("delivered")
            assert delivered == n_batch, summaries[-1].to_dict()
    t = "5 batching"
    judged = label == "nginx"
    run.add(Row(t, f"kameleoon, {label}: send() one event per request", "events/s", one))
    run.add(Row(t, f"kameleoon, {label}: send_many(workers=1), batched", "events/s", batched))
    what = f"kameleoon, {label}: batched / one per request"
    ratio_rows(run, t, what, batched, one, 10.0, judged=judged, note="" if judged else "info")


# -- target 6: memory ------------------------------------------------------------------------
def target_memory(run: Run, nginx: str, tmp: Path) -> None:
    big, small = (100_000, 10_000) if run.quick else (1_000_000, 100_000)
    say(f"6. memory: signal send over {big:,} and {small:,} events (peak RSS of the child)")
    config = tmp / "memory.json"
    config.write_text(json.dumps(pipeline_file(["kargo"], nginx)))
    peaks: dict[int, list[float]] = {}
    for count in (small, big):
        path = tmp / f"events-{count}.jsonl"
        write_events(str(path), count)
        rounds = 1 if count == big else 2
        peaks[count] = []
        for r in range(rounds):
            state = f"sqlite:///{tmp / f'state-{count}-{r}.db'}"
            wall, rss = cli_send(config, path, 8, state)
            peaks[count].append(rss / 1024)
            say(
                f"    {count:,} events: {wall:.0f} s, {count / wall:,.0f} events/s, "
                f"peak RSS {rss / 1024:.1f} MiB"
            )
        path.unlink()
    t = "6 memory"
    run.add(Row(t, f"peak RSS, {small:,} events", "MiB", peaks[small]))
    big_row = run.add(
        Row(t, f"peak RSS, {big:,} events", "MiB", peaks[big], "< 150 MiB", max(peaks[big]) < 150)
    )
    growth = [b / statistics.median(peaks[small]) for b in peaks[big]]
    run.add(
        Row(t, f"peak RSS {big:,} / {small:,} events", "x", growth, "<= 1.2x", max(growth) <= 1.2)
    )
    big_row.note = "state: a fresh SQLite file; --workers 8"


# -- target 7: start-up ----------------------------------------------------------------------
def target_startup(run: Run) -> None:
    rounds = 7 if run.quick else 15
    say(f"7. start-up: signal plugins vs python -c 'import requests' ({rounds} rounds)")
    env = child_env()
    plugins_s, requests_s = [], []
    for _ in range(rounds):
        plugins_s.append(run_child([*signal_cmd(), "plugins"], env=env)[0] * 1000)
        requests_s.append(run_child([sys.executable, "-c", "import requests"], env=env)[0] * 1000)
    t = "7 start-up"
    run.add(Row(t, "python -c 'import requests'", "ms", requests_s))
    from signal_core.plugins import get_plugin_manager

    names = ", ".join(sorted(info.name for info in get_plugin_manager().describe()))
    run.add(Row(t, f"signal plugins (plugins: {names})", "ms", plugins_s))
    ratio_rows(run, t, "signal plugins / import requests", plugins_s, requests_s, 2.0, at_most=True)


# -- chart -----------------------------------------------------------------------------------
def chart_workers(run: Run, slow: str) -> None:
    seconds = 1.0 if run.quick else 3.0
    workers = [1, 2, 4, 8, 16, 32, 64]
    say(f"chart: kargo events/s against workers, {DELAY * 1000:g} ms server")
    for label, factory in (
        ("RequestsTransport", RequestsTransport),
        ("Urllib3Transport", Urllib3Transport),
    ):
        points = []
        for w in workers:
            n = max(40, int(w / DELAY * seconds))
            kw: dict[str, Any] = {"state": "memory://"}
            if factory is not None:
                kw["transport"] = factory()
            with Pipeline([integration("kargo", slow)], **kw) as pipeline:
                pipeline.send_many(events(w, start=900_000), workers=w)  # connections
                evs = events(n)
                points.append(
                    (w, rate(n, lambda p=pipeline, e=evs, k=w: p.send_many(e, workers=k)))
                )
            say(f"    {label} workers={w}: {points[-1][1]:,.0f} events/s")
        run.chart[label] = points


def write_chart(run: Run, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    workers = [w for w, _ in next(iter(run.chart.values()))]
    ax.plot(workers, [w / DELAY for w in workers], "k:", label=f"ideal: workers / {DELAY:g} s")
    for label, points in run.chart.items():
        ax.plot([w for w, _ in points], [v for _, v in points], marker="o", label=f"SDK, {label}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(workers)
    ax.set_xticklabels([str(w) for w in workers])
    ax.set_xlabel("workers (send_many threads)")
    ax.set_ylabel("events/s")
    ax.set_title(f"Kargo, one event per request, vendor {DELAY * 1000:g} ms away")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# -- report ----------------------------------------------------------------------------------
def machine_note(run: Run) -> list[str]:
    nginx = nginx_binary() or "nginx"
    try:
        version = subprocess.run(  # noqa: S603
            [nginx, "-v"], capture_output=True, text=True, check=False
        ).stderr.strip()
    except OSError:
        version = "nginx ?"
    load_after = run.load_after or os.getloadavg()
    return [
        f"- {os.cpu_count()} cores ({platform.machine()}), {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; signal-core {__version__}, "
        f"requests {requests.__version__}, urllib3 {urllib3.__version__}; {version}.",
        f"- Load average before / after the run: {run.load_before[0]:.2f} / {load_after[0]:.2f} "
        "(1 min). The bench, nginx and the latency server share the 2 cores; anything else "
        "running at the same time shows up as a wider min..max span.",
    ]


def table(run: Run) -> list[str]:
    lines = [
        "| target | measurement | median | min .. max | unit | goal | result |",
        "|---|---|---:|---:|---|---|---|",
    ]
    for row in run.rows:
        span = f"{row.cell(min(row.values))} .. {row.cell(max(row.values))}"
        what = row.what + (f" ({row.note})" if row.note else "")
        lines.append(
            f"| {row.target} | {what} | {row.cell(row.median)} | {span} | {row.unit} | "
            f"{row.goal} | {row.verdict} |"
        )
    return lines


def summary(run: Run) -> list[str]:
    out = []
    targets: dict[str, list[Row]] = {}
    for row in run.rows:
        if row.passed is not None:
            targets.setdefault(row.target, []).append(row)
    for target, rows in targets.items():
        ok = all(r.passed for r in rows)
        misses = [
            f"{r.what}: {r.cell(r.median)}{'x' if r.unit == 'x' else ' ' + r.unit}"
            for r in rows
            if not r.passed
        ]
        out.append(
            f"- **{target}**: {'PASS' if ok else 'MISS'}"
            + ("" if ok else " — " + "; ".join(misses))
        )
    return out


def write_doc(run: Run, path: Path, chart: Path | None) -> None:
    kind = "quick run (`nox -s bench -- --quick`)" if run.quick else "full run (`nox -s bench`)"
    when = datetime.datetime.fromtimestamp(run.started).strftime("%Y-%m-%d %H:%M")
    took = run.minutes
    analysis = (HERE / "analysis.md").read_text() if (HERE / "analysis.md").exists() else ""
    lines = [
        "# Benchmarks",
        "",
        "Generated by `bench/run.py` (`nox -s bench`, not part of CI); do not edit the",
        "numbers by hand, run it again. The analysis at the end comes from",
        "`bench/analysis.md`.",
        "",
        f"This page shows a **{kind}** of {when}, {took:.0f} minutes.",
        "",
        "## Machine",
        "",
        *(run.machine or machine_note(run)),
        "",
        "## How it is measured",
        "",
        "- Vendors: nginx (Debian's nginx-light, `bench/nginx.conf`, one worker, 200 to GET, "
        "204 otherwise) on a free port of 127.0.0.1, and `bench/latency_server.py` (asyncio, "
        f"answers after {DELAY * 1000:g} ms) for a vendor far away.",
        "- Baselines in the same process send byte-identical requests (checked on a raw "
        "socket before each vendor's rows): the requests are built once with the plugin's "
        "`build_request` and replayed with a `requests.Session().post()/.get()` loop and a "
        "raw `urllib3.PoolManager` loop.",
        "- Each figure is the median of several rounds (min .. max beside it); the rounds of "
        "the compared loops are interleaved and each ratio is taken within a round.",
        '- Events are "Order Completed" purchases with distinct ids, mapped by every vendor.',
        "",
        "## Results",
        "",
        *table(run),
        "",
        "## Targets",
        "",
        *summary(run),
        "",
    ]
    if chart is not None:
        lines += [
            "## Events/s against workers",
            "",
            f"![events/s against workers]({chart.name})",
            "",
            "Kargo, `send_many` with N worker threads, vendor 50 ms away; the dotted line is "
            "the ideal N / 0.05 s.",
            "",
        ]
    if analysis:
        lines += [analysis.rstrip(), ""]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Signal SDK benchmarks (issue 9).")
    parser.add_argument("--quick", action="store_true", help="fewer events and rounds")
    parser.add_argument("--only", default="1,2,3,4,5,6,7,chart", help="targets to run")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument(
        "--render",
        metavar="JSON",
        help=f"only rewrite the document from a saved run (each run saves {LAST_RUN})",
    )
    args = parser.parse_args(argv)
    if args.render:
        run = load_run(Path(args.render))
        publish(run, Path(args.out))
        return 0
    only = set(args.only.split(","))
    run = Run(quick=args.quick)
    say(f"signal-core bench ({'quick' if args.quick else 'full'} run), {os.cpu_count()} cores")
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="signal-bench-")))
        nginx = stack.enter_context(Nginx())
        slow = stack.enter_context(LatencyServer(DELAY))
        say(f"nginx at {nginx}, latency server at {slow}")
        if "7" in only:
            target_startup(run)
        if "2" in only:
            target_mapping(run)
        if "1" in only:
            target_overhead(run, nginx)
        if "3" in only:
            target_fanout(run, slow)
        if "5" in only:
            target_batching(run, nginx, slow)
        if "4" in only:
            target_bulk(run, nginx, slow, tmp)
        if "chart" in only:
            chart_workers(run, slow)
        if "6" in only:
            target_memory(run, nginx, tmp)
    run.load_after = os.getloadavg()
    run.minutes = (time.time() - run.started) / 60
    run.machine = machine_note(run)
    say("")
    for line in table(run):
        say(line)
    say("")
    for line in summary(run):
        say(line)
    save_run(run, LAST_RUN)
    if not args.no_write:
        publish(run, Path(args.out))
    return 0


LAST_RUN = Path(tempfile.gettempdir()) / "signal-bench-last-run.json"


def save_run(run: Run, path: Path) -> None:
    data = {
        "quick": run.quick,
        "started": run.started,
        "load_before": run.load_before,
        "load_after": run.load_after,
        "minutes": run.minutes,
        "machine": run.machine,
        "chart": run.chart,
        "rows": [row.__dict__ for row in run.rows],
    }
    path.write_text(json.dumps(data, indent=1))


def load_run(path: Path) -> Run:
    data = json.loads(path.read_text())
    run = Run(quick=data["quick"], started=data["started"])
    run.load_before = tuple(data["load_before"])  # type: ignore[assignment]
    run.load_after = tuple(data["load_after"]) if data["load_after"] else None  # type: ignore[assignment]
    run.minutes = data["minutes"]
    run.machine = list(data.get("machine") or [])
    run.chart = {k: [(int(w), float(v)) for w, v in pts] for k, pts in data["chart"].items()}
    run.rows = [Row(**row) for row in data["rows"]]
    return run


def publish(run: Run, out: Path) -> None:
    chart = None
    if run.chart:
        chart = out.with_name("benchmarks-workers.png")
        write_chart(run, chart)
        say(f"wrote {chart}")
    write_doc(run, out, chart)
    say(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
