"""Shared fixtures of the core's unit tests.

Only the test-only ``echo`` plugin is loaded (``SIGNAL_PLUGINS=echo``), so
the vendor plugins being developed in ``plugins/`` never change what these
tests see.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _only_echo_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAL_PLUGINS", "echo")
