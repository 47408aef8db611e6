"""Test helpers shipped with the core: a fake clock and the recording sandbox.

``FakeClock`` never sleeps: ``sleep`` advances its time and records the
duration, and ``random`` returns a pinned draw (1.0 by default), so backoff
schedules are exact.
"""

from __future__ import annotations

import threading

from .sandbox import Recorded, Reply, Sandbox

__all__ = ["FakeClock", "Recorded", "Reply", "Sandbox"]


class FakeClock:
    def __init__(self, *, start: float = 1_750_000_000.0, draw: float = 1.0) -> None:
        self._now = 0.0
        self._wall = start
        self.draw = draw
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def time(self) -> float:
        with self._lock:
            return self._wall + self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def random(self) -> float:
        return self.draw
