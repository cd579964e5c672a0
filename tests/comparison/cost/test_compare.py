"""The cost model: prices applied as published, counts measured from histories, crossovers solved exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from comparison.cost.compare import (
    compare_costs,
    crossovers,
    history_bytes,
    measure_stepfunctions,
    measure_temporal,
    observed_timings,
)
from comparison.cost.durable import DurableMeasured
from comparison.cost.model import (
    CostConfig,
    NetworkSetup,
    StepFunctionsCost,
    StepFunctionsMeasured,
    StepFunctionsSetup,
    TemporalCost,
    TemporalMeasured,
    TemporalSetup,
    linear_roots,
    tiered_actions_usd,
)
from comparison.cost.prices import PRICES_PATH, PriceTable, load_prices
from comparison.models import Engine
from scenarios import scenario
from tests.comparison import sfn_history, temporal_history

PRICES = load_prices()
NO_NETWORK = NetworkSetup(nat_gateways=0)


def temporal_measured(actions: float, history_bytes: float = 0) -> TemporalMeasured:
    return TemporalMeasured(executions=1, actions_per_execution=actions, history_bytes_per_execution=history_bytes)


def sfn_measured(transitions: float, invocations: float = 0, log_bytes: float = 0) -> StepFunctionsMeasured:
    return StepFunctionsMeasured(executions=1, transitions_per_execution=transitions, retries_per_execution=0,
                                 lambda_invocations_per_execution=invocations, log_bytes_per_execution=log_bytes)


def sfn_setup(ms: float = 100.0, **fields: Any) -> StepFunctionsSetup:
    """The setup the tests price with: the model's defaults, the Lambda duration assumed at ``ms``."""
    return StepFunctionsSetup(lambda_billed_ms_per_invocation=ms, **fields)


def test_price_table_is_dated_sourced_and_says_to_recheck() -> None:
    raw = json.loads(PRICES_PATH.read_text())
    assert raw["as_of"] == str(PRICES.as_of)
    assert "re-check" in PRICES.note
    assert all(source.startswith("https://") for source in PRICES.sources())
    assert PRICES.step_functions.standard_usd_per_1000_transitions == 0.025
    assert PRICES.temporal_cloud.plans["essentials"].included_actions == 1_000_000


def test_a_malformed_price_table_names_the_bad_field(tmp_path: Path) -> None:
    raw = json.loads(PRICES_PATH.read_text())
    raw["temporal_cloud"]["action_tiers"] = list(reversed(raw["temporal_cloud"]["action_tiers"]))
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ValidationError, match="action_tiers"):
        load_prices(path)


def test_action_tiers_reproduce_the_published_example() -> None:
    # Temporal's pricing page: 11.25M actions over the allocation = 5M x $50 + 5M x $45 + 1.25M x $40 = $525.
    assert tiered_actions_usd(11_250_000, PRICES) == pytest.approx(525.0)
    assert tiered_actions_usd(0, PRICES) == 0
    assert tiered_actions_usd(300e6, PRICES) == pytest.approx(
        5 * 50 + 5 * 45 + 10 * 40 + 30 * 35 + 50 * 30 + 100 * 25 + 100 * 25)


def test_temporal_monthly_cost_applies_every_price() -> None:
    model = TemporalCost(temporal_measured(10, history_bytes=20_000), TemporalSetup(), PRICES)
    month = model.breakdown(1_000_000)
    # 10M actions - 1M included = 9M: 5M at $50 + 4M at $45.
    assert month["temporal_cloud_actions"] == pytest.approx(430.0)
    # 20 kB x 1M = 20 GB retained 30 days = 14,400 GBh, less 40 GB x 744 GBh included -> within allowance.
    assert month["temporal_cloud_storage"] == pytest.approx(0.0)
    assert month["temporal_cloud_plan"] == pytest.approx(100.0)  # 5% of $430 is below the $100 minimum
    assert month["fargate_workers"] == pytest.approx(2 * (0.5 * 0.04048 + 1.0 * 0.004445) * 730)
    assert month["network"] == pytest.approx(0.045 * 730 + 1e6 * 20_000 * 2 / 1e9 * 0.045)
    assert month["kms"] == pytest.approx(1.0 + 1e6 * 0.01 / 1e4 * 0.03)
    busy = model.breakdown(100_000_000)  # 1B actions: the plan fee becomes 5% of usage
    usage = busy["temporal_cloud_actions"] + busy["temporal_cloud_storage"]
    assert busy["temporal_cloud_plan"] == pytest.approx(0.05 * usage)
    assert busy["temporal_cloud_storage"] == pytest.approx((2e12 / 1e9 * 30 * 24 - 40 * 744) * 0.00105)


