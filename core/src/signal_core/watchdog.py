"""The attempt deadline, shared by both transports.

A read timeout bounds each read, not the response: a server that drips its
status line one byte at a time never trips it. Each attempt registers the
socket it uses; a watchdog thread, ticking while attempts are in flight,
shuts that socket down once the attempt's deadline passed, which wakes the
blocked read. Shutting down (not closing) from another thread is safe: the
reading thread still owns the file descriptor and closes it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_local = threading.local()


class Attempt:
    """One attempt's deadline, its socket, and whether the deadline passed."""

    __slots__ = ("_lock", "deadline", "done", "expired", "sock")

    def __init__(self, deadline: float) -> None:
        self._lock = threading.Lock()
        self.deadline = deadline
        self.sock: socket.socket | None = None
        self.expired = False
        self.done = False

    def attach(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if self.done:
                return
            self.sock = sock
            expired = self.expired
        if expired:
            shutdown(sock)

    def expire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.expired = True
            sock = self.sock
        if sock is not None:
            shutdown(sock)

    def finish(self) -> bool:
        """Stop watching; ``True`` if the deadline passed (the socket is unusable)."""
        watchdog.forget(self)
        with self._lock:
            self.done = True
            self.sock = None
            return self.expired


def shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError, ValueError):  # not SSLSocket.shutdown: no TLS state
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _attach(sock: socket.socket | None) -> None:
    attempt = getattr(_local, "attempt", None)
    if attempt is not None:
        attempt.attach(sock)


class Watchdog:
    """Expires attempts past their deadline, checking every ``TICK`` seconds.

    Registering is a dict insert (no lock, no wake-up): cheap on the hot
    path. The thread runs while attempts are in flight and ends after a few
    idle seconds; the next attempt starts it again.
    """

    TICK = 0.05
    IDLE_EXIT = 5.0

    def __init__(self) -> None:
        self._active: dict[Attempt, None] = {}
        self._lock = threading.Lock()
        self._running = False

    def watch(self, attempt: Attempt) -> None:
        self._active[attempt] = None
        if not self._running:
            with self._lock:
                if not self._running:
                    self._running = True
                    threading.Thread(
                        target=self._run, name="signal-transport-watchdog", daemon=True
                    ).start()

    def forget(self, attempt: Attempt) -> None:
        self._active.pop(attempt, None)

    def _run(self) -> None:
        idle = 0.0
        while True:
            time.sleep(self.TICK)
            active = self._active.copy()
            if not active:
                idle += self.TICK
                if idle < self.IDLE_EXIT:
                    continue
                with self._lock:
                    self._running = False
                    if not self._active:
                        return
                    self._running = True
            idle = 0.0
            now = time.monotonic()
            for attempt in active:
                if attempt.deadline <= now:
                    self.forget(attempt)
                    attempt.expire()

    def after_fork(self) -> None:
        self._active = {}
        self._lock = threading.Lock()
        self._running = False


watchdog = Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=watchdog.after_fork)


class WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _attach(sock)  # watched from the TCP connect on: a TLS handshake is covered too
        return sock

    def connect(self) -> None:
        super().connect()
        _attach(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self.sock)  # a pooled connection is reused: watch its socket
        super().request(*args, **kwargs)


class WatchedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _attach(sock)  # watched from the TCP connect on: a TLS handshake is covered too
        return sock

    def connect(self) -> None:
        super().connect()
        _attach(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _attach(self.sock)
        super().request(*args, **kwargs)


class WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


POOL_CLASSES = {"http": WatchedHTTPConnectionPool, "https": WatchedHTTPSConnectionPool}


@contextlib.contextmanager
def watching(deadline: float) -> Iterator[Attempt]:
    """Watch the sockets this thread opens or reuses until ``deadline``."""
    attempt = Attempt(deadline)
    watchdog.watch(attempt)
    previous = getattr(_local, "attempt", None)
    _local.attempt = attempt
    try:
        yield attempt
    finally:
        _local.attempt = previous
