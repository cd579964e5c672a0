"""Monthly cost of each architecture as a function of executions per month.

Two kinds of input, kept apart so that a report is a pure function of the design: what a run *counts*
(:class:`TemporalMeasured`, :class:`StepFunctionsMeasured`: Actions, transitions, retries, invocations, history bytes;
the same on every machine) and what is *assumed* (the ``*Setup`` models: durations, sizes, counts of workers, retention;
reports take every one of them from :mod:`comparison.cost.assumptions`, never from these defaults).

Both functions are piecewise linear in the volume N (tiers, allowances, free tiers and the Temporal
plan's "greater of minimum or percentage" each add a kink), so each model also returns its kinks;
between kinks the difference of the two costs is linear and crossovers are solved exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from comparison.cost.prices import Arch, PriceTable


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NetworkSetup(_Config):
    """Egress of the code that runs in the VPC (workers or task Lambdas)."""

    egress: Literal["nat", "privatelink"] = "nat"
    nat_gateways: int = Field(default=1, ge=0)
    interface_endpoints: int = Field(default=0, ge=0)  # endpoint services; each is billed per AZ
    azs: int = Field(default=2, ge=1)


class TemporalSetup(_Config):
    plan: str = "essentials"
    worker_tasks: int = Field(default=2, ge=0)
    worker_vcpu: float = Field(default=0.5, gt=0)
    worker_memory_gb: float = Field(default=1.0, gt=0)
    worker_arch: Arch = "x86_64"
    retention_days: float = Field(default=30, ge=1)  # namespace retention of closed histories
    # How long an execution stays open (its history is active storage meanwhile); a wall-clock time, so assumed.
    open_hours_per_execution: float = Field(default=0.0, ge=0)
    # Payload bytes cross the network about twice per history byte (worker -> service -> worker).
    network_bytes_per_history_byte: float = Field(default=2.0, ge=0)
    kms_keys: int = Field(default=1, ge=0)  # payload codec key
    kms_requests_per_execution: float = Field(default=0.01, ge=0)  # data keys are cached
    log_bytes_per_execution: float = Field(default=0, ge=0)  # worker logs (not measured locally)
    network: NetworkSetup = NetworkSetup()


class StepFunctionsSetup(_Config):
    lambda_memory_mb: float = Field(default=512, ge=128)
    lambda_arch: Arch = "x86_64"
    # Billed duration of one task invocation (init included when billed): machine-dependent, so assumed, or read
    # from a deployment's REPORT lines by `make audit`.
    lambda_billed_ms_per_invocation: float = Field(default=100.0, gt=0)
    kms_keys: int = Field(default=3, ge=0)  # history, logs, claim check
    kms_requests_per_execution: float = Field(default=1.0, ge=0)
    s3_puts_per_execution: float = Field(default=1.0, ge=0)  # claim check written once
    s3_gets_per_execution: float = Field(default=6.0, ge=0)  # read by the handlers that need PII
    network_gb_per_execution: float = Field(default=0.0, ge=0)  # DynamoDB/S3 go through free gateway endpoints
    # State machine log volume per transition, used when no log event was read (moto writes none).
    log_bytes_per_transition: float = Field(default=0.0, ge=0)
    network: NetworkSetup = NetworkSetup()


class DurableSetup(_Config):
    lambda_memory_mb: float = Field(default=512, ge=128)
    lambda_arch: Arch = "x86_64"
    # Billed duration of one invocation (it replays the steps done before, then runs until the next suspension):
    # machine-dependent, so assumed, or read from a deployment's REPORT lines.
    lambda_billed_ms_per_invocation: float = Field(default=300.0, gt=0)
    retention_days: float = Field(default=30, ge=1, le=90)  # DurableConfig.RetentionPeriodInDays
    kms_keys: int = Field(default=3, ge=0)  # checkpoint, data, logs
    kms_requests_per_execution: float = Field(default=1.0, ge=0)
    log_bytes_per_execution: float = Field(default=0, ge=0)  # the function's own log lines
    # The checkpoint API is reached through the VPC's egress: each written byte goes out once and is read back on
    # the replays that follow.
    network_bytes_per_written_byte: float = Field(default=2.0, ge=0)
    network: NetworkSetup = NetworkSetup()


class CostConfig(_Config):
    temporal: TemporalSetup = TemporalSetup()
    stepfunctions: StepFunctionsSetup = StepFunctionsSetup()
    durable: DurableSetup = DurableSetup()
    apply_aws_free_tiers: bool = False  # account-wide allowances are usually spent elsewhere
    volumes: tuple[int, ...] = (10_000, 100_000, 1_000_000, 10_000_000)


class TemporalMeasured(_Config):
    """Counted from a run's Temporal histories (means per execution)."""

    executions: int = Field(ge=1)
    actions_per_execution: float = Field(ge=0)
    actions_by_kind: dict[str, float] = Field(default_factory=dict)
    history_bytes_per_execution: float = Field(ge=0)


