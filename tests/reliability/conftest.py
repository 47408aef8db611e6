"""Fixtures of the reliability suite: fault servers, pipelines of every vendor, log capture.

Every vendor plugin is loaded (the parent conftest loads only ``echo``); state
stays in memory unless a test gives a path under its tmp_path.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make helpers importable

from faultserver import FaultServer, self_signed_context
from reliability_kit import ALL_PLUGINS
from signal_core import Pipeline
from signal_core.testing import FakeClock


@pytest.fixture(autouse=True)
def _all_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAL_PLUGINS", ALL_PLUGINS)


@pytest.fixture
def fault_server() -> Iterator[Callable[..., FaultServer]]:
    """``fault_server(*script, default=..., routes=..., tls=..., chooser=...)``, started."""
    servers: list[FaultServer] = []

    def make(*script: Any, **kw: Any) -> FaultServer:
        server = FaultServer(*script, **kw).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        threading.Thread(target=server.stop, daemon=True).start()


@pytest.fixture(scope="session")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return self_signed_context(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pipelines(clock: FakeClock) -> Iterator[Callable[..., Pipeline]]:
    """``pipelines(integrations, **kw)``: a Pipeline (FakeClock unless ``clock=None``)."""
    made: list[Pipeline] = []

    def make(integrations: list[Any], **kw: Any) -> Pipeline:
        kw.setdefault("clock", clock)
        if kw["clock"] is None:
            del kw["clock"]
        pipeline = Pipeline(integrations, **kw)
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.close()


class RecordList(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._guard:
            self.records.append(record)


@pytest.fixture
def debug_logs() -> Iterator[RecordList]:
    """Every log record of the test, root logger and urllib3 at DEBUG."""
    handler = RecordList()
    root = logging.getLogger()
    urllib3_logger = logging.getLogger("urllib3")
    saved = (root.level, urllib3_logger.level)
    root.setLevel(logging.DEBUG)
    urllib3_logger.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    root.setLevel(saved[0])
    urllib3_logger.setLevel(saved[1])


@pytest.fixture
def send_one(pipelines: Callable[..., Pipeline]) -> Callable[..., Any]:
    """``send_one(vendor, base_url, retry=..., event=..., **options) -> (result, pipeline)``."""
    from reliability_kit import integration, order

    def send(
        vendor: str,
        base_url: str,
        *,
        retry: dict[str, Any] | None = None,
        event: dict[str, Any] | None = None,
        pipeline_kw: dict[str, Any] | None = None,
        **options: Any,
    ) -> Any:
        pipeline = pipelines(
            [integration(vendor, base_url, retry=retry, **options)], **(pipeline_kw or {})
        )
        [result] = pipeline.send(event or order())
        return result, pipeline

    return send
