"""The HTML report as a real browser shows it: Debian's Chromium through Playwright (``tests/support/browser.py``).

``open_report(path)`` loads the page and returns what the tests check: the sections (``h2`` ids), how much each one
lays out (height in pixels, characters of text, up to the next section), the charts' widths, the counts of a few
tables' cells, and every console error or uncaught exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.support.browser import launch_options

_SECTION = """id => {
    let node = document.getElementById(id).nextElementSibling, height = 0, text = 0;
    while (node && node.tagName !== 'H2') {
        height += node.getBoundingClientRect().height; text += node.innerText.trim().length;
        node = node.nextElementSibling;
    }
    return {height, text};
}"""


@dataclass(frozen=True)
class RenderedPage:
    sections: list[str]
    section_sizes: dict[str, dict[str, float]]  # section id -> {"height": px, "text": characters}
    chart_widths: list[float]
    matrix_cells: int
    sensitivity_rows: int
    errors: list[str]


def open_report(path: Path) -> RenderedPage:
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options())
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(path.resolve().as_uri())
            sections: list[str] = page.eval_on_selector_all("h2", "nodes => nodes.map(n => n.id)")
            return RenderedPage(
                sections=sections,
                section_sizes={section: page.evaluate(_SECTION, section) for section in sections},
                chart_widths=page.eval_on_selector_all("svg.chart",
                                                       "nodes => nodes.map(n => n.getBoundingClientRect().width)"),
                matrix_cells=page.locator("table.matrix td.mark").count(),
                sensitivity_rows=page.locator("table.sensitivity tbody tr").count(),
                errors=errors,
            )
        finally:
            browser.close()
