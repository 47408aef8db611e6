"""The pytest plugin of the test kit, registered by the core's ``pytest11`` entry point.

Installing ``signal-core`` makes these fixtures available to every test
suite, with no import and no ``conftest.py``:

``signal_sandbox``
    A started :class:`~signal_core.testing.Sandbox` (a recording HTTP server
    on 127.0.0.1 answering ``204``); point an integration's ``base_url`` at
    ``signal_sandbox.url``. Stopped after the test.
``signal_sandbox_factory``
    ``signal_sandbox_factory(503, Reply(200, body=b"ok"), default=204)``: a
    fresh sandbox whose first answers are scripted.
``fake_clock``
    A :class:`~signal_core.testing.FakeClock`: pass it as
    ``Pipeline(clock=...)``; retries never sleep and ``fake_clock.sleeps``
    holds the backoff schedule.
``make_event``
    :func:`signal_core.testing.make_event`, the event builder.
``signal_plugin_manager``
    A fresh plugin manager holding only the core's defaults (no installed
    plugin is loaded).
``register_plugin``
    ``register_plugin(plugin, name=None)`` registers a plugin (a module, a
    class or an object with hook implementations) on
    ``signal_plugin_manager`` for this test only and returns the manager, for
    ``Pipeline(..., plugin_manager=pm)``.
``signal_pipeline``
    ``signal_pipeline(integrations, **kwargs)`` makes a ``Pipeline`` with
    ``clock=fake_clock`` and, when ``register_plugin`` was used, the plugin
    manager holding those plugins (else the installed plugins). Closed after
    the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

# Plain ``assert`` statements of the conformance suite explain themselves.
pytest.register_assert_rewrite("signal_core.testing.conformance")

if TYPE_CHECKING:
    from ..pipeline import Pipeline
    from ..plugins import PluginManager
    from ..sandbox import Reply, Sandbox
    from .fakes import FakeClock


def stop_in_background(box: Sandbox) -> None:
    """``Sandbox.stop`` waits for the server's poll interval; don't make the test wait."""
    threading.Thread(target=box.stop, name="signal-sandbox-stop", daemon=True).start()


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock that never sleeps (``sleeps`` records the waits; random draw pinned to 1.0)."""
    from .fakes import FakeClock

    return FakeClock()


@pytest.fixture
def signal_sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    """``make(*replies, default=204)``: a started loopback sandbox with scripted replies."""
    from ..sandbox import Sandbox

    boxes: list[Sandbox] = []

    def make(*replies: Reply | int, default: Reply | int = 204) -> Sandbox:
        box = Sandbox(replies, default=default).start()
        boxes.append(box)
        return box

    yield make
    for box in boxes:
        stop_in_background(box)


@pytest.fixture
def signal_sandbox(signal_sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A started loopback sandbox answering ``204`` to everything, recording each request."""
    return signal_sandbox_factory()


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    """The event builder :func:`signal_core.testing.make_event`."""
    from .builders import make_event as build

    return build


@pytest.fixture
def signal_plugin_manager() -> PluginManager:
    """A fresh plugin manager with the core's defaults and no installed plugin."""
    from ..plugins import get_plugin_manager

    return get_plugin_manager(load_entrypoints=False)


@pytest.fixture
def register_plugin(
    signal_plugin_manager: PluginManager,
) -> Iterator[Callable[..., PluginManager]]:
    """``register_plugin(plugin, name=None) -> PluginManager``, undone after the test."""
    names: list[str] = []

    def register(plugin: object, name: str | None = None) -> PluginManager:
        registered = signal_plugin_manager.register(plugin, name=name)
        if registered is None:
            raise ValueError(f"plugin {name or plugin!r} is blocked and was not registered")
        names.append(registered)
        signal_plugin_manager.check_pending()
        return signal_plugin_manager

    yield register
    for name in reversed(names):
        if signal_plugin_manager.get_plugin(name) is not None:
            signal_plugin_manager.unregister(name=name)


@pytest.fixture
def signal_pipeline(
    fake_clock: FakeClock, signal_plugin_manager: PluginManager
) -> Iterator[Callable[..., Pipeline]]:
    """``signal_pipeline(integrations, **kwargs)``: a Pipeline on the fake clock, closed after."""
    from ..pipeline import Pipeline

    made: list[Pipeline] = []

    def make(integrations: Any, **kwargs: Any) -> Pipeline:
        kwargs.setdefault("clock", fake_clock)
        registered = [n for n, _ in signal_plugin_manager.list_name_plugin()]
        if len(registered) > 1:  # more than the core's defaults: use what the test registered
            kwargs.setdefault("plugin_manager", signal_plugin_manager)
        pipeline = Pipeline(list(integrations), **kwargs)
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.close()
