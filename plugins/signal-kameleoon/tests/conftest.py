from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from signal_core import Pipeline
from signal_core.testing import FakeClock, Sandbox

# pytest runs with --import-mode=importlib: make the helper module importable.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox().start()
    yield sandbox
    # stop() waits up to the server's 0.5 s poll interval: do it in the background.
    threading.Thread(target=sandbox.stop, daemon=True).start()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_pipeline(clock: FakeClock) -> Iterator[Any]:
    made: list[Pipeline] = []

    def make(*integrations: dict[str, Any]) -> Pipeline:
        pipeline = Pipeline(list(integrations), clock=clock)
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.close()
