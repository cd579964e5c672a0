"""Text renderings of the report: the Markdown file and the terminal side-by-side table."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from comparison.audit.exposure import ExposureAudit
from comparison.cost.compare import CostComparison
from comparison.models import Engine
from comparison.report.access import access_markdown, access_terminal
from comparison.report.formatting import (
    assumption_cases,
    crossover_text,
    crossover_volumes,
    effects_text,
    fmt_usd,
    fmt_volume,
    measured_text,
    outcome_text,
    parity_text,
    primary_run,
    run_effects,
    run_outcome,
)
from comparison.report.model import ComparisonReport
from contract.profile import Profile


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def render_markdown(report: ComparisonReport) -> str:
    specs = report.facts
    lines = [f"# {report.title}", "", f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.", ""]
    lines += [f"## Outcomes and side effects ({report.scenarios_in_parity}/{len(report.scenarios)} in parity)", ""]
    rows = []
    for scenario in report.scenarios:
        cells = [f"`{scenario.name}`", _cell(outcome_text(specs, scenario.expected),
                                             effects_text(specs, scenario.expected))]
        for engine in report.engines:
            run = primary_run(scenario, engine)
            cells.append(_cell(run_outcome(specs, run), run_effects(specs, run)))
        cells.append(parity_text(scenario))
        rows.append(cells)
    lines += _table(["scenario", "expected", *(e.display_name for e in report.engines), "parity"], rows)
    mismatches = [(s.name, m) for s in report.scenarios for r in s.parity_by_profile.values() for m in r.mismatches]
    if mismatches:
        lines += ["", "Mismatches:", ""] + [f"- `{name}`: {text}" for name, text in mismatches]
    lines += ["", "## Plaintext PII visible to the orchestrator's operator", ""]
    lines += ["Hits = (searched value, stored field) pairs found in clear. Hardened must be 0; baseline proves the "
              "audit can see.", ""]
    for engine in report.engines:
        audits = report.exposure.get(engine, {})
        if not audits:
            lines += [f"### {engine.display_name}", "", "Not audited.", ""]
            continue
        rows = [[f"`{channel}`", *(_hits(audits, profile, channel) for profile in Profile)]
                for channel in report.channels(engine)]
        rows.append(["**total**", *(_total(audits, profile) for profile in Profile)])
        lines += [f"### {engine.display_name}", "", *_table(["channel", *(p.value for p in Profile)], rows), ""]
    lines += _cost_markdown(report)
    lines += access_markdown(report.access)
    lines += _compliance_markdown(report)
    if report.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in report.notes] + [""]
    return "\n".join(lines).rstrip() + "\n"


def _cell(outcome: str, effects: str) -> str:
    return f"{outcome}<br>{effects}" if effects else outcome


def _hits(audits: Mapping[Profile, ExposureAudit], profile: Profile, channel: str) -> str:
    audit = audits.get(profile)
    return "n/a" if audit is None else str(audit.channels[channel].plaintext_hits)


def _total(audits: Mapping[Profile, ExposureAudit], profile: Profile) -> str:
    audit = audits.get(profile)
    return "n/a" if audit is None else f"**{audit.total_hits}**"


def _cost_markdown(report: ComparisonReport) -> list[str]:
    cost = report.cost
    if cost is None:
        return ["## Cost", "", "No cost model in this report.", ""]
    lines = ["## Cost", "", f"Prices as of {cost.price_table.as_of} ({cost.price_table.region}); re-check them "
             "before use (`comparison/cost/prices.json`). Typical assumptions:", ""]
    engines = list(cost.engines)
    rows = [[fmt_volume(volume), *(fmt_usd(cost.engines[e].monthly[index].total_usd) for e in engines),
             cost.cheapest(index).display_name] for index, volume in enumerate(cost.volumes)]
    lines += [*_table(["executions / month", *(e.display_name for e in engines), "cheaper"], rows), ""]
    lines += ["- USD per million executions (usage at list price): " + _per_engine(
                  cost, lambda e: fmt_usd(cost.engines[e].usd_per_million_executions)),
              "- Fixed monthly cost: " + _per_engine(cost, lambda e: fmt_usd(cost.engines[e].fixed_monthly_usd)),
              f"- {crossover_text(cost)}",
              f"- Counted per execution (the same on every run): {measured_text(cost)}", ""]
    if cost.sensitivity:
        lines += ["### Sensitivity (monthly USD under low, typical and high assumptions)", ""]
        sens_rows = [[case, engine.display_name, *(fmt_usd(usd) for usd in item.monthly_usd[engine]),
                      crossover_volumes(item.crossovers)]
                     for case, item in cost.sensitivity.items() for engine in engines]
        lines += [*_table(["assumptions", "engine", *(fmt_volume(v) for v in cost.volumes), "crossover"],
                          sens_rows), ""]
    if cost.assumptions is not None:
        lines += [f"### Assumptions (as of {cost.assumptions.as_of})", "", cost.assumptions.note, ""]
        lines += [*_table(["assumption", "low / typical / high", "unit", "from", "source"],
                          [[f"`{entry.name}`", assumption_cases(entry), entry.unit, entry.origin.value, entry.source]
                           for entry in cost.assumptions.entries]), ""]
    return lines


def _per_engine(cost: CostComparison, show: Callable[[Engine], str]) -> str:
    return ", ".join(f"{engine.display_name} {show(engine)}" for engine in cost.engines)


def _compliance_markdown(report: ComparisonReport) -> list[str]:
    summary = report.compliance
    if summary is None:
        return ["## Compliance", "", "No compliance summary in this report (`make synth` writes "
                "`reports/compliance.json`).", ""]
    packs = summary.packs()
    rows = []
    for stack in summary.stacks:
        by_pack = {pack.pack: pack for pack in stack.packs}
        rows.append([stack.stack, *(f"{by_pack[p].findings} / {by_pack[p].acknowledged}" if p in by_pack else "-"
                                    for p in packs)])
    intro = (f"Unacknowledged findings {summary.unacknowledged}, acknowledged {summary.acknowledged} "
             "(cells: unacknowledged / acknowledged).")
    lines = ["## Compliance", "", *([summary.source, ""] if summary.source else []), intro, "",
             *_table(["stack", *packs], rows), ""]
    lines += [f"- {t.tool}: {t.passed} passed, {t.failed} failed, {t.skipped} skipped"
              + (f" ({t.detail})" if t.detail else "") for t in summary.tools]
    lines += [f"- not run: {m.gate} ({m.why}); run it with `{m.how}`" for m in summary.missing]
    return [*lines, ""]


def render_terminal(report: ComparisonReport) -> str:
    specs = report.facts
    name_w = max([len("scenario"), *(len(s.name) for s in report.scenarios)])
    titles = ("expected", *(engine.display_name for engine in report.engines))
    rows = []
    for scenario in report.scenarios:
        expected = outcome_text(specs, scenario.expected)
        # An engine's outcome is spelled out only where it differs from the expected one: differences stand out.
        rows.append([expected, *(_same_or(run_outcome(specs, primary_run(scenario, e)), expected)
                                 for e in report.engines)])
    widths = [max(len(cell) for cell in column) for column in zip(titles, *rows, strict=True)]
    header = f"{'scenario':<{name_w}}  " + "  ".join(f"{t:<{w}}" for t, w in zip(titles, widths, strict=True))
    header += "  parity"
    lines = [report.title, "=" * len(header), header, "-" * len(header)]
    for scenario, cells in zip(report.scenarios, rows, strict=True):
        lines.append(f"{scenario.name:<{name_w}}  " + "  ".join(f"{c:<{w}}" for c, w in zip(cells, widths, strict=True))
                     + f"  {parity_text(scenario)}")
    lines += ["-" * len(header), f"parity: {report.scenarios_in_parity}/{len(report.scenarios)} scenarios", ""]
    label_w = max([20, *(len(engine.display_name) for engine in report.engines)])
    lines.append(f"{'plaintext PII hits':<{label_w + 3}}" + "  ".join(f"{p.value:>9}" for p in Profile))
    for engine in report.engines:
        totals = [report.exposure_total(engine, p) for p in Profile]
        lines.append(f"  {engine.display_name:<{label_w}} "
                     + "  ".join(f"{'n/a' if t is None else t:>9}" for t in totals))
    if report.cost is not None:
        cost = report.cost
        lines += ["", f"{'USD per month':<{label_w + 3}}" + "  ".join(f"{fmt_volume(v):>9}" for v in cost.volumes)]
        for engine, item in cost.engines.items():
            months = "  ".join(f"{fmt_usd(m.total_usd):>9}" for m in item.monthly)
            lines.append(f"  {engine.display_name:<{label_w}} {months}")
        lines.append(crossover_text(cost) + " (typical assumptions)")
        if cost.sensitivity:
            lines.append("crossover by assumptions: " + ", ".join(
                f"{case} {crossover_volumes(item.crossovers)}" for case, item in cost.sensitivity.items()))
    lines += access_terminal(report.access)
    return "\n".join(lines) + "\n"


def _same_or(text: str, expected: str) -> str:
    return "as expected" if text == expected else text


def print_side_by_side(report: ComparisonReport, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(render_terminal(report))