def test_step_functions_monthly_cost_applies_every_price() -> None:
    model = StepFunctionsCost(sfn_measured(13, invocations=11, log_bytes=5_000), sfn_setup(ms=120), PRICES,
                              free_tiers=False)
    month = model.breakdown(1_000_000)
    assert month["step_functions_transitions"] == pytest.approx(13e6 * 0.025 / 1000)
    assert month["lambda_requests"] == pytest.approx(11e6 * 0.20 / 1e6)
    assert month["lambda_duration"] == pytest.approx(11e6 * 0.120 * 0.5 * 0.0000166667)
    assert month["s3_claim_check"] == pytest.approx(1e6 * (1 * 0.005 + 6 * 0.0004) / 1000)
    assert month["kms"] == pytest.approx(3 * 1.0 + 1e6 * 1.0 / 1e4 * 0.03)
    assert month["logs"] == pytest.approx(5e9 / 1e9 * 0.50)
    assert month["network"] == pytest.approx(0.045 * 730)


def test_aws_free_tiers_apply_only_when_asked() -> None:
    measured = sfn_measured(13, invocations=11)
    paid = StepFunctionsCost(measured, sfn_setup(ms=120), PRICES, free_tiers=False).breakdown(100)
    free = StepFunctionsCost(measured, sfn_setup(ms=120), PRICES, free_tiers=True).breakdown(100)
    assert paid["step_functions_transitions"] > 0
    assert free["step_functions_transitions"] == free["lambda_requests"] == free["lambda_duration"] == 0
    above = StepFunctionsCost(measured, sfn_setup(ms=120), PRICES, free_tiers=True).breakdown(1000)
    assert above["step_functions_transitions"] == pytest.approx((13_000 - 4_000) * 0.025 / 1000)


def test_crossover_is_solved_exactly_where_both_costs_are_linear() -> None:
    # Temporal: 4 actions per execution, nothing but actions, the plan minimum and two workers; Step Functions:
    # 20 transitions per execution and nothing fixed. Between 250k and 1.5M executions Temporal is
    # fixed + 100 + 50e-6 x (4N - 1M), Step Functions 0.025e-3 x 20N, so they meet at
    # N = (fixed + 100 - 50) / (500e-6 - 200e-6).
    t_setup = TemporalSetup(kms_keys=0, kms_requests_per_execution=0, network=NO_NETWORK)
    s_setup = StepFunctionsSetup(kms_keys=0, kms_requests_per_execution=0, s3_puts_per_execution=0,
                                 s3_gets_per_execution=0, network=NO_NETWORK)
    t_model = TemporalCost(temporal_measured(4), t_setup, PRICES)
    s_model = StepFunctionsCost(sfn_measured(20), s_setup, PRICES, free_tiers=False)
    workers = 2 * (0.5 * 0.04048 + 0.004445) * 730
    expected = (workers + 100 - 50) / (500e-6 - 200e-6)
    assert 250_000 < expected < 1_500_000
    [found] = crossovers({Engine.TEMPORAL: t_model, Engine.STEPFUNCTIONS: s_model})
    assert found.executions_per_month == pytest.approx(expected, rel=1e-9)
    assert (found.cheaper_below, found.cheaper_above) == (Engine.STEPFUNCTIONS, Engine.TEMPORAL)
    assert found.monthly_usd == pytest.approx(sum(s_model.breakdown(expected).values()), rel=1e-9)


