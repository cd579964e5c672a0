"""Lambda's REPORT lines, in both formats Lambda writes them, read into what was billed.

The lines below have the exact shape Lambda writes (tabs between fields, a trailing tab and newline; the X-Ray
fields on a second line when tracing is active; ``platform.report`` records with ``LogFormat: JSON``); the ids are
made up.
"""

from __future__ import annotations

import json

import pytest

from comparison.cost.lambda_reports import (
    InvocationReport,
    lambda_billing,
    measured_assumptions,
    parse_report,
    parse_reports,
)

WARM_TEXT = ("REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
             "Memory Size: 256 MB\tMax Memory Used: 58 MB\t\n")
COLD_TRACED_TEXT = ("REPORT RequestId: 8fc6f963-411b-58b5-8483-a32130c0f45d\tDuration: 201.67 ms\tBilled Duration: "
                    "682 ms\tMemory Size: 256 MB\tMax Memory Used: 81 MB\tInit Duration: 480.25 ms\t\nXRAY TraceId: "
                    "1-61c86fa4-59b3c6d959653c527fd10966\tSegmentId: 107ea78a5750a811\tSampled: true\t\n")
COLD_JSON = json.dumps({"time": "2026-10-08T07:30:29.470Z", "type": "platform.report", "record": {
    "requestId": "79b5e81f-9cdd-4145-b1f6-7c50ef8a2a36",
    "metrics": {"durationMs": 1233.96, "billedDurationMs": 1698, "memorySizeMB": 256, "maxMemoryUsedMB": 123,
                "initDurationMs": 463.512},
    "tracing": {"spanId": "24cd7d670fa455f0", "type": "X-Amzn-Trace-Id",
                "value": "Root=1-6352a70e-1e2c502e358361800241fd45;Parent=35465b3a9e2f7c6a;Sampled=1"},
    "status": "success"}}, separators=(",", ":"))
WARM_JSON = json.dumps({"time": "2026-10-08T07:30:41.076Z", "type": "platform.report", "record": {
    "requestId": "f0c9f58b-8ebe-4e84-a656-95eb6eee865a", "metrics": {
        "durationMs": 41.2, "billedDurationMs": 42, "memorySizeMB": 512, "maxMemoryUsedMB": 124}, "status": "success"}})
OTHER_LINES = [
    "START RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3 Version: $LATEST\n",
    "END RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\n",
    json.dumps({"time": "2026-10-08T07:30:41.000Z", "type": "platform.start", "record": {"requestId": "x"}}),
    json.dumps({"timestamp": "2026-10-08T07:30:41.000Z", "level": "INFO", "message": "REPORT RequestId: forged"}),
    json.dumps({"time": "2026-10-08T07:30:41.000Z", "type": "platform.report", "record": {
        "requestId": "y", "status": "error", "errorType": "Runtime.ExitError"}}),  # no billing figures
    "{not json",
]


@pytest.mark.parametrize(("line", "expected"), [
    (WARM_TEXT, InvocationReport(request_id="3604209a-e9a3-11e6-939a-754dd98c7be3", duration_ms=12.34,
                                 billed_ms=13, memory_mb=256, max_memory_used_mb=58)),
    (COLD_TRACED_TEXT, InvocationReport(request_id="8fc6f963-411b-58b5-8483-a32130c0f45d", duration_ms=201.67,
                                        billed_ms=682, memory_mb=256, max_memory_used_mb=81, init_ms=480.25)),
    (COLD_JSON, InvocationReport(request_id="79b5e81f-9cdd-4145-b1f6-7c50ef8a2a36", duration_ms=1233.96,
                                 billed_ms=1698, memory_mb=256, max_memory_used_mb=123, init_ms=463.512)),
    (WARM_JSON, InvocationReport(request_id="f0c9f58b-8ebe-4e84-a656-95eb6eee865a", duration_ms=41.2,
                                 billed_ms=42, memory_mb=512, max_memory_used_mb=124)),
], ids=["text-warm", "text-cold-traced", "json-cold", "json-warm"])
def test_a_report_line_is_read_in_either_format(line: str, expected: InvocationReport) -> None:
    assert parse_report(line) == expected


@pytest.mark.parametrize("line", OTHER_LINES)
def test_every_other_line_is_not_a_report(line: str) -> None:
    assert parse_report(line) is None


def test_billing_is_the_mean_billed_duration_at_the_memory_it_was_billed_at() -> None:
    reports = parse_reports([*OTHER_LINES, WARM_TEXT, COLD_TRACED_TEXT, COLD_JSON, WARM_JSON, WARM_JSON])
    assert len(reports) == 4  # a log event read twice counts once
    billing = lambda_billing(reports)
    assert billing is not None
    assert billing.invocations == 4 and billing.cold_starts == 2
    assert billing.billed_ms_per_invocation == pytest.approx((13 + 682 + 1698 + 42) / 4)
    # invocations x mean duration x memory is exactly the GB-milliseconds billed.
    gb_ms = sum(r.billed_ms * r.memory_mb for r in reports) / 1024
    assert billing.invocations * billing.billed_ms_per_invocation * billing.memory_mb / 1024 == pytest.approx(gb_ms)
    assert lambda_billing([]) is None


def test_a_measurement_replaces_both_lambda_assumptions_in_every_case() -> None:
    billing = lambda_billing(parse_reports([WARM_TEXT, COLD_JSON]))
    assert billing is not None
    replaced = measured_assumptions(billing, where="2 log groups")
    assert replaced["stepfunctions.lambda_billed_ms_per_invocation"]["value"] == pytest.approx((13 + 1698) / 2)
    assert replaced["stepfunctions.lambda_memory_mb"]["value"] == pytest.approx(256)
    assert "2 invocation(s) (1 cold)" in replaced["stepfunctions.lambda_memory_mb"]["source"]
