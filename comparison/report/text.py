"""Text renderings of the report: the Markdown file and the terminal side-by-side table."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from comparison.audit.exposure import CHANNELS
from comparison.models import Engine
from comparison.report.model import ComparisonReport, RunSummary, ScenarioComparison
from contract.profile import Profile


def outcome_text(facts: Mapping[str, Any] | RunSummary | None) -> str:
    """``APPROVED``, ``REJECTED HIGH_RISK``, ``FAILED FUNDING_DECLINED (compensated)``."""
    if facts is None:
        return "not run"
    values = facts.model_dump() if isinstance(facts, RunSummary) else dict(facts)
    if values.get("error"):
        return f"error: {values['error']}"
    if values.get("status") is None:
        return "no outcome"
    text = " ".join(str(part) for part in (values["status"], values.get("reason")) if part)
    return text + (" (compensated)" if values.get("compensated") else "")


def effects_text(facts: Mapping[str, Any] | RunSummary | None) -> str:
    """``account OPEN, charges 1/0, outbox 1, review`` (approved/declined charges)."""
    if facts is None:
        return ""
    values = facts.model_dump() if isinstance(facts, RunSummary) else dict(facts)
    parts = [f"account {values['account_status'] or 'none'}",
             f"charges {values['approved_charges']}/{values['declined_charges']}",
             f"outbox {values['outbox_messages']}"]
    if values["review_requested"]:
        parts.append("review")
    return ", ".join(parts)


def primary_run(scenario: ScenarioComparison, engine: Engine) -> RunSummary | None:
    """The hardened run when there is one (the product), else whatever profile ran."""
    runs = scenario.temporal if engine is Engine.TEMPORAL else scenario.stepfunctions
    return runs.get(Profile.HARDENED) or next(iter(runs.values()), None)


def parity_text(scenario: ScenarioComparison) -> str:
    return "yes" if scenario.parity else "NO"


def fmt_usd(value: float) -> str:
    if value >= 100:
        return f"${value:,.0f}"
    return f"${value:,.2f}"


def fmt_volume(value: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            scaled = value / size
            return f"{scaled:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def render_markdown(report: ComparisonReport) -> str:
    lines = [f"# {report.title}", "", f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC.", ""]
    lines += [f"## Outcomes and side effects ({report.scenarios_in_parity}/{len(report.scenarios)} in parity)", ""]
    rows = []
    for scenario in report.scenarios:
        cells = [f"`{scenario.name}`", f"{outcome_text(scenario.expected)}<br>{effects_text(scenario.expected)}"]
        for engine in Engine:
            run = primary_run(scenario, engine)
            cells.append(f"{outcome_text(run)}<br>{effects_text(run)}")
        cells.append(parity_text(scenario))
        rows.append(cells)
    lines += _table(["scenario", "expected", "Temporal", "Step Functions", "parity"], rows)
    mismatches = [(s.name, m) for s in report.scenarios for r in s.parity_by_profile.values() for m in r.mismatches]
    if mismatches:
        lines += ["", "Mismatches:", ""] + [f"- `{name}`: {text}" for name, text in mismatches]
    lines += ["", "## Plaintext PII visible to the orchestrator's operator", ""]
    lines += ["Hits = (searched value, stored field) pairs found in clear. Hardened must be 0; baseline proves the "
              "audit can see.", ""]
    for engine in Engine:
        audits = report.exposure.get(engine, {})
        rows = [[f"`{channel.value}`", *(_hits(audits, profile, channel.value) for profile in Profile)]
                for channel in CHANNELS[engine]]
        rows.append(["**total**", *(_total(audits, profile) for profile in Profile)])
        lines += [f"### {engine.display_name}", "", *_table(["channel", *(p.value for p in Profile)], rows), ""]
    lines += _cost_markdown(report)
    lines += _compliance_markdown(report)
    if report.notes:
        lines += ["## Notes", ""] + [f"- {note}" for note in report.notes] + [""]
    return "\n".join(lines).rstrip() + "\n"


def _hits(audits: Mapping[Profile, Any], profile: Profile, channel: str) -> str:
    audit = audits.get(profile)
    return "n/a" if audit is None else str(audit.channels[channel].plaintext_hits)


def _total(audits: Mapping[Profile, Any], profile: Profile) -> str:
    audit = audits.get(profile)
    return "n/a" if audit is None else f"**{audit.total_hits}**"


def _cost_markdown(report: ComparisonReport) -> list[str]:
    cost = report.cost
    if cost is None:
        return []
    lines = ["## Cost", "", f"Prices as of {cost.price_table.as_of} ({cost.price_table.region}); re-check them "
             "before use (`comparison/cost/prices.json`).", ""]
    rows = []
    for volume, t_month, s_month in zip(cost.volumes, cost.temporal.monthly, cost.stepfunctions.monthly, strict=True):
        cheaper = Engine.TEMPORAL if t_month.total_usd < s_month.total_usd else Engine.STEPFUNCTIONS
        rows.append([fmt_volume(volume), fmt_usd(t_month.total_usd), fmt_usd(s_month.total_usd), cheaper.display_name])
    lines += [*_table(["executions / month", "Temporal", "Step Functions", "cheaper"], rows), ""]
    lines += [f"- USD per million executions (usage at list price): Temporal "
              f"{fmt_usd(cost.temporal.usd_per_million_executions)}, Step Functions "
              f"{fmt_usd(cost.stepfunctions.usd_per_million_executions)}",
              f"- Fixed monthly cost: Temporal {fmt_usd(cost.temporal.fixed_monthly_usd)}, Step Functions "
              f"{fmt_usd(cost.stepfunctions.fixed_monthly_usd)}",
              f"- {crossover_text(report)}",
              "- Measured per execution: Temporal " + _counts(cost.temporal.per_execution, ("actions", "history_bytes"))
              + "; Step Functions " + _counts(cost.stepfunctions.per_execution,
                                              ("state_transitions", "retries", "lambda_invocations")), ""]
    return lines


def _counts(values: Mapping[str, float], keys: Sequence[str]) -> str:
    return ", ".join(f"{key} {values[key]:,.1f}" for key in keys if key in values)


def crossover_text(report: ComparisonReport) -> str:
    cost = report.cost
    if cost is None:
        return "no cost model"
    if not cost.crossovers:
        cheaper = Engine.TEMPORAL if cost.temporal.fixed_monthly_usd < cost.stepfunctions.fixed_monthly_usd else (
            Engine.STEPFUNCTIONS)
        return f"No crossover up to 10B executions/month: {cheaper.display_name} is cheaper throughout."
    parts = [f"{fmt_volume(c.executions_per_month)} executions/month ({fmt_usd(c.monthly_usd)}/month): "
             f"{c.cheaper_below.display_name} cheaper below, {c.cheaper_above.display_name} above"
             for c in cost.crossovers]
    return "Crossover at " + "; ".join(parts) + "."


def _compliance_markdown(report: ComparisonReport) -> list[str]:
    summary = report.compliance
    if summary is None:
        return ["## Compliance", "", "No `reports/compliance.json` yet (`make synth` writes it).", ""]
    packs = summary.packs()
    rows = []
    for stack in summary.stacks:
        by_pack = {pack.pack: pack for pack in stack.packs}
        rows.append([stack.stack, *(f"{by_pack[p].findings} / {by_pack[p].acknowledged}" if p in by_pack else "-"
                                    for p in packs)])
    intro = (f"Unacknowledged findings {summary.unacknowledged}, acknowledged {summary.acknowledged} "
             "(cells: unacknowledged / acknowledged).")
    return ["## Compliance", "", intro, "", *_table(["stack", *packs], rows), ""]


def render_terminal(report: ComparisonReport) -> str:
    name_w = max([len("scenario"), *(len(s.name) for s in report.scenarios)])
    titles = ("expected", "Temporal", "Step Functions")
    rows = []
    for scenario in report.scenarios:
        expected = outcome_text(scenario.expected)
        # An engine's outcome is spelled out only where it differs from the expected one: differences stand out.
        rows.append([expected, *(_same_or(outcome_text(primary_run(scenario, e)), expected) for e in Engine)])
    widths = [max(len(cell) for cell in column) for column in zip(titles, *rows, strict=True)]
    header = f"{'scenario':<{name_w}}  " + "  ".join(f"{t:<{w}}" for t, w in zip(titles, widths, strict=True))
    header += "  parity"
    lines = [report.title, "=" * len(header), header, "-" * len(header)]
    for scenario, cells in zip(report.scenarios, rows, strict=True):
        lines.append(f"{scenario.name:<{name_w}}  " + "  ".join(f"{c:<{w}}" for c, w in zip(cells, widths, strict=True))
                     + f"  {parity_text(scenario)}")
    lines += ["-" * len(header), f"parity: {report.scenarios_in_parity}/{len(report.scenarios)} scenarios", ""]
    lines.append("plaintext PII hits     " + "  ".join(f"{p.value:>9}" for p in Profile))
    for engine in Engine:
        totals = [report.exposure_total(engine, p) for p in Profile]
        lines.append(f"  {engine.display_name:<20} " + "  ".join(f"{'n/a' if t is None else t:>9}" for t in totals))
    if report.cost is not None:
        cost = report.cost
        lines += ["", "USD per month          " + "  ".join(f"{fmt_volume(v):>9}" for v in cost.volumes)]
        for engine, item in ((Engine.TEMPORAL, cost.temporal), (Engine.STEPFUNCTIONS, cost.stepfunctions)):
            months = "  ".join(f"{fmt_usd(m.total_usd):>9}" for m in item.monthly)
            lines.append(f"  {engine.display_name:<20} {months}")
        lines.append(crossover_text(report))
    return "\n".join(lines) + "\n"


def _same_or(text: str, expected: str) -> str:
    return "as expected" if text == expected else text


def print_side_by_side(report: ComparisonReport, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(render_terminal(report))
