"""Fixtures of the end-to-end tests: loopback sandboxes, fake clock, pipelines.

Only the test-only ``echo`` plugin is loaded and state stays in memory, so
nothing outside the test's tmp_path is read or written.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: make the kit importable

from signal_core import Pipeline
from signal_core.plugins import PluginManager, get_plugin_manager
from signal_core.testing import FakeClock, Reply, Sandbox


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SIGNAL_PLUGINS", "echo")
    monkeypatch.setenv("SIGNAL_STATE", "memory://")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


def _stop_soon(box: Sandbox) -> None:
    # Sandbox.stop() waits up to the server's 0.5 s poll interval; stop in the
    # background so the suite stays fast.
    threading.Thread(target=box.stop, daemon=True).start()


@pytest.fixture
def make_box() -> Iterator[Callable[..., Sandbox]]:
    boxes: list[Sandbox] = []

    def make(
        *replies: Reply | int, default: Reply | int = 204, cls: type = Sandbox, **kw: Any
    ) -> Sandbox:
        box = cls(**kw) if cls is not Sandbox else Sandbox(replies, default=default)
        box.start()
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        _stop_soon(box)


@pytest.fixture
def box(make_box: Callable[..., Sandbox]) -> Sandbox:
    return make_box()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def plugin_manager() -> PluginManager:
    return get_plugin_manager()


@pytest.fixture
def make_pipeline(clock: FakeClock) -> Iterator[Callable[..., Pipeline]]:
    made: list[Pipeline] = []

    def make(integrations: list[Any], **kw: Any) -> Pipeline:
        kw.setdefault("clock", clock)
        pipeline = Pipeline(integrations, **kw)
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.close()


@pytest.fixture
def register_plugin(
    plugin_manager: PluginManager,
) -> Iterator[Callable[[object, str], PluginManager]]:
    """Register a plugin object for one test; it is unregistered afterwards."""
    names: list[str] = []

    def register(plugin: object, name: str) -> PluginManager:
        plugin_manager.register(plugin, name=name)
        names.append(name)
        return plugin_manager

    yield register
    for name in names:
        if plugin_manager.get_plugin(name) is not None:
            plugin_manager.unregister(name=name)
