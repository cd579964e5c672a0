"""Progress lines for ``make bench``, in the demo's format (elapsed time first, one line per event, readable in a
terminal and in a CI log alike), with how far a step has come and an estimate of what is left.

``[  42.1s] temporal throughput: 7/24 batches (hardened 50 in 3.9s), about 66s left``: the estimate is the mean time
per finished unit times the units left, so it settles as the step goes on.
"""

from __future__ import annotations

import io
import sys
import time
from typing import TextIO

from comparison.engines.runs import ProgressPrinter


class Step:
    """``total`` units of one kind of work; :meth:`advance` after each prints where the step is."""

    def __init__(self, say: ProgressPrinter, label: str, total: int, unit: str) -> None:
        if total < 1:
            raise ValueError("total: at least 1")
        self._say, self.label, self.total, self.unit = say, label, total, unit
        self.done = 0
        self._started = time.monotonic()
        say(f"{label}: {total} {unit}")

    def advance(self, note: str = "") -> None:
        self.done = min(self.done + 1, self.total)
        elapsed = time.monotonic() - self._started
        left = elapsed / self.done * (self.total - self.done)
        detail = f" ({note})" if note else ""
        tail = f", about {left:.0f}s left" if self.done < self.total else f", done in {elapsed:.1f}s"
        self._say(f"{self.label}: {self.done}/{self.total} {self.unit}{detail}{tail}")


class Progress:
    """What the bench is doing, on ``stream`` (standard error by default, so the summary on standard output stays
    clean to pipe)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._say = ProgressPrinter(stream if stream is not None else sys.stderr)

    def __call__(self, message: str) -> None:
        self._say(message)

    def step(self, label: str, total: int, unit: str) -> Step:
        return Step(self._say, label, total, unit)


class _Discard(io.StringIO):
    def write(self, text: str) -> int:
        return len(text)


SILENT = Progress(_Discard())  # for callers (tests, libraries) that want the figures only
