"""What Lambda billed, read from the functions' logs: the ``REPORT`` line each invocation ends with.

Two formats, both written by the Lambda service itself (never by the function's code):

- text (``LoggingConfig.LogFormat: Text``)::

      REPORT RequestId: 8fc6f963-...\\tDuration: 201.67 ms\\tBilled Duration: 202 ms\\tMemory Size: 2048 MB\\t
      Max Memory Used: 81 MB\\tInit Duration: 480.25 ms\\t\\nXRAY TraceId: 1-61c8... SegmentId: ...\\tSampled: true

- JSON (``LogFormat: JSON``, what this blueprint's functions use)::

      {"time": "...", "type": "platform.report", "record": {"requestId": "79b5e81f-...", "metrics": {
       "durationMs": 1233.96, "billedDurationMs": 1698, "memorySizeMB": 256, "maxMemoryUsedMB": 123,
       "initDurationMs": 463.512}, "status": "success"}}

``Init Duration`` appears on a cold start only; Lambda bills it as part of ``Billed Duration`` for managed runtimes
(https://aws.amazon.com/lambda/pricing/), so the billed figure is what is priced. :func:`lambda_billing` turns the
reports of a deployment into the two cost assumptions they replace (``make audit``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_TEXT = re.compile(
    r"^REPORT RequestId: (?P<request_id>[0-9A-Za-z-]+)\s+"
    r"Duration: (?P<duration>\d+(?:\.\d+)?) ms\s+"
    r"Billed Duration: (?P<billed>\d+(?:\.\d+)?) ms\s+"
    r"Memory Size: (?P<memory>\d+) MB\s+"
    r"Max Memory Used: (?P<max_memory>\d+) MB"
    r"(?:\s+Init Duration: (?P<init>\d+(?:\.\d+)?) ms)?"
)
# What a CloudWatch Logs filter needs to return both formats (FilterLogEvents filterPattern).
FILTER_PATTERN = '?"REPORT RequestId" ?"platform.report"'


class InvocationReport(BaseModel):
    """One invocation as Lambda billed it (milliseconds and MB)."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    duration_ms: float = Field(ge=0)
    billed_ms: float = Field(ge=0)
    memory_mb: int = Field(ge=1)
    max_memory_used_mb: int = Field(ge=0)
    init_ms: float | None = Field(default=None, ge=0)


class LambdaBilling(BaseModel):
    """What a set of reports billed: invocations, mean billed duration, and the memory to price it at (the mean of
    each invocation's memory weighted by its billed time, so ``invocations x mean x memory`` is the exact GB-ms)."""

    model_config = ConfigDict(frozen=True)

    invocations: int = Field(ge=1)
    cold_starts: int = Field(ge=0)
    billed_ms_per_invocation: float = Field(ge=0)
    memory_mb: float = Field(ge=1)


def parse_report(message: str) -> InvocationReport | None:
    """The report in one log event's message, or ``None`` when the event is not a report."""
    text = message.strip()
    if text.startswith("{"):
        return _json_report(text)
    match = _TEXT.match(text)
    if match is None:
        return None
    return InvocationReport(
        request_id=match["request_id"], duration_ms=float(match["duration"]), billed_ms=float(match["billed"]),
        memory_mb=int(match["memory"]), max_memory_used_mb=int(match["max_memory"]),
        init_ms=float(match["init"]) if match["init"] else None,
    )


def _json_report(text: str) -> InvocationReport | None:
    try:
        event: Any = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(event, dict) or event.get("type") != "platform.report":
        return None
    record = event.get("record") or {}
    metrics = record.get("metrics") or {}
    try:
        return InvocationReport(
            request_id=str(record["requestId"]), duration_ms=float(metrics["durationMs"]),
            billed_ms=float(metrics["billedDurationMs"]), memory_mb=int(metrics["memorySizeMB"]),
            max_memory_used_mb=int(metrics.get("maxMemoryUsedMB", 0)),
            init_ms=float(metrics["initDurationMs"]) if "initDurationMs" in metrics else None,
        )
    except (KeyError, TypeError, ValueError):
        return None  # a platform.report without billing figures (e.g. a failed init): nothing to price


def parse_reports(messages: Iterable[str]) -> list[InvocationReport]:
    """Every report among the messages, once per request id (a log event read twice counts once)."""
    seen: dict[str, InvocationReport] = {}
    for message in messages:
        report = parse_report(message)
        if report is not None:
            seen.setdefault(report.request_id, report)
    return list(seen.values())


def lambda_billing(reports: Iterable[InvocationReport]) -> LambdaBilling | None:
    """The billing summary of the reports, ``None`` when there is none."""
    items = list(reports)
    if not items:
        return None
    billed = sum(item.billed_ms for item in items)
    memory = (sum(item.billed_ms * item.memory_mb for item in items) / billed if billed
              else sum(item.memory_mb for item in items) / len(items))
    return LambdaBilling(invocations=len(items), cold_starts=sum(1 for item in items if item.init_ms is not None),
                         billed_ms_per_invocation=billed / len(items), memory_mb=memory)


def measured_assumptions(billing: LambdaBilling, *, where: str) -> dict[str, dict[str, Any]]:
    """The assumption replacements a deployment's billing gives (all three cases: a measurement has no spread)."""
    source = (f"measured: mean billed duration of {billing.invocations} invocation(s) "
              f"({billing.cold_starts} cold) in the REPORT lines of {where}")
    return {
        "stepfunctions.lambda_billed_ms_per_invocation": {"value": billing.billed_ms_per_invocation, "source": source},
        "stepfunctions.lambda_memory_mb": {"value": billing.memory_mb, "source": source},
    }
