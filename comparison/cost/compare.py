"""The cost model: what one execution costs on each architecture, and what a month costs at volume.

Count usage from the run's histories (:func:`measure_temporal`, :func:`measure_stepfunctions`: Actions, transitions,
retries, invocations, history bytes, never a duration), then :func:`compare_costs` applies the dated price table
(``prices.json``) and the dated assumptions (``assumptions.json``, :mod:`comparison.cost.assumptions`) in their low,
typical and high cases, and solves for the crossover volume(s) of each. The result is a pure function of the counts,
the assumptions and the prices: the same run on another machine gives the same bytes.

The result is keyed by engine (:class:`CostComparison`): an engine joins the comparison with its own measured
usage and :class:`~comparison.cost.model.CostModel`; everything downstream (crossovers, curve, report) is generic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from google.protobuf.json_format import ParseDict, ParseError
from pydantic import BaseModel, ConfigDict, Field
from temporalio.api.history.v1 import HistoryEvent

from comparison.cost.assumptions import CASES, Assumption, Assumptions, Case, load_assumptions
from comparison.cost.durable import DurableCost, DurableMeasured
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


class AssumptionsInfo(_Model):
    as_of: date
    note: str
    entries: list[Assumption]


class CaseCost(_Model):
    """One case of the assumptions priced: monthly totals per engine at the comparison's volumes, crossovers."""

    case: Case
    monthly_usd: dict[Engine, list[float]]
    usd_per_million_executions: dict[Engine, float]
    fixed_monthly_usd: dict[Engine, float]
    crossovers: list[Crossover]


class CostComparison(_Model):
    """Every engine's cost, keyed by engine in :class:`Engine` order; crossovers between every pair of engines.

    ``engines``, ``crossovers``, ``config`` and ``curve`` are the typical case; ``sensitivity`` prices every case of
    the assumptions (empty when a single configuration was given instead of assumptions).
    """

    engines: dict[Engine, EngineCost]
    volumes: list[int]
    crossovers: list[Crossover]
    price_table: PriceTableInfo
    config: CostConfig
    curve: list[CurvePoint]
    assumptions: AssumptionsInfo | None = None
    sensitivity: dict[Case, CaseCost] = Field(default_factory=dict)

    def cheapest(self, index: int) -> Engine:
        """The cheapest engine at ``volumes[index]``."""
        return min(self.engines, key=lambda engine: self.engines[engine].monthly[index].total_usd)


def measure_temporal(
    histories: Sequence[Sequence[Mapping[str, Any]]], *, queries_per_execution: int = 0,
    heartbeats_per_execution: int = 0,
) -> TemporalMeasured:
    """Average Actions and history size per execution over the given histories (counted, never timed)."""
    if not histories:
        raise ValueError("histories: at least one Temporal history is needed")
    counts = [count_temporal_actions(h, queries=queries_per_execution, heartbeats=heartbeats_per_execution)
              for h in histories]
    kinds = sorted({kind for count in counts for kind in count.by_kind})
    return TemporalMeasured(
        executions=len(histories),
        actions_per_execution=_mean(count.total for count in counts),
        actions_by_kind={kind: _mean(count.by_kind.get(kind, 0) for count in counts) for kind in kinds},
        history_bytes_per_execution=_mean(history_bytes(h) for h in histories),
    )


def measure_stepfunctions(
    histories: Sequence[Sequence[Mapping[str, Any]]],
    log_events: Sequence[Sequence[Mapping[str, Any]]] = (),
    *,
    prices: PriceTable | None = None,
) -> StepFunctionsMeasured:
    """Average transitions, retries, Lambda invocations and state machine log volume per execution (``log_events``
    per execution; no event at all means the log volume was not measured, e.g. on moto, which writes none)."""
    if not histories:
        raise ValueError("histories: at least one Step Functions history is needed")
    overhead = (prices or load_prices()).cloudwatch_logs.event_overhead_bytes
    transitions = [count_state_transitions(h) for h in histories]
    invocations = sum(count_lambda_usage(h).invocations for h in histories)
    logged = any(events for events in log_events)
    return StepFunctionsMeasured(
        executions=len(histories),
        transitions_per_execution=_mean(t.total for t in transitions),
        retries_per_execution=_mean(t.retries for t in transitions),
        lambda_invocations_per_execution=invocations / len(histories),
        log_bytes_per_execution=(sum(log_bytes(events, overhead) for events in log_events) / len(histories)
                                 if logged else None),
    )


def observed_timings(
    temporal: Sequence[Sequence[Mapping[str, Any]]], stepfunctions: Sequence[Sequence[Mapping[str, Any]]]
) -> dict[str, float]:
    """What a run *timed* (wall-clock, machine-dependent): mean open seconds of a Temporal execution and mean
    Lambda milliseconds per invocation as the orchestrator observed them. For notes only: never priced."""
    lambdas = [count_lambda_usage(h) for h in stepfunctions]
    invocations = sum(usage.invocations for usage in lambdas)
    return {
        "temporal_open_seconds": _mean(open_seconds(h) for h in temporal),
        "lambda_ms_per_invocation": sum(u.billed_ms for u in lambdas) / invocations if invocations else 0.0,
    }


