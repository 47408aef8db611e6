"""Where the CLI keeps state when nothing says otherwise."""

from __future__ import annotations

import os
from pathlib import Path

STATE_ENV = "SIGNAL_STATE"


def default_state_url() -> str:
    """``$SIGNAL_STATE``, else ``sqlite:///$XDG_STATE_HOME/signal/state.db``
    (``~/.local/state/signal/state.db`` when ``XDG_STATE_HOME`` is unset)."""
    env = os.environ.get(STATE_ENV)
    if env:
        return env
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return f"sqlite:///{Path(base) / 'signal' / 'state.db'}"


def resolve_state(flag: str | None, from_file: object) -> str | None:
    """The flag wins, then the pipeline file's ``state``, then the default."""
    if flag:
        return flag
    if isinstance(from_file, str) and from_file:
        return None  # the pipeline file's own setting applies
    return default_state_url()
