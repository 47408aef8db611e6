"""Fixtures of the state backend suite: a fake clock, one store per backend.

The Redis backend runs against a real ``redis-server`` started here on a free
127.0.0.1 port (no persistence, in a temporary directory) for the session. Its
tests are skipped only when the ``redis-server`` binary or the ``redis``
Python package is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest
from signal_core.state import Store, open_store

BACKENDS = ("memory", "sqlite", "redis")


class FakeClock:
    """A ``now`` callable that only moves when told to."""

    def __init__(self, start: float = 1_700_000_000.25) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_redis(binary: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    import redis

    last_error = ""
    for _ in range(3):  # the free port may be taken before redis-server binds it
        port = _free_port()
        log = workdir / f"redis-{port}.log"
        proc = subprocess.Popen(
            [
                binary,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(workdir),
                "--logfile", str(log),
                "--daemonize", "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 15.0
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    client.ping()
                    return proc, url
                except redis.ConnectionError:
                    time.sleep(0.05)  # waiting for the server to accept connections
        finally:
            client.close()
        _stop(proc)
        last_error = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"redis-server did not start:\n{last_error}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a private redis-server, started once per session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server binary not found on PATH (apt-get install redis-server)")
    if importlib.util.find_spec("redis") is None:
        pytest.skip("the redis Python package is not installed (pip install 'signal-core[redis]')")
    proc, url = _start_redis(binary, tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        _stop(proc)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Any]:
    """A raw client on an emptied database, to look at the key layout."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'state.db'}"
    request.getfixturevalue("redis_client")  # empties the database
    return str(request.getfixturevalue("redis_url"))


@pytest.fixture
def make_store(store_url: str, clock: FakeClock) -> Iterator[Callable[[], Store]]:
    """Opens stores on this test's backend (same URL, same clock); closes them after."""
    opened: list[Store] = []

    def make() -> Store:
        store = open_store(store_url, now=clock)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[[], Store]) -> Store:
    return make_store()