def compare_costs(
    temporal: TemporalMeasured,
    stepfunctions: StepFunctionsMeasured,
    assumptions: Assumptions | CostConfig | None = None,
    prices: PriceTable | None = None,
    *,
    durable: DurableMeasured | None = None,
) -> CostComparison:
    """Each architecture's cost model from its counted usage, compared over the configured volumes: the typical case
    in full and every case of ``assumptions`` (default: ``assumptions.json``) in ``sensitivity``; a plain
    :class:`CostConfig` prices that one configuration only."""
    prices = prices or load_prices()
    if isinstance(assumptions, CostConfig):
        config, cases = assumptions, {}
    else:
        assumptions = assumptions or load_assumptions()
        config = assumptions.config("typical")
        cases = {case: assumptions.config(case) for case in CASES}
    models = _models(temporal, stepfunctions, durable, config, prices)
    counted = {
        Engine.TEMPORAL: {
            "actions": temporal.actions_per_execution,
            **{f"actions.{kind}": value for kind, value in temporal.actions_by_kind.items()},
            "history_bytes": temporal.history_bytes_per_execution,
        },
        Engine.STEPFUNCTIONS: {
            "state_transitions": stepfunctions.transitions_per_execution,
            "retries": stepfunctions.retries_per_execution,
            "lambda_invocations": stepfunctions.lambda_invocations_per_execution,
            **({"log_bytes": stepfunctions.log_bytes_per_execution}
               if stepfunctions.log_bytes_per_execution is not None else {}),
        },
        **({Engine.DURABLE: {
            "durable_operations": durable.durable_operations_per_execution,
            "data_written_bytes": durable.data_written_bytes_per_execution,
            "lambda_invocations": durable.lambda_invocations_per_execution,
        }} if durable is not None else {}),
    }
    found = crossovers(models)
    return CostComparison(
        engines={engine: _engine_cost(engine, models[engine], config, prices, counted[engine])
                 for engine in Engine if engine in models},
        volumes=list(config.volumes),
        crossovers=found,
        price_table=PriceTableInfo(as_of=prices.as_of, region=prices.region, note=prices.note,
                                   sources=prices.sources()),
        config=config,
        curve=_curve(models, config.volumes, found),
        assumptions=None if not cases or not isinstance(assumptions, Assumptions) else AssumptionsInfo(
            as_of=assumptions.as_of, note=assumptions.note, entries=assumptions.entries),
        sensitivity={case: _case_cost(case, _models(temporal, stepfunctions, durable, case_config, prices),
                                      case_config)
                     for case, case_config in cases.items()},
    )


def _models(temporal: TemporalMeasured, stepfunctions: StepFunctionsMeasured, durable: DurableMeasured | None,
            config: CostConfig, prices: PriceTable) -> dict[Engine, CostModel]:
    models: dict[Engine, CostModel] = {
        Engine.TEMPORAL: TemporalCost(temporal, config.temporal, prices),
        Engine.STEPFUNCTIONS: StepFunctionsCost(stepfunctions, config.stepfunctions, prices,
                                                free_tiers=config.apply_aws_free_tiers),
    }
    if durable is not None:
        models[Engine.DURABLE] = DurableCost(durable, config.durable, prices)
    return models


def _case_cost(case: Case, models: Mapping[Engine, CostModel], config: CostConfig) -> CaseCost:
    return CaseCost(
        case=case,
        monthly_usd={engine: [sum(model.breakdown(n).values()) for n in config.volumes]
                     for engine, model in models.items()},
        usd_per_million_executions={engine: model.unit_usd() * 1e6 for engine, model in models.items()},
        fixed_monthly_usd={engine: sum(model.breakdown(0).values()) for engine, model in models.items()},
        crossovers=crossovers(models),
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


# What a history's size must not depend on: when it ran, on which server task, on which host (see history_bytes).
_FIXED_TIME = "2026-01-01T00:00:00.500000000Z"  # nanos of 9 digits: the varint length of most real timestamps
_FIXED_TASK_ID = "1048576"
_FIXED_IDENTITY = "1234@worker-host"  # the SDK's default identity is "<pid>@<hostname>"
_VOLATILE = {"eventTime": _FIXED_TIME, "event_time": _FIXED_TIME, "taskId": _FIXED_TASK_ID,
             "task_id": _FIXED_TASK_ID}


def history_bytes(events: Sequence[Mapping[str, Any]]) -> int:
    """Stored size of a history: its protobuf encoding (JSON text size when it is not proto JSON), with what varies
    from run to run or host to host held fixed: event times, task ids and identities take fixed values of the same
    magnitude, and each workflow task's ``historySizeBytes`` is the size counted so far. So the figure depends on
    the history's content only, and two runs of the same corpus count the same bytes.

    Workflow task events (scheduled, started, completed, timed out, failed) are left out: how many a history has
    depends on timing (completions that arrive together share one workflow task, a task can time out on a loaded
    machine), not on the design, and they are a small share of an execution's bytes."""
    total = 0
    for event in events:
        if _is_workflow_task_event(event):
            continue
        item = _canonical(event, total)
        try:
            total += ParseDict(item, HistoryEvent(), ignore_unknown_fields=True).ByteSize()
        except ParseError:
            total += len(json.dumps(item, default=str).encode())
    return total


def _is_workflow_task_event(event: Mapping[str, Any]) -> bool:
    kind = str(event.get("eventType", event.get("event_type", "")))
    return kind.startswith(("EVENT_TYPE_WORKFLOW_TASK_", "WorkflowTask"))


def _canonical(node: Any, size_so_far: int) -> Any:
    if isinstance(node, list):
        return [_canonical(item, size_so_far) for item in node]
    if not isinstance(node, Mapping):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _VOLATILE and value is not None:
            result[key] = _VOLATILE[key]
        elif key == "identity" and isinstance(value, str):
            result[key] = _FIXED_IDENTITY
        elif key in ("historySizeBytes", "history_size_bytes"):
            result[key] = str(size_so_far)
        else:
            result[key] = _canonical(value, size_so_far)
    return result


def open_seconds(events: Sequence[Mapping[str, Any]]) -> float:
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
    "observed_timings",
]
