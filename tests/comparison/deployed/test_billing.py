"""``make audit`` reads what the task Lambdas billed from their log groups, through CloudWatch Logs' real API (a moto
server here), with the filter pattern it uses against AWS."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from comparison.deployed.lambda_billing import read_billing, task_log_groups
from contract.onboarding import ONBOARDING, ONBOARDING_FUNCTIONS
from local.aws import AwsEmulation, moto_server
from tests.comparison.cost.test_lambda_reports import COLD_JSON, OTHER_LINES, WARM_JSON, WARM_TEXT


@pytest.fixture(scope="module")
def aws() -> Iterator[AwsEmulation]:
    with moto_server() as emulation:
        yield emulation


def test_the_task_log_groups_follow_the_function_names() -> None:
    groups = task_log_groups("blueprint-dev", ONBOARDING_FUNCTIONS, entry=ONBOARDING.entry_function)
    assert len(groups) == len(ONBOARDING_FUNCTIONS) - 1
    assert "/aws/lambda/blueprint-dev-intake" not in groups
    assert "/aws/lambda/blueprint-dev-screen-sanctions" in groups


def _write(logs: Any, group: str, messages: list[str], at_ms: int) -> None:
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="2026/11/30/[$LATEST]0123456789abcdef")
    logs.put_log_events(logGroupName=group, logStreamName="2026/11/30/[$LATEST]0123456789abcdef",
                        logEvents=[{"timestamp": at_ms + index, "message": message}
                                   for index, message in enumerate(messages)])


def test_reports_since_the_audit_started_replace_the_lambda_assumptions(aws: AwsEmulation) -> None:
    logs = aws.client("logs")
    now = int(time.time() * 1000)
    _write(logs, "/aws/lambda/audit-validate", [OTHER_LINES[0], WARM_JSON, OTHER_LINES[1]], now)
    _write(logs, "/aws/lambda/audit-notify", [COLD_JSON, OTHER_LINES[3]], now)
    _write(logs, "/aws/lambda/audit-old", [WARM_TEXT], now - 3_600_000)  # before the audit: not counted
    groups = ["/aws/lambda/audit-validate", "/aws/lambda/audit-notify", "/aws/lambda/audit-old",
              "/aws/lambda/audit-missing"]
    billing = read_billing(logs, groups, since_ms=now - 60_000, expected=2, wait_seconds=0)
    ms = billing.assumptions["stepfunctions.lambda_billed_ms_per_invocation"]["value"]
    assert ms == pytest.approx((42 + 1698) / 2)
    assert billing.assumptions["stepfunctions.lambda_memory_mb"]["value"] == pytest.approx(
        (42 * 512 + 1698 * 256) / (42 + 1698))
    assert "2 REPORT line(s) read for 2 task invocation(s) counted (1 cold start(s))" in billing.note
    assert "/aws/lambda/audit-missing (ResourceNotFoundException)" in billing.note


def test_without_reports_the_assumptions_stay_and_the_note_says_why(aws: AwsEmulation) -> None:
    slept: list[float] = []
    billing = read_billing(aws.client("logs"), ["/aws/lambda/nothing-here"], since_ms=0, expected=3,
                           wait_seconds=0.01, sleep=slept.append)
    assert billing.assumptions == {}
    assert "no REPORT line found" in billing.note and "keeps the assumed duration and memory" in billing.note