def test_crossover_on_a_tier_boundary_segment_is_still_exact() -> None:
    """A crossover that falls past several kinks (allowance, tiers, the plan's switch to a percentage)."""
    t_model = TemporalCost(temporal_measured(12, history_bytes=30_000), TemporalSetup(), PRICES)
    s_model = StepFunctionsCost(sfn_measured(22, invocations=11, log_bytes=9_000), sfn_setup(ms=150), PRICES,
                                free_tiers=False)
    found = crossovers({Engine.TEMPORAL: t_model, Engine.STEPFUNCTIONS: s_model})
    assert found, "expected Temporal's volume discounts to overtake Step Functions"
    for item in found:
        n = item.executions_per_month
        total_t, total_s = sum(t_model.breakdown(n).values()), sum(s_model.breakdown(n).values())
        assert total_t == pytest.approx(total_s, rel=1e-9)
        below = sum(t_model.breakdown(n * 0.99).values()) - sum(s_model.breakdown(n * 0.99).values())
        above = sum(t_model.breakdown(n * 1.01).values()) - sum(s_model.breakdown(n * 1.01).values())
        assert below * above < 0


def test_no_crossover_when_one_side_is_cheaper_everywhere() -> None:
    t_model = TemporalCost(temporal_measured(30), TemporalSetup(), PRICES)
    s_model = StepFunctionsCost(sfn_measured(5), StepFunctionsSetup(), PRICES, free_tiers=False)
    assert crossovers({Engine.TEMPORAL: t_model, Engine.STEPFUNCTIONS: s_model}) == []


def test_linear_roots_finds_every_sign_change_between_kinks() -> None:
    def tent(n: float) -> float:
        return n - 10 if n <= 20 else 30 - n

    assert linear_roots(tent, [20.0], 100.0) == pytest.approx([10.0, 30.0])


def test_measured_counts_come_from_the_histories() -> None:
    application = scenario("transient_identity_then_review_approved").application()
    temporal_histories = [temporal_history.onboarding_history(application, encrypt=True, identity_attempts=n)
                          .to_dicts() for n in (1, 3)]
    measured = measure_temporal(temporal_histories)
    assert measured.executions == 2
    assert measured.actions_per_execution == pytest.approx((11 + 13) / 2)
    assert measured.actions_by_kind["activity_attempts"] == pytest.approx(9)
    assert measured.history_bytes_per_execution > 1000

    claim = {"application_id": application["application_id"], "claim": "s3://claims/app"}
    sfn_histories = [sfn_history.onboarding_history(claim, identity_failures=n) for n in (0, 2)]
    logs = [[{"message": "x" * 74}] * 10 for _ in sfn_histories]
    sfn = measure_stepfunctions([h.events for h in sfn_histories], logs)
    assert sfn.transitions_per_execution == pytest.approx((11 + 13) / 2)
    assert sfn.retries_per_execution == pytest.approx(1)
    assert sfn.lambda_invocations_per_execution == pytest.approx((9 + 11) / 2)
    assert sfn.log_bytes_per_execution == pytest.approx(10 * (74 + 26))
    # What the histories *timed* is kept apart, for notes only: the cost model never reads it.
    timings = observed_timings(temporal_histories, [h.events for h in sfn_histories])
    assert timings["temporal_open_seconds"] == pytest.approx((len(temporal_histories[0]) - 1) * 0.25)
    assert timings["lambda_ms_per_invocation"] == pytest.approx(120)
    assert "open_seconds" not in measured.model_dump() and "lambda_billed_ms_per_invocation" not in sfn.model_dump()


