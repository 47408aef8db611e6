"""A small progress line on stderr, redrawn at most ten times a second."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.counts: Counter[str] = Counter()
        self._last = 0.0
        self._started = time.monotonic()

    def update(self, status: str) -> None:
        self.counts[status] += 1
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last >= 0.1:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        done = sum(self.counts.values())
        rate = done / max(now - self._started, 1e-6)
        parts = " ".join(f"{k}={v}" for k, v in sorted(self.counts.items()))
        self.stream.write(f"\r{done} results ({rate:,.0f}/s) {parts}\x1b[K")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled and self.counts:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
