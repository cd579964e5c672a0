"""The dated, sourced price table (``comparison/cost/prices.json``), loaded into a typed model.

Every number in the cost model comes from this file; ``as_of`` travels into every report so a reader
knows how old the prices are. A malformed file fails with the pydantic error naming the bad field.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator

PRICES_PATH = Path(__file__).with_name("prices.json")

Arch = Literal["x86_64", "arm64"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ActionTier(_Strict):
    up_to_millions: float | None  # None: no upper bound
    usd_per_million: float = Field(ge=0)
    note: str | None = None


class TemporalPlan(_Strict):
    minimum_usd_per_month: float = Field(ge=0)
    percent_of_usage: float = Field(ge=0, le=100)
    included_actions: int = Field(ge=0)
    included_active_storage_gb: float = Field(ge=0)
    included_retained_storage_gb: float = Field(ge=0)


class TemporalCloudPrices(_Strict):
    sources: list[str]
    action_tiers: list[ActionTier] = Field(min_length=1)
    plans: dict[str, TemporalPlan]
    active_storage_usd_per_gbh: float = Field(ge=0)
    retained_storage_usd_per_gbh: float = Field(ge=0)
    gbh_per_gb_month: PositiveFloat

    @model_validator(mode="after")
    def _tiers_ascend(self) -> TemporalCloudPrices:
        bounds = [tier.up_to_millions for tier in self.action_tiers]
        if any(bound is None for bound in bounds[:-1]) or bounds[-1] is not None:
            raise ValueError("action_tiers: only the last tier may (and must) be unbounded")
        finite = [bound for bound in bounds if bound is not None]
        if finite != sorted(finite) or len(set(finite)) != len(finite):
            raise ValueError("action_tiers: up_to_millions must strictly ascend")
        return self


class StepFunctionsPrices(_Strict):
    sources: list[str]
    standard_usd_per_1000_transitions: float = Field(ge=0)
    free_transitions_per_month: int = Field(ge=0)


class LambdaPrices(_Strict):
    sources: list[str]
    usd_per_million_requests: float = Field(ge=0)
    usd_per_gb_second: dict[Arch, float]
    free_requests_per_month: int = Field(ge=0)
    free_gb_seconds_per_month: float = Field(ge=0)


class LambdaDurablePrices(_Strict):
    sources: list[str]
    as_of: date  # this section's own date: the feature is newer than the rest of the table
    note: str
    usd_per_million_operations: float = Field(ge=0)
    usd_per_gb_written: float = Field(ge=0)
    usd_per_gb_month_retained: float = Field(ge=0)


class FargatePrices(_Strict):
    sources: list[str]
    usd_per_vcpu_hour: dict[Arch, float]
    usd_per_gb_hour: dict[Arch, float]


class VpcPrices(_Strict):
    sources: list[str]
    nat_gateway_usd_per_hour: float = Field(ge=0)
    nat_gateway_usd_per_gb: float = Field(ge=0)
    interface_endpoint_usd_per_az_hour: float = Field(ge=0)
    interface_endpoint_usd_per_gb: float = Field(ge=0)


class KmsPrices(_Strict):
    sources: list[str]
    usd_per_key_month: float = Field(ge=0)
    usd_per_10k_requests: float = Field(ge=0)


class LogsPrices(_Strict):
    sources: list[str]
    ingestion_usd_per_gb: float = Field(ge=0)
    event_overhead_bytes: int = Field(ge=0)


class S3Prices(_Strict):
    sources: list[str]
    usd_per_1000_put: float = Field(ge=0)
    usd_per_1000_get: float = Field(ge=0)


class PriceTable(_Strict):
    schema_version: Literal[1]
    as_of: date
    region: str
    currency: Literal["USD"]
    hours_per_month: PositiveFloat
    note: str
    temporal_cloud: TemporalCloudPrices
    step_functions: StepFunctionsPrices
    lambda_: LambdaPrices = Field(alias="lambda")
    lambda_durable: LambdaDurablePrices
    fargate: FargatePrices
    vpc: VpcPrices
    kms: KmsPrices
    cloudwatch_logs: LogsPrices
    s3: S3Prices

    def sources(self) -> list[str]:
        groups = (self.temporal_cloud, self.step_functions, self.lambda_, self.lambda_durable, self.fargate, self.vpc,
                  self.kms, self.cloudwatch_logs, self.s3)
        return [source for group in groups for source in group.sources]


def load_prices(path: Path = PRICES_PATH) -> PriceTable:
    return PriceTable.model_validate(json.loads(path.read_text(encoding="utf-8")))
