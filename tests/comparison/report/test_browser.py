"""The sample report in a real browser (Chromium): every section lays out with content, no console error. The demo's
own page gets the same check in ``tests/comparison/test_demo.py``."""

from __future__ import annotations

from pathlib import Path

from comparison.models import Engine
from comparison.report.write import write_reports
from tests.comparison.page import open_report
from tests.comparison.sample import sample_report


def test_every_section_of_the_sample_renders_without_console_errors(tmp_path: Path) -> None:
    report, values = sample_report()
    paths = write_reports(report, tmp_path, pii=values)
    page = open_report(paths.html)
    assert page.errors == []
    assert page.sections == ["parity", "exposure", "cost", "access", "compliance", "notes"]
    for section, size in page.section_sizes.items():
        assert size["height"] > 20 and size["text"] > 20, (section, size)
    assert len(page.chart_widths) == 2 and min(page.chart_widths) > 100
    assert report.access is not None and report.cost is not None
    stores = sum(len(item.stores) for item in report.access.engines.values())
    assert page.matrix_cells == stores * (len(report.access.principals) + 1)
    assert page.sensitivity_rows == len(report.cost.sensitivity) * len(Engine)
