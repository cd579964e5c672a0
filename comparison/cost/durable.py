"""The cost model of AWS Lambda durable functions: what a run counts in the durable execution histories, and the
monthly cost at a volume.

Counted (:func:`measure_durable`, never timed): per execution, the *durable operations* (the execution's start, and
every operation the function checkpoints to an end: each step attempt, callback, wait and child context), the
*data written* (the bytes of every payload the service stores: the input, each result, each error) and the Lambda
*invocations* (the function is invoked again after every wait, callback and retry delay, replaying from the start:
counted from those events, not from the timing-dependent ``InvocationCompleted`` events).

Priced (:class:`DurableCost`) with ``prices.json``'s ``lambda_durable`` section (durable operations per million, data
written per GB, data retained per GB-month) plus the function's own Lambda requests and GB-seconds; what cannot be
counted (billed duration and memory, retention, logs, KMS) is assumed (``durable.*`` in ``assumptions.json``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from comparison.cost.model import Breakdown, DurableSetup, _kms, _network_fixed, _network_per_gb
from comparison.cost.prices import PriceTable

# An operation's end: what the service checkpoints as a completed operation (a failed attempt included).
_ENDS = ("Succeeded", "Failed", "TimedOut", "Stopped", "Cancelled")
_OPERATIONS = ("Step", "Callback", "Wait", "Context", "ChainedInvoke")
DAYS_PER_MONTH = 30.4375  # the mean Gregorian month: retained GB-days to GB-months


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DurableMeasured(_Config):
    """Counted from a run's durable execution histories (means per execution)."""

    executions: int = Field(ge=1)
    durable_operations_per_execution: float = Field(ge=0)
    data_written_bytes_per_execution: float = Field(ge=0)
    lambda_invocations_per_execution: float = Field(ge=0)


def count_durable_operations(history: Sequence[Mapping[str, Any]]) -> int:
    """The execution's start plus every operation end the history records (see the module's counting rule)."""
    started = sum(1 for event in history if event.get("EventType") == "ExecutionStarted")
    ended = sum(1 for event in history if str(event.get("EventType", "")).startswith(_OPERATIONS)
                and str(event.get("EventType", "")).endswith(_ENDS))
    return started + ended


def data_written_bytes(history: Sequence[Mapping[str, Any]]) -> int:
    """UTF-8 bytes of every payload the history stores (inputs, results, errors), as the service received them."""
    total = 0
    for event in history:
        for key, details in event.items():
            if not (key.endswith("Details") and isinstance(details, Mapping)):
                continue
            for field in ("Input", "Result", "Error"):
                stored = details.get(field)
                payload = stored.get("Payload") if isinstance(stored, Mapping) else None
                if isinstance(payload, str):
                    total += len(payload.encode())
                elif isinstance(payload, Mapping):
                    total += sum(len(str(value).encode()) for value in payload.values() if value is not None)
    return total


def count_invocations(history: Sequence[Mapping[str, Any]]) -> int:
    """The function's invocations the execution's design implies: the first, and one more after each suspension (a
    step attempt that failed and waits out its retry delay, a callback, a wait). The history's own
    ``InvocationCompleted`` events are not counted: how many there are depends on timing (an answer that arrives
    before the function suspends needs no new invocation), not on the design."""
    retries = sum(1 for event in history if event.get("EventType") == "StepFailed"
                  and isinstance(event.get("StepFailedDetails"), Mapping)
                  and (event["StepFailedDetails"].get("RetryDetails") or {}).get("NextAttemptDelaySeconds") is not None)
    suspensions = sum(1 for event in history if event.get("EventType") in ("CallbackStarted", "WaitStarted"))
    return 1 + retries + suspensions


def measure_durable(histories: Sequence[Sequence[Mapping[str, Any]]]) -> DurableMeasured:
    """Average operations, data written and invocations per execution over ``GetDurableExecutionHistory`` events
    (with execution data) of each execution."""
    if not histories:
        raise ValueError("histories: at least one durable execution history is needed")
    count = len(histories)
    return DurableMeasured(
        executions=count,
        durable_operations_per_execution=sum(count_durable_operations(h) for h in histories) / count,
        data_written_bytes_per_execution=sum(data_written_bytes(h) for h in histories) / count,
        lambda_invocations_per_execution=sum(count_invocations(h) for h in histories) / count,
    )


class DurableCost:
    """Monthly cost of the durable function architecture; linear in the volume (no allowance is applied)."""

    def __init__(self, measured: DurableMeasured, setup: DurableSetup, prices: PriceTable) -> None:
        self.m, self.setup, self.prices = measured, setup, prices
        self.gb_seconds = (measured.lambda_invocations_per_execution * setup.lambda_billed_ms_per_invocation / 1000
                           * setup.lambda_memory_mb / 1024)
        self.written_gb = measured.data_written_bytes_per_execution / 1e9

    def breakdown(self, n: float) -> Breakdown:
        p, s, m = self.prices, self.setup, self.m
        durable = p.lambda_durable
        return {
            "durable_operations": n * m.durable_operations_per_execution * durable.usd_per_million_operations / 1e6,
            "durable_data_written": n * self.written_gb * durable.usd_per_gb_written,
            # Each month's executions stay retained for the retention period after they close.
            "durable_data_retained": n * self.written_gb * s.retention_days / DAYS_PER_MONTH
            * durable.usd_per_gb_month_retained,
            "lambda_requests": n * m.lambda_invocations_per_execution * p.lambda_.usd_per_million_requests / 1e6,
            "lambda_duration": n * self.gb_seconds * p.lambda_.usd_per_gb_second[s.lambda_arch],
            "network": _network_fixed(s.network, p)
            + n * self.written_gb * s.network_bytes_per_written_byte * _network_per_gb(s.network, p),
            "kms": _kms(s.kms_keys, n * s.kms_requests_per_execution, p),
            "logs": n * s.log_bytes_per_execution / 1e9 * p.cloudwatch_logs.ingestion_usd_per_gb,
        }

    def unit_usd(self) -> float:
        return sum(self.breakdown(1.0).values()) - sum(self.breakdown(0.0).values())

    def kinks(self, upper: float) -> list[float]:
        return []