def test_compare_costs_reports_volumes_unit_cost_and_the_price_date() -> None:
    config = CostConfig(stepfunctions=sfn_setup(ms=120))
    durable = DurableMeasured(executions=1, durable_operations_per_execution=12, data_written_bytes_per_execution=8_000,
                              lambda_invocations_per_execution=2)
    comparison = compare_costs(temporal_measured(13, 25_000), sfn_measured(13, 11, 6_000), config, durable=durable)
    dumped: dict[str, Any] = comparison.model_dump(mode="json")
    assert list(dumped["engines"]) == [engine.value for engine in Engine]
    for engine in Engine:
        item = dumped["engines"][engine.value]
        assert item["price_table_date"] == str(PRICES.as_of)
        assert [m["executions_per_month"] for m in item["monthly"]] == [10_000, 100_000, 1_000_000, 10_000_000]
        assert item["usd_per_million_executions"] > 0
    temporal, stepfunctions = comparison.engines[Engine.TEMPORAL], comparison.engines[Engine.STEPFUNCTIONS]
    assert temporal.per_execution["actions"] == 13
    assert stepfunctions.per_execution["state_transitions"] == 13
    # Unit price per million: 13M actions at $50/M, 25 kB x 1M retained 30 days, twice the history over NAT,
    # 0.01 KMS requests per execution.
    retained = 25_000 * 1e6 / 1e9 * 30 * 24 * 0.00105
    network = 25_000 * 2 * 1e6 / 1e9 * 0.045
    assert temporal.usd_per_million_executions == pytest.approx(13 * 50 + retained + network + 0.03)
    assert stepfunctions.usd_per_million_executions == pytest.approx(
        13 * 25 + 11 * 0.20 + 11 * 0.120 * 0.5 * 0.0000166667 * 1e6 + 7.4 + 3 + 6_000 * 1e6 / 1e9 * 0.5)
    # 12 operations at $8/M, 8 kB written at $0.25/GB and retained 30 days at $0.15/GB-month, 2 invocations of
    # 300 ms at 512 MB, 16 kB over NAT, 1 KMS request.
    written_gb = 8_000 * 1e6 / 1e9
    assert comparison.engines[Engine.DURABLE].usd_per_million_executions == pytest.approx(
        12 * 8 + written_gb * 0.25 + written_gb * 30 / 30.4375 * 0.15 + 2 * 0.20 + 2 * 0.3 * 0.5 * 0.0000166667 * 1e6
        + written_gb * 2 * 0.045 + 3)
    curve = comparison.curve
    assert [p.executions_per_month for p in curve] == sorted(p.executions_per_month for p in curve)
    for crossover in comparison.crossovers:
        for month_t, month_s in zip(temporal.monthly, stepfunctions.monthly, strict=True):
            cheaper = Engine.TEMPORAL if month_t.total_usd < month_s.total_usd else Engine.STEPFUNCTIONS
            side = crossover.cheaper_below if month_t.executions_per_month < crossover.executions_per_month else (
                crossover.cheaper_above)
            if len(comparison.crossovers) == 1:
                assert cheaper is side


def test_unknown_plan_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"temporal\.plan"):
        TemporalCost(temporal_measured(1), TemporalSetup(plan="platinum"), PRICES)


def test_config_rejects_bad_values_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="worker_tasks"):
        CostConfig.model_validate({"temporal": {"worker_tasks": -1}})


def test_price_table_model_round_trips() -> None:
    again = PriceTable.model_validate(PRICES.model_dump(by_alias=True))
    assert again == PRICES


def test_the_comparison_is_keyed_by_engine_and_every_curve_point_prices_every_engine() -> None:
    durable = DurableMeasured(executions=1, durable_operations_per_execution=14, data_written_bytes_per_execution=9_000,
                              lambda_invocations_per_execution=3)
    comparison = compare_costs(temporal_measured(12, 30_000), sfn_measured(22, 11, 9_000),
                               CostConfig(stepfunctions=sfn_setup(ms=150)), durable=durable)
    assert list(comparison.engines) == list(Engine)
    assert all(list(point.usd) == list(Engine) for point in comparison.curve)
    for index, volume in enumerate(comparison.volumes):
        totals = {engine: item.monthly[index].total_usd for engine, item in comparison.engines.items()}
        assert all(item.monthly[index].executions_per_month == volume for item in comparison.engines.values())
        assert comparison.cheapest(index) is min(totals, key=lambda engine: totals[engine])
    crossing = {point.executions_per_month: point.usd for point in comparison.curve}
    for crossover in comparison.crossovers:  # every crossover is on the curve, where the two totals meet
        usd = crossing[crossover.executions_per_month]
        assert usd[crossover.cheaper_below] == pytest.approx(usd[crossover.cheaper_above], rel=1e-9)


def test_history_bytes_do_not_depend_on_how_many_workflow_tasks_the_timing_made() -> None:
    """A loaded machine splits completions over more workflow tasks (or times one out): same design, same bytes."""
    events = temporal_history.onboarding_history(scenario("review_approved").application(), encrypt=True).to_dicts()
    tasks = [event for event in events if "WORKFLOW_TASK" in str(event["eventType"])]
    assert tasks  # the sample history has workflow tasks to repeat
    busier = [*events[:3], *(dict(event) for event in tasks[:3]), *events[3:]]
    assert history_bytes(busier) == history_bytes(events)
    content = next(index for index, event in enumerate(events) if "ACTIVITY_TASK_COMPLETED" in str(event["eventType"]))
    assert history_bytes(events[:content] + events[content + 1:]) < history_bytes(events)  # content still counts
