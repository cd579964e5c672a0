"""Inline SVG charts for the HTML report: the exposure heat map and the cost-vs-volume chart.

Plain SVG text (no scripts, no external references), so the page reads from a file with no server.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

from comparison.audit.exposure import ExposureAudit, channel_names
from comparison.cost.compare import CostComparison
from comparison.models import Engine
from comparison.report.formatting import fmt_usd, fmt_volume
from contract.profile import Profile

ENGINE_COLOURS = {Engine.TEMPORAL: "#6f42c1", Engine.STEPFUNCTIONS: "#c2410c"}
# Engines without a colour of their own take one of these, by their position in Engine.
_SPARE_COLOURS = ("#0969da", "#1a7f37", "#bf8700", "#cf222e")
_FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\""


def engine_colour(engine: Engine) -> str:
    return ENGINE_COLOURS.get(engine) or _SPARE_COLOURS[list(Engine).index(engine) % len(_SPARE_COLOURS)]


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "start", weight: str = "normal",
          fill: str = "#1f2328") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}">{escape(text)}</text>')


def _heat_colour(hits: int, peak: int) -> tuple[str, str]:
    """Background and text colour: green for zero, deepening red with more hits (log scale)."""
    if hits == 0:
        return "#dafbe1", "#116329"
    share = math.log1p(hits) / math.log1p(max(peak, 1))
    low, high = (255, 235, 233), (207, 34, 46)
    rgb = tuple(round(a + (b - a) * (0.25 + 0.75 * share)) for a, b in zip(low, high, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb), ("#ffffff" if share > 0.45 else "#82071e")


def heatmap_svg(exposure: Mapping[Engine, Mapping[Profile, ExposureAudit]], engines: Sequence[Engine]) -> str:
    """One panel per engine: rows are channels (those of its audits), columns are profiles, cells are plaintext
    hits; an engine without an audit gets a panel saying so."""
    label_w, cell_w, cell_h, gap, top = 250, 104, 34, 40, 58
    panel_w = label_w + cell_w * len(Profile)
    channels = {engine: channel_names(exposure.get(engine, {}).values()) for engine in engines}
    rows = max([len(names) or 1 for names in channels.values()] or [1])
    width, height = panel_w * len(engines) + gap * max(len(engines) - 1, 0) + 2, top + rows * cell_h + 30
    peak = max([a.channels[c].plaintext_hits for e in exposure.values() for a in e.values() for c in a.channels] or [0])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart heatmap" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="Plaintext PII hits by channel, engine and '
             f'profile" {_FONT}>']
    for index, engine in enumerate(engines):
        x0 = index * (panel_w + gap) + 1
        parts.append(_text(x0, 18, engine.display_name, size=15, weight="600", fill=engine_colour(engine)))
        for col, profile in enumerate(Profile):
            parts.append(_text(x0 + label_w + col * cell_w + cell_w / 2, top - 10, profile.value, anchor="middle",
                               weight="600"))
        audits = exposure.get(engine, {})
        if not channels[engine]:
            parts.append(_text(x0 + label_w - 10, top + cell_h / 2 + 4, "not audited", anchor="end", fill="#6e7781"))
        for row, channel in enumerate(channels[engine]):
            y = top + row * cell_h
            parts.append(_text(x0 + label_w - 10, y + cell_h / 2 + 4, channel, anchor="end"))
            for col, profile in enumerate(Profile):
                parts += _cell(x0 + label_w + col * cell_w, y, (cell_w, cell_h), engine=engine, profile=profile,
                               channel=channel, audit=audits.get(profile), peak=peak)
    parts.append(_text(1, height - 8, "cells: plaintext hits (searched value found in clear in one stored field); "
                       "green = none", size=11, fill="#57606a"))
    parts.append("</svg>")
    return "\n".join(parts)


def _cell(x: float, y: float, size: tuple[int, int], *, engine: Engine, profile: Profile, channel: str,
          audit: ExposureAudit | None, peak: int) -> list[str]:
    cell_w, cell_h = size
    item = None if audit is None else audit.channels.get(channel)
    if item is None:
        fill, ink, label, tip = "#f6f8fa", "#6e7781", "n/a", "not run"
    else:
        fill, ink = _heat_colour(item.plaintext_hits, peak)
        label = str(item.plaintext_hits)
        tip = (f"{item.plaintext_hits} hits, {item.values_exposed} distinct values, "
               f"{item.ciphertext_payloads} ciphertext payloads, {item.strings_scanned} strings scanned")
    title = escape(f"{engine.display_name} {profile.value} {channel}: {tip}")
    return [f'<rect class="cell" x="{x + 1}" y="{y + 1}" width="{cell_w - 2}" height="{cell_h - 2}" '
            f'rx="4" fill="{fill}"><title>{title}</title></rect>',
            _text(x + cell_w / 2, y + cell_h / 2 + 5, label, size=14, anchor="middle", weight="600", fill=ink)]


def _compact_usd(value: float) -> str:
    """Axis labels: $10, $100, $1k, $10k, $1M."""
    return "$" + fmt_volume(value)


def _log_ticks(low: float, high: float) -> list[float]:
    return [10.0 ** e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]


def cost_chart_svg(cost: CostComparison) -> str:
    """Monthly cost against executions per month (both log scales), crossover(s) marked."""
    width, height, left, right, top, bottom = 900, 430, 84, 24, 34, 58
    points = cost.curve
    xs = [p.executions_per_month for p in points]
    ys = [v for p in points for v in p.usd.values() if v > 0]
    x_ticks = _log_ticks(min(xs), max(xs))
    y_ticks = _log_ticks(min(ys), max(ys))
    x_lo, x_hi = math.log10(x_ticks[0]), math.log10(x_ticks[-1])
    y_lo, y_hi = math.log10(y_ticks[0]), math.log10(y_ticks[-1])
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(n: float) -> float:
        return left + (math.log10(n) - x_lo) / (x_hi - x_lo) * plot_w

    def py(usd: float) -> float:
        return top + plot_h - (math.log10(max(usd, 10 ** y_lo)) - y_lo) / (y_hi - y_lo) * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart cost" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="Monthly cost by executions per month" {_FONT}>',
             f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#ffffff" stroke="#d0d7de"/>']
    for tick in x_ticks:
        parts.append(f'<line x1="{px(tick):.1f}" y1="{top}" x2="{px(tick):.1f}" y2="{top + plot_h}" stroke="#eaeef2"/>')
        parts.append(_text(px(tick), top + plot_h + 18, fmt_volume(tick), anchor="middle", fill="#57606a"))
    for tick in y_ticks:
        y = py(tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#eaeef2"/>')
        parts.append(_text(left - 8, y + 4, _compact_usd(tick), anchor="end", fill="#57606a"))
    parts.append(_text(left + plot_w / 2, height - 14, "executions per month (log scale)", anchor="middle"))
    parts.append(f'<text x="14" y="{top + plot_h / 2:.1f}" font-size="12" text-anchor="middle" fill="#1f2328" '
                 f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">USD per month (log scale)</text>')
    for engine in cost.engines:
        path = " ".join(f"{px(p.executions_per_month):.1f},{py(p.usd[engine]):.1f}" for p in points)
        parts.append(f'<polyline class="series {engine.value}" fill="none" stroke="{engine_colour(engine)}" '
                     f'stroke-width="2.5" points="{path}"/>')
    for engine, item in cost.engines.items():
        for month in item.monthly:
            x, y = px(month.executions_per_month), py(month.total_usd)
            tip = escape(f"{engine.display_name}: {fmt_volume(month.executions_per_month)}/month = "
                         f"{fmt_usd(month.total_usd)}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{engine_colour(engine)}">'
                         f'<title>{tip}</title></circle>')
    for crossover in cost.crossovers:
        x, y = px(crossover.executions_per_month), py(crossover.monthly_usd)
        label = f"crossover ≈ {fmt_volume(crossover.executions_per_month)}/month ({fmt_usd(crossover.monthly_usd)})"
        parts.append(f'<line class="crossover" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
                     f'stroke="#1f2328" stroke-dasharray="5 4"/>')
        parts.append(f'<circle class="crossover-point" cx="{x:.1f}" cy="{y:.1f}" r="7" fill="none" stroke="#1f2328" '
                     f'stroke-width="2"/>')
        anchor = "end" if x > left + plot_w * 0.7 else "start"
        parts.append(_text(x + (-10 if anchor == "end" else 10), top + 16, label, anchor=anchor, weight="600"))
    parts += _legend(left + 12, top + 14 + (22 if cost.crossovers else 0), list(cost.engines))
    parts.append("</svg>")
    return "\n".join(parts)


def _legend(x: float, y: float, engines: Sequence[Engine]) -> Sequence[str]:
    height = 8 + 20 * len(engines)
    parts = [f'<rect x="{x - 6}" y="{y - 12}" width="150" height="{height}" fill="#ffffff" fill-opacity="0.9" rx="4"/>']
    for index, engine in enumerate(engines):
        row = y + index * 20
        parts.append(f'<line x1="{x}" y1="{row - 4}" x2="{x + 22}" y2="{row - 4}" stroke="{engine_colour(engine)}" '
                     f'stroke-width="3"/>')
        parts.append(_text(x + 30, row, engine.display_name))
    return parts
