"""Formatting shared by the renderers (Markdown, terminal, HTML, SVG): amounts, volumes and facts as text.

Facts are rendered from their :class:`~comparison.models.FactSpec` only, never by name: the headline joins the
``outcome`` facts (``REJECTED HIGH_RISK``, a true flag as ``(compensated)``), the detail line lists the ``effect``
facts that say something (``account OPEN, approved charges 1, review``: zero counts, absent values and false flags
are left out), ``check`` facts are not shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from comparison.cost.assumptions import CASES, Assumption
from comparison.cost.compare import VOLUME_UPPER, CostComparison, Crossover
from comparison.models import Engine, FactRole, FactSpec, FactValue
from comparison.report.model import RunSummary, ScenarioComparison
from contract.profile import Profile


def fmt_usd(value: float) -> str:
    """``$1,234`` from 100 up, ``$12.50`` below."""
    if value >= 100:
        return f"${value:,.0f}"
    return f"${value:,.2f}"


def fmt_volume(value: float) -> str:
    """``10k``, ``1.5M``, ``10B``."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            scaled = value / size
            return f"{scaled:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}"


def fact_text(value: FactValue) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    return "none" if value is None else str(value)


def outcome_text(specs: Sequence[FactSpec], facts: Mapping[str, FactValue] | None, *, error: str | None = None
                 ) -> str:
    """The headline: ``APPROVED``, ``REJECTED HIGH_RISK``, ``FAILED FUNDING_DECLINED (compensated)``."""
    if facts is None:
        return "not run"
    if error:
        return f"error: {error}"
    parts: list[str] = []
    for spec in specs:
        value = facts.get(spec.name)
        if spec.role is not FactRole.OUTCOME or value is None or value is False or value == ():
            continue
        parts.append(f"({spec.label})" if value is True else fact_text(value))
    return " ".join(parts) or "no outcome"


def effects_text(specs: Sequence[FactSpec], facts: Mapping[str, FactValue] | None) -> str:
    """The detail line: ``account OPEN, approved charges 1, outbox 1, review`` (only what says something)."""
    if facts is None:
        return ""
    parts: list[str] = []
    for spec in specs:
        value = facts.get(spec.name)
        if spec.role is not FactRole.EFFECT or value in (None, False, 0, ()):
            continue
        parts.append(spec.label if value is True else f"{spec.label} {fact_text(value)}")
    return ", ".join(parts)


def effect_labels(specs: Sequence[FactSpec]) -> str:
    """What the detail line can show: ``field errors, account, approved charges, ...``."""
    return ", ".join(spec.label for spec in specs if spec.role is FactRole.EFFECT)


def run_outcome(specs: Sequence[FactSpec], run: RunSummary | None) -> str:
    return outcome_text(specs, None if run is None else run.facts, error=None if run is None else run.error)


def run_effects(specs: Sequence[FactSpec], run: RunSummary | None) -> str:
    return effects_text(specs, None if run is None else run.facts)


def primary_run(scenario: ScenarioComparison, engine: Engine) -> RunSummary | None:
    """The hardened run when there is one (the product), else whatever profile ran."""
    runs = scenario.runs.get(engine, {})
    return runs.get(Profile.HARDENED) or next(iter(runs.values()), None)


def parity_text(scenario: ScenarioComparison) -> str:
    return "yes" if scenario.parity else "NO"


def crossover_text(cost: CostComparison | None) -> str:
    """Where the monthly costs cross, or which engine is cheaper throughout (the typical case)."""
    if cost is None:
        return "no cost model"
    return crossings_text(cost.crossovers, {engine: (item.fixed_monthly_usd, item.usd_per_million_executions)
                                            for engine, item in cost.engines.items()})


def crossings_text(crossovers: Sequence[Crossover], order: Mapping[Engine, tuple[float, float]]) -> str:
    """``Crossover at 17.5M executions/month ($4,610/month): ...``, or who is cheaper throughout when none.

    ``order``: per engine, (fixed monthly USD, USD per million executions). Two engines that never cross keep one
    order above zero executions: the lower fixed cost's, or on equal fixed costs (e.g. the same keys and nothing
    else) the lower cost per execution's."""
    if not crossovers:
        # No crossing: the order at any volume holds at every volume.
        cheaper = min(order, key=lambda engine: order[engine])
        return (f"No crossover up to {fmt_volume(VOLUME_UPPER)} executions/month: {cheaper.display_name} is cheaper "
                "throughout.")
    parts = [f"{fmt_volume(c.executions_per_month)} executions/month ({fmt_usd(c.monthly_usd)}/month): "
             f"{c.cheaper_below.display_name} cheaper below, {c.cheaper_above.display_name} above"
             for c in crossovers]
    text = "Crossover at " + "; ".join(parts) + "."
    # With three engines or more, say too which pairs never cross (their order at any volume holds at every volume).
    crossed = {frozenset((c.cheaper_below, c.cheaper_above)) for c in crossovers}
    engines = list(order)
    never = [sorted((first, second), key=lambda engine: order[engine])
             for index, first in enumerate(engines) for second in engines[index + 1:]
             if frozenset((first, second)) not in crossed]
    if never:
        text += " Throughout: " + "; ".join(f"{cheaper.display_name} cheaper than {dearer.display_name}"
                                            for cheaper, dearer in never) + "."
    return text


def crossover_volumes(crossovers: Sequence[Crossover]) -> str:
    """``17.5M`` (``none up to 10B`` when the curves never cross), several joined by ``, ``."""
    return (", ".join(fmt_volume(c.executions_per_month) for c in crossovers)
            or f"none up to {fmt_volume(VOLUME_UPPER)}")


def fmt_assumed(value: object) -> str:
    """An assumed value as text: numbers without trailing zeros, lists joined."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(fmt_assumed(item) for item in value)
    return str(value)


def assumption_cases(entry: Assumption) -> str:
    """``25 / 100 / 400`` for a figure that varies, the one value otherwise."""
    if not entry.varies:
        return fmt_assumed(entry.typical)
    return " / ".join(fmt_assumed(entry.value(case)) for case in CASES)


def measured_text(cost: CostComparison) -> str:
    """Each engine's counted usage per execution (their breakdowns, dotted names, left out)."""
    return "; ".join(
        f"{engine.display_name} " + ", ".join(f"{name} {value:,.1f}" for name, value in item.per_execution.items()
                                              if "." not in name)
        for engine, item in cost.engines.items()
    )
