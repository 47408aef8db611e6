"""The docs must keep up with the code: every hook has a section headed by its signature."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from signal_core import hookspecs

ROOT = Path(__file__).resolve().parents[1]
HOOKS_DOC = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")


def _hookspecs() -> list[str]:
    return [
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "signal_spec")
    ]


def _signature(name: str) -> str:
    params = inspect.signature(getattr(hookspecs, name)).parameters
    return f"{name}({', '.join(params)})"


def test_hookspecs_are_found() -> None:
    assert {"map_event", "build_request", "classify_response", "declare_vendors"} <= set(
        _hookspecs()
    )


@pytest.mark.parametrize("name", _hookspecs())
def test_every_hook_has_a_section_headed_by_its_signature(name: str) -> None:
    headings = re.findall(r"^## `([^`]+)`\s*$", HOOKS_DOC, flags=re.M)
    assert _signature(name) in headings, f"docs/hooks.md has no '## `{_signature(name)}`' section"


def test_no_section_for_a_hook_that_does_not_exist() -> None:
    headings = re.findall(r"^## `(\w+)\(", HOOKS_DOC, flags=re.M)
    assert set(headings) == set(_hookspecs())