class StepFunctionsMeasured(_Config):
    """Counted from a run's Step Functions histories (means per execution); ``log_bytes_per_execution`` is ``None``
    when no state machine log event was read (then ``StepFunctionsSetup.log_bytes_per_transition`` applies)."""

    executions: int = Field(ge=1)
    transitions_per_execution: float = Field(ge=0)
    retries_per_execution: float = Field(ge=0)
    lambda_invocations_per_execution: float = Field(ge=0)
    log_bytes_per_execution: float | None = Field(default=None, ge=0)

    def log_bytes(self, setup: StepFunctionsSetup) -> float:
        if self.log_bytes_per_execution is not None:
            return self.log_bytes_per_execution
        return self.transitions_per_execution * setup.log_bytes_per_transition


Breakdown = dict[str, float]


class CostModel(Protocol):
    """An architecture's monthly cost as a piecewise-linear function of executions per month (USD)."""

    def breakdown(self, n: float) -> Breakdown:
        """USD per cost item for ``n`` executions in a month (fixed costs included)."""
        ...

    def unit_usd(self) -> float:
        """Usage-priced charges of one execution at list price (no allowance, minimum or fixed cost)."""
        ...

    def kinks(self, upper: float) -> list[float]:
        """The volumes in (0, ``upper``) where the cost's slope changes."""
        ...


def _over(amount: float, allowance: float) -> float:
    return max(0.0, amount - allowance)


def _kink(allowance: float, per_execution: float) -> list[float]:
    return [allowance / per_execution] if allowance > 0 and per_execution > 0 else []


def _network_fixed(network: NetworkSetup, prices: PriceTable) -> float:
    hours = prices.hours_per_month
    return (network.nat_gateways * prices.vpc.nat_gateway_usd_per_hour * hours
            + network.interface_endpoints * network.azs * prices.vpc.interface_endpoint_usd_per_az_hour * hours)


def _network_per_gb(network: NetworkSetup, prices: PriceTable) -> float:
    return prices.vpc.nat_gateway_usd_per_gb if network.egress == "nat" else prices.vpc.interface_endpoint_usd_per_gb


def _kms(keys: int, requests: float, prices: PriceTable) -> float:
    return keys * prices.kms.usd_per_key_month + requests / 1e4 * prices.kms.usd_per_10k_requests


def tiered_actions_usd(billable_actions: float, prices: PriceTable) -> float:
    total, floor = 0.0, 0.0
    for tier in prices.temporal_cloud.action_tiers:
        ceiling = float("inf") if tier.up_to_millions is None else tier.up_to_millions * 1e6
        in_tier = min(billable_actions, ceiling) - floor
        if in_tier <= 0:
            break
        total += in_tier * tier.usd_per_million / 1e6
        floor = ceiling
    return total


class TemporalCost:
    def __init__(self, measured: TemporalMeasured, setup: TemporalSetup, prices: PriceTable) -> None:
        if setup.plan not in prices.temporal_cloud.plans:
            raise ValueError(f"temporal.plan: unknown plan (known: {', '.join(prices.temporal_cloud.plans)})")
        self.m, self.setup, self.prices = measured, setup, prices
        self.plan = prices.temporal_cloud.plans[setup.plan]
        cloud = prices.temporal_cloud
        gb = measured.history_bytes_per_execution / 1e9
        self.active_gbh = gb * setup.open_hours_per_execution
        self.retained_gbh = gb * setup.retention_days * 24
        self.included_active_gbh = self.plan.included_active_storage_gb * cloud.gbh_per_gb_month
        self.included_retained_gbh = self.plan.included_retained_storage_gb * cloud.gbh_per_gb_month
        self.network_gb = gb * setup.network_bytes_per_history_byte

    def consumption(self, n: float) -> float:
        cloud = self.prices.temporal_cloud
        actions = tiered_actions_usd(_over(self.m.actions_per_execution * n, self.plan.included_actions), self.prices)
        storage = (_over(self.active_gbh * n, self.included_active_gbh) * cloud.active_storage_usd_per_gbh
                   + _over(self.retained_gbh * n, self.included_retained_gbh) * cloud.retained_storage_usd_per_gbh)
        return actions + storage

    def breakdown(self, n: float) -> Breakdown:
        p, s = self.prices, self.setup
        actions = tiered_actions_usd(_over(self.m.actions_per_execution * n, self.plan.included_actions), p)
        storage = self.consumption(n) - actions
        plan = max(self.plan.minimum_usd_per_month, self.plan.percent_of_usage / 100 * (actions + storage))
        worker_hour = (s.worker_vcpu * p.fargate.usd_per_vcpu_hour[s.worker_arch]
                       + s.worker_memory_gb * p.fargate.usd_per_gb_hour[s.worker_arch])
        return {
            "temporal_cloud_actions": actions,
            "temporal_cloud_storage": storage,
            "temporal_cloud_plan": plan,
            "fargate_workers": s.worker_tasks * worker_hour * p.hours_per_month,
            "network": _network_fixed(s.network, p) + n * self.network_gb * _network_per_gb(s.network, p),
            "kms": _kms(s.kms_keys, n * s.kms_requests_per_execution, p),
            "logs": n * s.log_bytes_per_execution / 1e9 * p.cloudwatch_logs.ingestion_usd_per_gb,
        }

    def unit_usd(self) -> float:
        """Usage-priced charges of one execution at list price (first tier, no allowance or minimum)."""
        p, s = self.prices, self.setup
        first_tier = p.temporal_cloud.action_tiers[0].usd_per_million / 1e6
        return (self.m.actions_per_execution * first_tier
                + self.active_gbh * p.temporal_cloud.active_storage_usd_per_gbh
                + self.retained_gbh * p.temporal_cloud.retained_storage_usd_per_gbh
                + self.network_gb * _network_per_gb(s.network, p)
                + s.kms_requests_per_execution / 1e4 * p.kms.usd_per_10k_requests
                + s.log_bytes_per_execution / 1e9 * p.cloudwatch_logs.ingestion_usd_per_gb)

    def kinks(self, upper: float) -> list[float]:
        a = self.m.actions_per_execution
        points = _kink(self.plan.included_actions, a)
        if a > 0:
            points += [(self.plan.included_actions + t.up_to_millions * 1e6) / a
                       for t in self.prices.temporal_cloud.action_tiers if t.up_to_millions is not None]
        points += _kink(self.included_active_gbh, self.active_gbh)
        points += _kink(self.included_retained_gbh, self.retained_gbh)
        # Where the plan's percentage of usage overtakes its minimum.
        share = self.plan.percent_of_usage / 100
        points += linear_roots(lambda n: share * self.consumption(n) - self.plan.minimum_usd_per_month, points, upper)
        return sorted(point for point in points if 0 < point < upper)


