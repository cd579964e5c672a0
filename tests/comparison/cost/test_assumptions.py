"""The dated assumptions: every figure of the cost configuration set, sourced, in three cases; overrides replace
entries by name and say so; a report's cost is a pure function of the counts, the assumptions and the prices."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from comparison.cost.assumptions import (
    ASSUMPTIONS_PATH,
    CASES,
    CONTEXT_KEY,
    AssumptionError,
    Origin,
    load_assumptions,
    overrides_from,
)
from comparison.cost.compare import compare_costs, measure_stepfunctions, measure_temporal
from comparison.cost.deployment import report_assumptions
from comparison.cost.model import CostConfig
from scenarios import SCENARIOS
from tests.comparison import sfn_history, temporal_history

ASSUMPTIONS = load_assumptions()


def leaves(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every leaf field of a configuration model, by dotted name."""
    names: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= leaves(annotation, f"{prefix}{name}.")
        else:
            names.add(prefix + name)
    return names


def test_every_figure_of_the_configuration_is_assumed_with_a_source_and_a_date() -> None:
    raw = json.loads(ASSUMPTIONS_PATH.read_text())
    assert set(raw["assumptions"]) == leaves(CostConfig)  # no model default silently feeds a report
    assert ASSUMPTIONS.as_of == date.fromisoformat(raw["as_of"])
    assert all(entry.source.strip() and entry.unit for entry in ASSUMPTIONS.entries)
    assert "Re-check" in ASSUMPTIONS.note
    # What varies with the machine or the load is an assumption with a range, never a single guess.
    for name in ("stepfunctions.lambda_billed_ms_per_invocation", "temporal.open_hours_per_execution"):
        assert ASSUMPTIONS.by_name()[name].varies, name


def test_each_case_builds_a_configuration_and_low_is_the_cheaper_end() -> None:
    configs = {case: ASSUMPTIONS.config(case) for case in CASES}
    for entry in ASSUMPTIONS.entries:
        if isinstance(entry.typical, int | float) and not isinstance(entry.typical, bool) and entry.varies:
            assert entry.low <= entry.typical <= entry.high, entry.name  # type: ignore[operator]
    ms = "lambda_billed_ms_per_invocation"
    assert getattr(configs["low"].stepfunctions, ms) < getattr(configs["high"].stepfunctions, ms)


def test_overrides_replace_entries_by_name_and_record_where_they_come_from() -> None:
    changed = ASSUMPTIONS.replaced(
        overrides_from({"temporal.retention_days": 7, "stepfunctions.lambda_billed_ms_per_invocation": {"high": 900}},
                       where="test"), origin=Origin.OVERRIDE, source="cdk.json context")
    retention = changed.by_name()["temporal.retention_days"]
    assert (retention.low, retention.typical, retention.high) == (7, 7, 7)
    assert retention.origin is Origin.OVERRIDE and retention.source == "cdk.json context"
    duration = changed.by_name()["stepfunctions.lambda_billed_ms_per_invocation"]
    original = ASSUMPTIONS.by_name()["stepfunctions.lambda_billed_ms_per_invocation"]
    assert (duration.low, duration.typical, duration.high) == (original.low, original.typical, 900)
    assert changed.config("high").stepfunctions.lambda_billed_ms_per_invocation == 900


def test_a_bad_override_names_the_entry_never_the_value() -> None:
    with pytest.raises(AssumptionError, match=r"unknown assumption\(s\) temporal\.worker_count"):
        ASSUMPTIONS.replaced({"temporal.worker_count": {"value": 3}}, origin=Origin.OVERRIDE, source="test")
    secret = "-12345.5"
    with pytest.raises(AssumptionError, match=r"temporal\.worker_vcpu") as raised:
        ASSUMPTIONS.replaced({"temporal.worker_vcpu": {"value": float(secret)}}, origin=Origin.OVERRIDE, source="t")
    assert secret not in str(raised.value)
    with pytest.raises(AssumptionError, match="either 'value' or"):
        overrides = {"temporal.retention_days": {"value": 7, "low": 1}}
        ASSUMPTIONS.replaced(overrides, origin=Origin.OVERRIDE, source="t")


def test_cdk_json_context_and_a_file_override_in_that_order(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"temporal.retention_days": 14}))
    context: dict[str, Any] = {CONTEXT_KEY: {"temporal.retention_days": 60, "temporal.plan": "business"}}
    resolved = report_assumptions(context=context, overrides_file=path).by_name()
    assert resolved["temporal.retention_days"].typical == 14  # the flag wins over the context
    assert resolved["temporal.retention_days"].source == "--cost-assumptions mine.json"
    assert resolved["temporal.plan"].typical == "business"
    assert resolved["temporal.plan"].source == f"cdk.json context {CONTEXT_KEY}"
    shipped = json.loads((Path(__file__).resolve().parents[3] / "cdk.json").read_text())["context"]
    assert report_assumptions(context=shipped) == load_assumptions()  # the shipped cdk.json overrides nothing
    path.write_text("{not json")
    with pytest.raises(AssumptionError, match=r"mine\.json: not a readable JSON file"):
        report_assumptions(overrides_file=path)


def _shifted(events: list[dict[str, Any]], factor: float, field: str) -> list[dict[str, Any]]:
    """The same history with every interval between events stretched ``factor`` times (a slower machine)."""
    start = None
    result = []
    for event in events:
        moment = event[field] if isinstance(event[field], datetime) else datetime.fromisoformat(str(event[field]))
        start = start or moment
        stretched = start + (moment - start) * factor + timedelta(days=3)
        result.append({**event, field: stretched if isinstance(event[field], datetime) else stretched.isoformat()})
    return result


def test_the_cost_is_a_pure_function_of_counts_assumptions_and_prices() -> None:
    """Timings feed nothing: the same histories timed ten times slower, on another day, price the same bytes."""
    temporal = [temporal_history.onboarding_history(s.application(), encrypt=True).to_dicts() for s in SCENARIOS]
    sfn = [sfn_history.onboarding_history({"application_id": s.application_id, "claim": "s3://c/" + s.application_id},
                                          identity_failures=index % 3).events
           for index, s in enumerate(SCENARIOS)]
    first = compare_costs(measure_temporal(temporal), measure_stepfunctions(sfn))
    slower = compare_costs(measure_temporal([_shifted(h, 10, "eventTime") for h in temporal]),
                           measure_stepfunctions([_shifted(h, 10, "timestamp") for h in sfn]))
    assert first.model_dump_json() == slower.model_dump_json()
    assert set(first.sensitivity) == set(CASES) and first.assumptions is not None
    typical = first.sensitivity["typical"]
    assert typical.crossovers == first.crossovers
    assert typical.monthly_usd[next(iter(first.engines))] == [
        m.total_usd for m in first.engines[next(iter(first.engines))].monthly]
