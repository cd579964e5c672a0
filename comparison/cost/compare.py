"""The cost model: what one execution costs on each architecture, and what a month costs at volume.

Measure usage from the run's histories (:func:`measure_temporal`, :func:`measure_stepfunctions`), then
:func:`compare_costs` applies the dated price table (``prices.json``) and the fixed monthly costs of each
architecture (:class:`comparison.cost.model.CostConfig`) and solves for the crossover volume(s).

The result is keyed by engine (:class:`CostComparison`): an engine joins the comparison with its own measured
usage and :class:`~comparison.cost.model.CostModel`; everything downstream (crossovers, curve, report) is generic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from google.protobuf.json_format import ParseDict, ParseError
from pydantic import BaseModel, ConfigDict
from temporalio.api.history.v1 import HistoryEvent

from comparison.cost.model import (
    CostConfig,
    CostModel,
    StepFunctionsCost,
    StepFunctionsMeasured,
    TemporalCost,
    TemporalMeasured,
    linear_roots,
)
from comparison.cost.prices import PriceTable, load_prices
from comparison.cost.usage import count_lambda_usage, count_state_transitions, count_temporal_actions, log_bytes
from comparison.models import Engine

VOLUME_UPPER = 1e10  # crossovers are searched up to ten billion executions a month
_CURVE_MIN = 1e3


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class VolumeCost(_Model):
    executions_per_month: int
    total_usd: float
    breakdown: dict[str, float]  # USD per cost item


class EngineCost(_Model):
    engine: Engine
    per_execution: dict[str, float]  # measured counts; dotted names (``actions.timers``) break a count down
    usd_per_million_executions: float  # usage charges at list price: no allowance, minimum or fixed cost
    fixed_monthly_usd: float  # the month's cost with no execution at all
    monthly: list[VolumeCost]  # one per volume of the comparison, in order
    price_table_date: date


class Crossover(_Model):
    executions_per_month: float
    monthly_usd: float
    cheaper_below: Engine
    cheaper_above: Engine


class CurvePoint(_Model):
    executions_per_month: float
    usd: dict[Engine, float]  # monthly total per engine


class PriceTableInfo(_Model):
    as_of: date
    region: str
    note: str
    sources: list[str]


class CostComparison(_Model):
    """Every engine's cost, keyed by engine in :class:`Engine` order; crossovers between every pair of engines."""

    engines: dict[Engine, EngineCost]
    volumes: list[int]
    crossovers: list[Crossover]
    price_table: PriceTableInfo
    config: CostConfig
    curve: list[CurvePoint]

    def cheapest(self, index: int) -> Engine:
        """The cheapest engine at ``volumes[index]``."""
        return min(self.engines, key=lambda engine: self.engines[engine].monthly[index].total_usd)


def measure_temporal(
    histories: Sequence[Sequence[Mapping[str, Any]]], *, queries_per_execution: int = 0,
    heartbeats_per_execution: int = 0,
) -> TemporalMeasured:
    """Average Actions, history size and open time per execution over the given histories."""
    if not histories:
        raise ValueError("histories: at least one Temporal history is needed")
    counts = [count_temporal_actions(h, queries=queries_per_execution, heartbeats=heartbeats_per_execution)
              for h in histories]
    kinds = sorted({kind for count in counts for kind in count.by_kind})
    return TemporalMeasured(
        executions=len(histories),
        actions_per_execution=_mean(count.total for count in counts),
        actions_by_kind={kind: _mean(count.by_kind.get(kind, 0) for count in counts) for kind in kinds},
        history_bytes_per_execution=_mean(_history_bytes(h) for h in histories),
        open_seconds_per_execution=_mean(_open_seconds(h) for h in histories),
    )


def measure_stepfunctions(
    histories: Sequence[Sequence[Mapping[str, Any]]],
    log_events: Sequence[Sequence[Mapping[str, Any]]] = (),
    *,
    prices: PriceTable | None = None,
) -> StepFunctionsMeasured:
    """Average transitions, Lambda use and log volume per execution (``log_events`` per execution)."""
    if not histories:
        raise ValueError("histories: at least one Step Functions history is needed")
    overhead = (prices or load_prices()).cloudwatch_logs.event_overhead_bytes
    transitions = [count_state_transitions(h) for h in histories]
    lambdas = [count_lambda_usage(h) for h in histories]
    invocations = sum(usage.invocations for usage in lambdas)
    return StepFunctionsMeasured(
        executions=len(histories),
        transitions_per_execution=_mean(t.total for t in transitions),
        retries_per_execution=_mean(t.retries for t in transitions),
        lambda_invocations_per_execution=invocations / len(histories),
        lambda_billed_ms_per_invocation=sum(u.billed_ms for u in lambdas) / invocations if invocations else 0.0,
        log_bytes_per_execution=sum(log_bytes(events, overhead) for events in log_events) / len(histories),
    )


