from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from signal_core import Pipeline
from signal_core.testing import FakeClock, Sandbox

# pytest runs with --import-mode=importlib, so make the helper module importable.
sys.path.insert(0, str(Path(__file__).parent))

from kargo_testkit import integration


@pytest.fixture
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox().start()
    yield sandbox
    # Sandbox.stop() blocks for up to the server's 0.5 s poll interval; stop in
    # the background so the suite stays fast (the port is never reused by us).
    threading.Thread(target=sandbox.stop, daemon=True).start()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_pipeline(box: Sandbox, clock: FakeClock) -> Any:
    made: list[Pipeline] = []

    def make(**config: Any) -> Pipeline:
        pipeline = Pipeline([integration(box, **config)], clock=clock)
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.close()
