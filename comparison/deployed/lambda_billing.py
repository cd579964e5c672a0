"""What the deployment's task Lambdas billed during the audit, from the REPORT lines in their log groups.

The task functions are named ``<environment_name>-<function>`` (``_`` becomes ``-``) and log to
``/aws/lambda/<function name>`` (infra's convention, see ``infra/components/task_functions.py``). After the canaries,
:func:`read_billing` reads every report written since the audit started (``FilterLogEvents``), waiting briefly for
CloudWatch Logs to deliver them, and returns the assumption replacements
(:func:`comparison.cost.lambda_reports.measured_assumptions`) with a note for the report. The entry function (intake)
is left out: the cost model prices the invocations the state machine makes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from comparison.cost.lambda_reports import (
    FILTER_PATTERN,
    InvocationReport,
    lambda_billing,
    measured_assumptions,
    parse_reports,
)
from contract.registry import TaskFunction

WAIT_SECONDS = 60.0  # CloudWatch Logs delivers within seconds; this bounds the wait for a slow delivery
POLL_SECONDS = 5.0


@dataclass(frozen=True)
class MeasuredBilling:
    assumptions: dict[str, dict[str, Any]]  # empty when nothing was read
    note: str


def task_log_groups(environment_name: str, functions: Iterable[TaskFunction], *, entry: str) -> list[str]:
    """The log groups of the task functions (every function but ``entry``)."""
    return [f"/aws/lambda/{environment_name}-{function.name.replace('_', '-')}" for function in functions
            if function.name != entry]


def read_reports(logs: Any, log_groups: Sequence[str], *, since_ms: int) -> tuple[list[InvocationReport], list[str]]:
    """Every REPORT since ``since_ms`` in ``log_groups``, and the groups that could not be read (by name)."""
    messages: list[str] = []
    unreadable: list[str] = []
    for group in log_groups:
        try:
            pages = logs.get_paginator("filter_log_events").paginate(
                logGroupName=group, startTime=since_ms, filterPattern=FILTER_PATTERN)
            messages += [str(event.get("message", "")) for page in pages for event in page.get("events", [])]
        except (ClientError, BotoCoreError) as error:
            unreadable.append(f"{group} ({type(error).__name__})")
    return parse_reports(messages), unreadable


def read_billing(logs: Any, log_groups: Sequence[str], *, since_ms: int, expected: int,
                 wait_seconds: float = WAIT_SECONDS, sleep: Callable[[float], None] = time.sleep) -> MeasuredBilling:
    """Wait until ``expected`` reports (the invocations the histories count) have arrived, at most
    ``wait_seconds``, then summarise what was read."""
    deadline = time.monotonic() + wait_seconds
    while True:
        reports, unreadable = read_reports(logs, log_groups, since_ms=since_ms)
        if len(reports) >= expected or time.monotonic() >= deadline:
            break
        sleep(POLL_SECONDS)
    where = f"{len(log_groups)} task function log groups"
    billing = lambda_billing(reports)
    problems = f"; unreadable: {', '.join(unreadable)}" if unreadable else ""
    if billing is None:
        return MeasuredBilling({}, f"Lambda billing: no REPORT line found in the {where} since the audit started"
                                   f"{problems}; the cost keeps the assumed duration and memory.")
    return MeasuredBilling(measured_assumptions(billing, where=where), (
        f"Lambda billing: {billing.invocations} REPORT line(s) read for {expected} task invocation(s) counted "
        f"({billing.cold_starts} cold start(s)); mean billed {billing.billed_ms_per_invocation:.1f} ms at "
        f"{billing.memory_mb:.0f} MB replace the assumed duration and memory{problems}."))