def compare_costs(
    temporal: TemporalMeasured,
    stepfunctions: StepFunctionsMeasured,
    config: CostConfig | None = None,
    prices: PriceTable | None = None,
) -> CostComparison:
    """Each architecture's cost model from its measured usage, compared over the configured volumes."""
    config = config or CostConfig()
    prices = prices or load_prices()
    t_model = TemporalCost(temporal, config.temporal, prices)
    s_model = StepFunctionsCost(stepfunctions, config.stepfunctions, prices, free_tiers=config.apply_aws_free_tiers)
    models: dict[Engine, CostModel] = {Engine.TEMPORAL: t_model, Engine.STEPFUNCTIONS: s_model}
    measured = {
        Engine.TEMPORAL: {
            "actions": temporal.actions_per_execution,
            **{f"actions.{kind}": value for kind, value in temporal.actions_by_kind.items()},
            "history_bytes": temporal.history_bytes_per_execution,
            "open_seconds": temporal.open_seconds_per_execution,
        },
        Engine.STEPFUNCTIONS: {
            "state_transitions": stepfunctions.transitions_per_execution,
            "retries": stepfunctions.retries_per_execution,
            "lambda_invocations": stepfunctions.lambda_invocations_per_execution,
            "lambda_billed_ms_per_invocation": stepfunctions.lambda_billed_ms_per_invocation,
            "lambda_gb_seconds": s_model.gb_seconds,
            "log_bytes": stepfunctions.log_bytes_per_execution,
        },
    }
    found = crossovers(models)
    return CostComparison(
        engines={engine: _engine_cost(engine, models[engine], config, prices, measured[engine])
                 for engine in Engine if engine in models},
        volumes=list(config.volumes),
        crossovers=found,
        price_table=PriceTableInfo(as_of=prices.as_of, region=prices.region, note=prices.note,
                                   sources=prices.sources()),
        config=config,
        curve=_curve(models, config.volumes, found),
    )


def _engine_cost(
    engine: Engine, model: CostModel, config: CostConfig, prices: PriceTable, per_execution: dict[str, float],
) -> EngineCost:
    return EngineCost(
        engine=engine,
        per_execution=per_execution,
        usd_per_million_executions=model.unit_usd() * 1e6,
        fixed_monthly_usd=sum(model.breakdown(0).values()),
        monthly=[_volume(n, model.breakdown(n)) for n in config.volumes],
        price_table_date=prices.as_of,
    )


def crossovers(models: Mapping[Engine, CostModel]) -> list[Crossover]:
    """Every volume where two engines' monthly costs are equal (each pair, in engine order), solved on the linear
    pieces; sorted by volume."""
    engines = [engine for engine in Engine if engine in models]
    result: list[Crossover] = []
    for index, first in enumerate(engines):
        for second in engines[index + 1:]:
            result += _pair_crossovers(first, models[first], second, models[second])
    return sorted(result, key=lambda crossover: crossover.executions_per_month)


def _pair_crossovers(first: Engine, a: CostModel, second: Engine, b: CostModel) -> list[Crossover]:
    def difference(n: float) -> float:
        return sum(a.breakdown(n).values()) - sum(b.breakdown(n).values())

    result: list[Crossover] = []
    for root in linear_roots(difference, [*a.kinks(VOLUME_UPPER), *b.kinks(VOLUME_UPPER)], VOLUME_UPPER):
        below, above = difference(root * 0.999 if root > 0 else 0.0), difference(root * 1.001 + 1)
        if below * above >= 0:
            continue  # touching without crossing
        result.append(Crossover(
            executions_per_month=root,
            monthly_usd=sum(a.breakdown(root).values()),
            cheaper_below=first if below < 0 else second,
            cheaper_above=second if below < 0 else first,
        ))
    return result


def _curve(models: Mapping[Engine, CostModel], volumes: Sequence[int], found: Sequence[Crossover]
           ) -> list[CurvePoint]:
    """Monthly totals on a log-spaced grid, plus the volumes, the crossovers and every kink (exact corners)."""
    top = max([1e8, *volumes, *(c.executions_per_month * 3 for c in found)])
    steps = 96
    samples = {_CURVE_MIN * (top / _CURVE_MIN) ** (i / steps) for i in range(steps + 1)}
    samples |= {float(v) for v in volumes} | {c.executions_per_month for c in found}
    samples |= {k for model in models.values() for k in model.kinks(top) if k >= _CURVE_MIN}
    return [
        CurvePoint(executions_per_month=n,
                   usd={engine: sum(model.breakdown(n).values()) for engine, model in models.items()})
        for n in sorted(samples)
    ]


def _volume(n: int, breakdown: dict[str, float]) -> VolumeCost:
    return VolumeCost(executions_per_month=n, total_usd=sum(breakdown.values()), breakdown=breakdown)


def _mean(values: Any) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0


def _history_bytes(events: Sequence[Mapping[str, Any]]) -> int:
    """Stored size of a history: its protobuf encoding (JSON text size when it is not proto JSON)."""
    total = 0
    for event in events:
        try:
            total += ParseDict(dict(event), HistoryEvent(), ignore_unknown_fields=True).ByteSize()
        except ParseError:
            total += len(json.dumps(event, default=str).encode())
    return total


def _open_seconds(events: Sequence[Mapping[str, Any]]) -> float:
    times = [_parse_time(e.get("eventTime", e.get("event_time"))) for e in events]
    known = [t for t in times if t is not None]
    return (max(known) - min(known)).total_seconds() if len(known) >= 2 else 0.0


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


__all__ = [
    "CostComparison",
    "CostConfig",
    "CostModel",
    "compare_costs",
    "crossovers",
    "measure_stepfunctions",
    "measure_temporal",
]