class StepFunctionsCost:
    def __init__(
        self, measured: StepFunctionsMeasured, setup: StepFunctionsSetup, prices: PriceTable, *, free_tiers: bool
    ) -> None:
        self.m, self.setup, self.prices, self.free_tiers = measured, setup, prices, free_tiers
        self.gb_seconds = (measured.lambda_invocations_per_execution * setup.lambda_billed_ms_per_invocation / 1000
                           * setup.lambda_memory_mb / 1024)

    def _allowance(self, amount: float) -> float:
        return amount if self.free_tiers else 0.0

    def breakdown(self, n: float) -> Breakdown:
        p, s, m = self.prices, self.setup, self.m
        free_transitions = self._allowance(p.step_functions.free_transitions_per_month)
        transitions = _over(m.transitions_per_execution * n, free_transitions)
        requests = _over(m.lambda_invocations_per_execution * n, self._allowance(p.lambda_.free_requests_per_month))
        gb_seconds = _over(self.gb_seconds * n, self._allowance(p.lambda_.free_gb_seconds_per_month))
        return {
            "step_functions_transitions": transitions * p.step_functions.standard_usd_per_1000_transitions / 1000,
            "lambda_requests": requests * p.lambda_.usd_per_million_requests / 1e6,
            "lambda_duration": gb_seconds * p.lambda_.usd_per_gb_second[s.lambda_arch],
            "s3_claim_check": n * (s.s3_puts_per_execution * p.s3.usd_per_1000_put
                                   + s.s3_gets_per_execution * p.s3.usd_per_1000_get) / 1000,
            "network": _network_fixed(s.network, p) + n * s.network_gb_per_execution * _network_per_gb(s.network, p),
            "kms": _kms(s.kms_keys, n * s.kms_requests_per_execution, p),
            "logs": n * m.log_bytes(s) / 1e9 * p.cloudwatch_logs.ingestion_usd_per_gb,
        }

    def unit_usd(self) -> float:
        """Usage-priced charges of one execution at list price (no free tier, no fixed cost)."""
        plain = StepFunctionsCost(self.m, self.setup, self.prices, free_tiers=False)
        return sum(plain.breakdown(1.0).values()) - sum(plain.breakdown(0.0).values())

    def kinks(self, upper: float) -> list[float]:
        if not self.free_tiers:
            return []
        p, m = self.prices, self.m
        points = (_kink(p.step_functions.free_transitions_per_month, m.transitions_per_execution)
                  + _kink(p.lambda_.free_requests_per_month, m.lambda_invocations_per_execution)
                  + _kink(p.lambda_.free_gb_seconds_per_month, self.gb_seconds))
        return sorted(point for point in points if 0 < point < upper)


def linear_roots(fn: Callable[[float], float], kinks: Iterable[float], upper: float) -> list[float]:
    """Roots in [0, upper] of a function that is linear between ``kinks`` (where it changes sign)."""
    knots = sorted({0.0, upper, *(k for k in kinks if 0 < k < upper)})
    roots: list[float] = []
    for left, right in itertools.pairwise(knots):
        f_left, f_right = fn(left), fn(right)
        if f_left == 0:
            roots.append(left)
        elif f_left * f_right < 0:
            roots.append(left + f_left * (right - left) / (f_left - f_right))
    if fn(upper) == 0:
        roots.append(upper)
    return sorted(set(roots))
