"""``reports/bench.json``: top-level sections, each written by one bench and replaced only when it runs again."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import Sections, Size

DEFAULT_REPORT = Path("reports/bench.json")


def environment(size: Size, *, command: str, load_before: tuple[float, float, float] | None = None) -> dict[str, Any]:
    """Where and how a section was measured: the command line that produced it; figures only compare within one
    machine and size; the load average (1, 5, 15 minutes) before and after the bench, as other work on a shared
    machine moves wall times."""
    return {
        "load_average_before": [round(v, 2) for v in load_before] if load_before else None,
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": size.value,
        "command": command,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


def merge(path: Path, sections: Sections) -> dict[str, Any]:
    """Replace ``sections`` in the report at ``path`` (created if missing), keep every other section."""
    document = _read(path)
    document.update(sections)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write-then-rename: an interrupted bench never leaves a truncated report behind.
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
        handle.write("\n")
    Path(handle.name).replace(path)
    return document


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as error:
        raise ValueError(f"{path} is not valid JSON ({error}); move it away to start a new report") from None
    if not isinstance(document, dict):
        raise ValueError(f"{path} does not hold a JSON object; move it away to start a new report")
    return document
