"""``make bench`` (``python -m bench``): what the protection costs, measured on this machine, in ``reports/bench.json``.

Each engine contributes a :class:`Bench` that returns named top-level sections; :mod:`bench.report` merges them
into the report, so one bench can be re-run without losing the others' figures. To add one: a module with a
``BENCH`` object satisfying :class:`Bench`, listed in ``bench.__main__.BENCHES``.

Sizes: ``full`` is what ``make bench`` measures; ``tiny`` runs every code path in seconds, so a test in
``make test`` keeps the benches from rotting (it asserts structure and counts, never times).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bench.progress import Progress

Sections = dict[str, dict[str, Any]]


class Size(StrEnum):
    FULL = "full"
    TINY = "tiny"


class Bench(Protocol):
    @property
    def name(self) -> str: ...

    async def run(self, size: Size, workdir: Path, progress: Progress) -> Sections:
        """Measure; ``workdir`` is a scratch directory (logs, databases) removed afterwards; ``progress`` says what
        the bench is doing, how far along and what is left (``make bench`` prints it)."""
        ...

    def summary(self, sections: Sections) -> list[str]:
        """One line per headline figure, for the terminal."""
        ...
