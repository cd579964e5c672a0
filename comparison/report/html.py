"""The self-contained HTML report: inline CSS and SVG, no scripts, readable straight from the file."""

from __future__ import annotations

from html import escape

from comparison.cost.compare import CostComparison
from comparison.models import Engine
from comparison.report.access import access_html
from comparison.report.formatting import (
    assumption_cases,
    crossover_text,
    crossover_volumes,
    effect_labels,
    effects_text,
    fmt_usd,
    fmt_volume,
    measured_text,
    outcome_text,
    primary_run,
    run_effects,
    run_outcome,
)
from comparison.report.model import ComparisonReport, ScenarioComparison
from comparison.report.svg import cost_chart_svg, heatmap_svg
from contract.profile import Profile

_CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1f2328; background: #f6f8fa;
       margin: 0; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 6px; border-bottom: 1px solid #d0d7de; }
.sub { color: #57606a; margin: 0 0 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 12px 14px; }
.card .k { font-size: 12px; color: #57606a; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 18px; font-weight: 650; margin-top: 2px; }
.good { color: #1a7f37; } .bad { color: #cf222e; } .muted { color: #57606a; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #d0d7de; font-size: 13.5px; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.effects { color: #57606a; font-size: 12px; }
.pill { display: inline-block; border-radius: 10px; padding: 1px 8px; font-size: 12px; font-weight: 600; }
.pill.ok { background: #dafbe1; color: #116329; } .pill.ko { background: #ffebe9; color: #82071e; }
.panel { background: #fff; border: 1px solid #d0d7de; border-radius: 8px; padding: 14px; overflow-x: auto; }
.note { font-size: 12.5px; color: #57606a; }
ul.mismatch { margin: 4px 0 0; padding-left: 18px; color: #82071e; font-size: 12px; }
h3 { font-size: 15.5px; margin: 22px 0 8px; }
table.matrix { width: auto; }
table.matrix th.group { text-align: center; border-left: 2px solid #d0d7de; }
table.matrix th.store { vertical-align: bottom; height: 150px; padding: 4px 2px; }
table.matrix th.store span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap;
                             font-weight: 500; font-size: 12px; }
table.matrix td.mark { text-align: center; font-size: 15px; padding: 4px 6px; }
table.matrix th.who { font-weight: 500; white-space: nowrap; }
table.matrix tr.operator td { font-size: 12px; font-weight: 600; }
ul.readers { margin: 0; padding-left: 16px; }
ul.readers li { margin-bottom: 4px; }
details { display: inline; font-size: 12px; }
details summary { display: inline; cursor: pointer; color: #0969da; margin-left: 4px; }
details[open] { display: block; }
"""


def _inline_code(text: str) -> str:
    """Escaped text where `backticked` spans (Markdown's inline code, as notes are written) become <code>."""
    parts = escape(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: show the text as written
        return escape(text)
    return "".join(f"<code>{part}</code>" if index % 2 else part for index, part in enumerate(parts))


def render_html(report: ComparisonReport) -> str:
    body = [
        f"<h1>{escape(report.title)}</h1>",
        f'<p class="sub">Generated {report.generated_at:%Y-%m-%d %H:%M} UTC from the scenario corpus run through '
        f"{escape(' and '.join(engine.display_name for engine in report.engines))}. Everything below was measured, "
        "or computed from the synthesized templates, except the prices and the cost assumptions (both dated and "
        "sourced below).</p>",
        _cards(report),
        f'<h2 id="parity">Outcomes and side effects ({report.scenarios_in_parity}/{len(report.scenarios)} in parity)'
        "</h2>",
        _parity_table(report),
        "<h2 id=\"exposure\">What each orchestrator's operator can read in clear</h2>",
        '<p class="note">Plaintext hits per channel: a searched PII value found in one stored field (history event, '
        "log event, identifier), read the way an operator would, without keys. The hardened profile must show 0; "
        "the baseline profile exists to prove the audit sees leaks.</p>",
        f'<div class="panel">{heatmap_svg(report.exposure, report.engines)}</div>',
        *_cost(report),
        *access_html(report.access),
        '<h2 id="compliance">Compliance gates</h2>',
        _compliance(report),
    ]
    if report.notes:
        body += ['<h2 id="notes">Notes</h2>',
                 "<ul>" + "".join(f"<li>{_inline_code(n)}</li>" for n in report.notes) + "</ul>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(report.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


def _card(key: str, value: str, tone: str = "") -> str:
    return f'<div class="card"><div class="k">{escape(key)}</div><div class="v {tone}">{escape(value)}</div></div>'


def _cards(report: ComparisonReport) -> str:
    total = len(report.scenarios)
    cards = [_card("Parity", f"{report.scenarios_in_parity} / {total} scenarios",
                   "good" if total and report.scenarios_in_parity == total else "bad")]
    for profile, want_zero in ((Profile.HARDENED, True), (Profile.BASELINE, False)):
        totals = [report.exposure_total(engine, profile) for engine in report.engines]
        text = " · ".join(f"{e.display_name} {'n/a' if t is None else t}"
                          for e, t in zip(report.engines, totals, strict=True))
        known = [t for t in totals if t is not None]
        good = bool(known) and (all(t == 0 for t in known) if want_zero else all(t > 0 for t in known))
        target = "must be 0" if want_zero else "must be above 0"
        cards.append(_card(f"{profile.value} plaintext hits ({target})", text, "good" if good else "bad"))
    if report.cost is not None:
        crossing = report.cost.crossovers
        value = f"≈ {fmt_volume(crossing[0].executions_per_month)} / month" if crossing else "none"
        cards.append(_card("Cost crossover", value))
    if report.compliance is not None:
        open_findings = report.compliance.unacknowledged
        cards.append(_card("Unacknowledged findings", str(open_findings), "good" if open_findings == 0 else "bad"))
    return '<div class="cards">' + "".join(cards) + "</div>"


def _run_cell(report: ComparisonReport, scenario: ScenarioComparison, engine: Engine) -> str:
    run = primary_run(scenario, engine)
    return (f"<td>{escape(run_outcome(report.facts, run))}"
            f"<div class=\"effects\">{escape(run_effects(report.facts, run))}</div></td>")


def _parity_table(report: ComparisonReport) -> str:
    rows = []
    for scenario in report.scenarios:
        badges = " ".join(
            f'<span class="pill {"ok" if result.parity else "ko"}">{escape(profile.value)} '
            f'{"✓" if result.parity else "✗"}</span>'
            for profile, result in scenario.parity_by_profile.items()
        )
        mismatches = [m for result in scenario.parity_by_profile.values() for m in result.mismatches]
        detail = ('<ul class="mismatch">' + "".join(f"<li>{escape(m)}</li>" for m in mismatches) + "</ul>"
                  if mismatches else "")
        rows.append(
            f"<tr><td><code>{escape(scenario.name)}</code>"
            f"<div class=\"effects\">{escape(scenario.description)}</div></td>"
            f"<td>{escape(outcome_text(report.facts, scenario.expected))}<div class=\"effects\">"
            f"{escape(effects_text(report.facts, scenario.expected))}</div></td>"
            + "".join(_run_cell(report, scenario, engine) for engine in report.engines)
            + f"<td>{badges}{detail}</td></tr>"
        )
    engines = "".join(f"<th>{escape(engine.display_name)}</th>" for engine in report.engines)
    return (f"<table class=\"parity\"><thead><tr><th>Scenario</th><th>Expected</th>{engines}"
            "<th>Parity</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
            f'<p class="note">Under each outcome: {escape(effect_labels(report.facts))}, where there are any. '
            "Engine cells show the hardened run; parity covers every profile run.</p>")


def _cost(report: ComparisonReport) -> list[str]:
    cost = report.cost
    if cost is None:
        return ["<h2>Cost against volume</h2>", '<p class="muted">No cost model in this report.</p>']
    engines = list(cost.engines)
    rows = []
    for index, volume in enumerate(cost.volumes):
        cells = "".join(f"<td class=\"num\">{fmt_usd(cost.engines[e].monthly[index].total_usd)}</td>"
                        for e in engines)
        rows.append(f"<tr><td class=\"num\">{fmt_volume(volume)}</td>{cells}"
                    f"<td>{escape(cost.cheapest(index).display_name)}</td></tr>")
    head = "".join(f"<th class=\"num\">{escape(e.display_name)}</th>" for e in engines)
    unit = ", ".join(f"{e.display_name} {fmt_usd(cost.engines[e].usd_per_million_executions)}" for e in engines)
    fixed = ", ".join(f"{e.display_name} {fmt_usd(cost.engines[e].fixed_monthly_usd)}" for e in engines)
    sources = ", ".join(escape(source) for source in cost.price_table.sources)
    return [
        '<h2 id="cost">Cost against volume</h2>',
        f'<div class="panel">{cost_chart_svg(cost)}</div>',
        f"<table class=\"cost\"><thead><tr><th class=\"num\">Executions / month</th>{head}<th>Cheaper</th></tr>"
        "</thead><tbody>" + "".join(rows) + "</tbody></table>",
        f'<p class="note">Typical assumptions. {escape(crossover_text(cost))} USD per million executions (usage at '
        f"list price): {escape(unit)}. Fixed monthly: {escape(fixed)}. Counted per execution (the same on every "
        f"run): {escape(measured_text(cost))}.</p>",
        f'<p class="note">Prices as of {cost.price_table.as_of} ({escape(cost.price_table.region)}): '
        f"{escape(cost.price_table.note)} Sources: {sources}.</p>",
        *_sensitivity(cost),
        *_assumptions(cost),
    ]


def _sensitivity(cost: CostComparison) -> list[str]:
    if not cost.sensitivity:
        return []
    engines = list(cost.engines)
    volumes = "".join(f'<th class="num">{fmt_volume(v)}</th>' for v in cost.volumes)
    rows = []
    for case, item in cost.sensitivity.items():
        for position, engine in enumerate(engines):
            lead = (f'<td rowspan="{len(engines)}"><strong>{escape(case)}</strong></td>' if position == 0 else "")
            crossing = (f'<td rowspan="{len(engines)}">{escape(crossover_volumes(item.crossovers))}</td>'
                        if position == 0 else "")
            cells = "".join(f'<td class="num">{fmt_usd(usd)}</td>' for usd in item.monthly_usd[engine])
            rows.append(f"<tr>{lead}<td>{escape(engine.display_name)}</td>{cells}{crossing}</tr>")
    return [
        '<h3 id="sensitivity">Sensitivity: the same counts under low, typical and high assumptions</h3>',
        f'<table class="sensitivity"><thead><tr><th>Assumptions</th><th>Engine</th>{volumes}<th>Crossover '
        "(executions / month)</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>",
        '<p class="note">Monthly USD per case; every assumption moves to its low (cheaper) or high end together, '
        "so the rows bound what the assumptions can do to the answer.</p>",
    ]


def _assumptions(cost: CostComparison) -> list[str]:
    info = cost.assumptions
    if info is None:
        return []
    rows = "".join(
        f"<tr><td><code>{escape(entry.name)}</code></td><td class=\"num\">{escape(assumption_cases(entry))}</td>"
        f"<td>{escape(entry.unit)}</td><td>{escape(entry.origin.value)}</td>"
        f'<td class="effects"><details><summary>source</summary>{_inline_code(entry.source)}</details></td></tr>'
        for entry in info.entries
    )
    return [
        f'<h3 id="assumptions">Assumptions (as of {info.as_of})</h3>',
        f'<p class="note">{_inline_code(info.note)}</p>',
        '<table class="assumptions"><thead><tr><th>Assumption</th><th class="num">low / typical / high</th>'
        f"<th>Unit</th><th>From</th><th>Source</th></tr></thead><tbody>{rows}</tbody></table>",
        '<p class="note">From: <code>assumed</code> (the dated file), <code>deployment</code> (the synthesized '
        "templates), <code>override</code> (cdk.json context or <code>--cost-assumptions</code>), "
        "<code>measured</code> (<code>make audit</code>).</p>",
    ]


def _compliance(report: ComparisonReport) -> str:
    summary = report.compliance
    if summary is None:
        return ('<p class="muted">No compliance summary in this report: <code>make synth</code> writes '
                "<code>reports/compliance.json</code>.</p>")
    packs = summary.packs()
    head = "".join(f"<th class=\"num\">{escape(p)}</th>" for p in packs)
    rows = []
    for stack in summary.stacks:
        by_pack = {pack.pack: pack for pack in stack.packs}
        cells = []
        for name in packs:
            pack = by_pack.get(name)
            if pack is None:
                cells.append('<td class="num muted">-</td>')
                continue
            tone = "good" if pack.findings == 0 else "bad"
            cells.append(f'<td class="num"><span class="{tone}">{pack.findings}</span> / {pack.acknowledged}</td>')
        rows.append(f"<tr><td>{escape(stack.stack)}</td>{''.join(cells)}</tr>")
    tools = "".join(f'<li><span class="{"good" if t.failed == 0 else "bad"}">{escape(t.tool)}</span>: {t.passed} '
                    f"passed, {t.failed} failed, {t.skipped} skipped" + (f" ({escape(t.detail)})" if t.detail else "")
                    + "</li>" for t in summary.tools)
    missing = "".join(f'<li><span class="bad">not run: {escape(m.gate)}</span> ({escape(m.why)}); run it with '
                      f"<code>{escape(m.how)}</code></li>" for m in summary.missing)
    source = f'<p class="note">{_inline_code(summary.source)}</p>' if summary.source else ""
    return (f"{source}<table class=\"compliance\"><thead><tr><th>Stack</th>{head}</tr></thead><tbody>{''.join(rows)}"
            "</tbody></table><p class=\"note\">cdk-nag cells: unacknowledged findings / acknowledged (each "
            "acknowledgement carries a reason written for its resource).</p>"
            + (f"<ul>{tools}{missing}</ul>" if tools or missing else ""))
