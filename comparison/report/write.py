"""Writing the side-by-side report: ``comparison.json``, ``comparison.md`` and ``comparison.html``.

Before anything is written, every rendering is searched for the PII values the run used; a report that
would re-leak one is refused and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from comparison.audit.pii import PiiMatcher, PiiValue
from comparison.report.html import render_html
from comparison.report.model import ComparisonReport, ScenarioComparison, build_scenarios, render_json
from comparison.report.text import print_side_by_side, render_markdown, render_terminal

__all__ = [
    "ComparisonReport",
    "ReportLeakError",
    "ReportPaths",
    "ScenarioComparison",
    "build_scenarios",
    "print_side_by_side",
    "render_html",
    "render_json",
    "render_markdown",
    "render_terminal",
    "write_reports",
]


class ReportLeakError(Exception):
    """A rendered report contains a searched PII value; nothing was written."""


@dataclass(frozen=True)
class ReportPaths:
    json: Path
    markdown: Path
    html: Path


def write_reports(report: ComparisonReport, directory: Path, *, pii: Sequence[PiiValue] = ()) -> ReportPaths:
    """Write the three reports into ``directory`` after checking none contains a value of ``pii``."""
    paths = ReportPaths(directory / "comparison.json", directory / "comparison.md", directory / "comparison.html")
    rendered = {paths.json: render_json(report), paths.markdown: render_markdown(report),
                paths.html: render_html(report)}
    matcher = PiiMatcher(pii)
    for path, text in rendered.items():
        found = matcher.find(text) | matcher.find(unescape(text))
        if found:
            labels = ", ".join(sorted(matcher.values[index].label for index in found))
            raise ReportLeakError(f"{path.name}: would contain searched PII value(s) {labels}; nothing written")
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in rendered.items():
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    return paths
