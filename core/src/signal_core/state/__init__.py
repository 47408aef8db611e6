"""State backends: the identity store (keys with expiry) and the dead letters.

Pick one with :func:`open_store` and a URL:

``memory://``
    In-process, lost at exit; for tests and one-shot runs.
``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db``
    The embedded default, safe for several threads and processes on one
    machine. After ``sqlite://`` comes an empty host and ``/``; what follows is
    the path, so three slashes mean a path relative to the working directory
    and four an absolute one (as in SQLAlchemy). ``~`` is expanded and
    ``%20``-style escapes are decoded.
``redis://[:password@]host:6379/0``, ``rediss://...`` (TLS)
    Shared by several machines; needs ``pip install signal-core[redis]``.
"""

from __future__ import annotations

import time
from typing import Callable
from urllib.parse import unquote

from ..errors import ConfigError
from .base import Store, mask_url
from .memory import MemoryStore
from .records import DeadLetter, dead_letter_key
from .sqlite import SQLiteStore

__all__ = [
    "DeadLetter",
    "MemoryStore",
    "SQLiteStore",
    "Store",
    "dead_letter_key",
    "mask_url",
    "open_store",
]

_SCHEMES = "memory://, sqlite:///path/state.db or redis://host:6379/0"


def open_store(url: str, *, now: Callable[[], float] = time.time) -> Store:
    """The state backend ``url`` names; ``ConfigError(field="state")`` if it names none.

    ``now`` is the clock expiry is measured with (epoch seconds).
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ConfigError(f"not a state URL: {mask_url(url)!r}; use {_SCHEMES}", field="state")
    if scheme == "memory":
        if rest not in ("", "/"):
            raise ConfigError(
                f"a memory:// URL takes no host or path: {mask_url(url)!r}", field="state"
            )
        return MemoryStore(now=now)
    if scheme == "sqlite":
        return SQLiteStore(_sqlite_path(url, rest), now=now)
    if scheme in ("redis", "rediss"):
        from .redis_store import RedisStore

        return RedisStore(url, now=now)
    raise ConfigError(
        f"unsupported state URL scheme {scheme!r} in {mask_url(url)!r}; use {_SCHEMES}",
        field="state",
    )


def _sqlite_path(url: str, rest: str) -> str:
    shown = mask_url(url)
    if "?" in rest or "#" in rest:
        raise ConfigError(f"a sqlite:// URL takes no query or fragment: {shown!r}", field="state")
    host, slash, path = rest.partition("/")
    if host or not slash:
        raise ConfigError(
            f"a sqlite URL has no host: write sqlite:///relative/path.db or "
            f"sqlite:////absolute/path.db, not {shown!r}",
            field="state",
        )
    path = unquote(path)
    if not path or path.endswith("/") or path == ":memory:":
        raise ConfigError(f"a sqlite URL needs a database file path: {shown!r}", field="state")
    return path
