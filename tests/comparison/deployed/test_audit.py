"""``make audit``: its configuration errors, and the whole entry point against a local stand-in of a deployment.

The stand-in names everything as a deployment named ``deployed`` would (state machine, log group, intake function,
tables, payload key alias), so the audit resolves every resource from ``AUDIT_ENVIRONMENT_NAME`` alone, as it does
from ``cdk.json`` against AWS; only the endpoints differ (moto server, Temporal dev server).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from comparison.deployed import audit as deployed_audit
from comparison.deployed.config import CANARY_SCENARIOS, AuditConfigError, load_target, read_context
from comparison.models import Engine
from contract.environment import DURABLE_FUNCTION_ALIAS, worker_environment
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from local.aws import create_key, moto_server
from local.onboarding import OnboardingDurableFunction, OnboardingStepFunctions, onboarding_definition
from local.temporal import NAMESPACE, temporal_dev_server, wait_for_temporal, worker_process

ROOT = Path(__file__).resolve().parents[3]
CONTEXT = read_context(ROOT / "cdk.json")
ACCOUNT = "123456789012"
CANARIES = ("approved_low_risk", "funding_declined", "review_approved")
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:blueprint-dev/temporal-credentials-AbCdEf"

STAND_IN_REVIEW_TIMEOUT_SECONDS = 120


def target(environ: dict[str, str], context: dict[str, Any] | None = None) -> Any:
    return load_target(environ, CONTEXT if context is None else context, account_of=lambda _: ACCOUNT,
                       secret_arn_of=lambda _: SECRET_ARN)


def test_everything_defaults_from_the_cdk_json_context_and_the_region() -> None:
    resolved = target({"AWS_REGION": "eu-west-1"})
    name = CONTEXT["environment_name"]
    assert resolved.state_machine_arn == f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:{name}-onboarding"
    assert resolved.log_group == f"/aws/vendedlogs/states/{name}-onboarding"
    assert resolved.intake_function == f"{name}-intake"
    assert resolved.tables == {role: f"{name}-{role}" for role in ONBOARDING.table_roles}
    assert resolved.temporal.address == CONTEXT["temporal_address"]
    assert resolved.temporal.secret_arn == SECRET_ARN and resolved.temporal.tls
    assert resolved.temporal.payload_key_id == f"alias/{name}/payload"
    assert [s.name for s in resolved.scenarios] == [s.name for s in CANARY_SCENARIOS]
    assert "review_timeout" not in {s.name for s in resolved.scenarios}  # would wait for the deployment's 72 h
    assert resolved.report_wait_seconds == 60


@pytest.mark.parametrize(
    ("environ", "context", "message"),
    [
        ({}, {}, r"AWS_REGION \(or AWS_DEFAULT_REGION\) is not set; AUDIT_ENVIRONMENT_NAME \(or cdk.json context "
                 r"environment_name\) is not set"),
        ({"AWS_REGION": "us-east-1", "AUDIT_STATE_MACHINE_ARN": "my-secret-machine"}, None,
         "AUDIT_STATE_MACHINE_ARN has an invalid format"),
        ({"AWS_REGION": "us-east-1", "AUDIT_SCENARIOS": "approved_low_risk,nonexistent"}, None,
         "AUDIT_SCENARIOS: comma-separated scenario names"),
        ({"AWS_REGION": "us-east-1", "TEMPORAL_TLS": "false"}, None, "TEMPORAL_TLS must be on when credentials"),
        ({"AWS_REGION": "us-east-1", "AUDIT_REVIEW_TIMEOUT_SECONDS": "0"}, None, "AUDIT_REVIEW_TIMEOUT_SECONDS"),
        ({"AWS_REGION": "us-east-1", "AUDIT_REPORT_WAIT_SECONDS": "-5"}, None, "AUDIT_REPORT_WAIT_SECONDS"),
        ({"AWS_REGION": "us-east-1"}, {**CONTEXT, "temporal_secret_name": ""}, "cdk.json context has no "
                                                                              "temporal_secret_name"),
    ],
)
def test_a_missing_or_bad_setting_is_named_and_its_value_never_shown(
    environ: dict[str, str], context: dict[str, Any] | None, message: str
) -> None:
    with pytest.raises(AuditConfigError, match=message) as raised:
        target(environ, context)
    for value in environ.values():
        assert value in {"us-east-1", "false", "0"} or value not in str(raised.value)


def test_the_entry_point_stops_on_a_configuration_error_before_touching_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)
    assert deployed_audit.main(["--out", str(tmp_path / "out"), "--cdk-json", str(ROOT / "cdk.json")]) == 2
    assert "configuration error: deployed audit configuration: AWS_REGION" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_unknown_temporal_secret_is_a_configuration_error_naming_the_context_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    with mock_aws(), pytest.raises(AuditConfigError, match="temporal_secret_name could not be described") as raised:
        deployed_audit.resolve({"AWS_REGION": "us-east-1"}, ROOT / "cdk.json")
    assert CONTEXT["temporal_secret_name"] not in str(raised.value)


@dataclass(frozen=True)
class StandIn:
    environ: dict[str, str]


@pytest.fixture(scope="module")
def deployment() -> Iterator[StandIn]:
    """A deployment named ``deployed``: moto server, Temporal dev server, a hardened worker, the state machine."""
    with tempfile.TemporaryDirectory() as tmp, moto_server() as aws, temporal_dev_server(Path(tmp)) as server:
        asyncio.run(wait_for_temporal(server))
        # The canaries never let a review time out, so the stand-in's timeout only bounds how late a decision may be
        # on a busy machine (a deployment waits 72 h).
        with OnboardingStepFunctions(profile=Profile.HARDENED, definition=onboarding_definition(), prefix="deployed",
                                     review_timeout_seconds=STAND_IN_REVIEW_TIMEOUT_SECONDS,
                                     endpoint_url=aws.endpoint) as sfn:
            alias = "alias/deployed/payload"
            create_key(aws.client("kms"), description="payload key", alias=alias)
            # The worker writes the same tables as the task Lambdas, as in a deployment.
            env = {**aws.credentials_env,
                   **worker_environment(ONBOARDING, address=server.address, namespace=NAMESPACE,
                                        task_queue="canaries", tables=sfn.resources.tables, payload_key_id=alias,
                                        profile=Profile.HARDENED)}
            # The durable function writes the same tables, as in a deployment; its alias is answered on boto3's
            # default session with the Lambda service's durable Invoke (the emulator has no Invoke route).
            with worker_process(env, Path(tmp)), OnboardingDurableFunction(
                    aws, profile=Profile.HARDENED, prefix="deployed", workdir=Path(tmp),
                    tables=sfn.resources.tables) as durable:
                uninstall = durable.route_invoke(boto3.DEFAULT_SESSION,
                                                 deployed_name=f"deployed-onboarding-durable:{DURABLE_FUNCTION_ALIAS}")
                yield StandIn({
                    "AWS_REGION": "us-east-1", "AUDIT_ENVIRONMENT_NAME": "deployed",
                    "TEMPORAL_ADDRESS": server.address, "TEMPORAL_NAMESPACE": NAMESPACE,
                    "TEMPORAL_TASK_QUEUE": "canaries", "TEMPORAL_AUTH_MODE": "none", "TEMPORAL_TLS": "false",
                    "AUDIT_SCENARIOS": ",".join(CANARIES),
                    # The stand-in's handlers run in process: Lambda writes no REPORT line to wait for.
                    "AUDIT_REPORT_WAIT_SECONDS": "0",
                    # The durable-execution APIs are the emulator's (Invoke is routed above, before any request).
                    "AWS_ENDPOINT_URL_LAMBDA": durable.endpoint,
                })
                uninstall()


AUDITED = tuple(Engine)  # make audit runs canaries on every engine


def test_the_audit_runs_canaries_on_both_engines_and_finds_nothing_in_the_hardened_deployment(
    deployment: StandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for variable, value in deployment.environ.items():
        monkeypatch.setenv(variable, value)
    code = deployed_audit.main(["--out", str(tmp_path), "--cdk-json", str(ROOT / "cdk.json")])
    output = capsys.readouterr().out
    assert code == 0, output
    report = json.loads((tmp_path / "comparison.json").read_text())
    ran = {s["name"]: s for s in report["scenarios"]}
    assert set(ran) == set(CANARIES)
    assert report["engines"] == [engine.value for engine in AUDITED]
    assert all(s["parity"] and set(s["runs"]) == {e.value for e in AUDITED} for s in ran.values())
    assert all(set(runs) == {"hardened"} for s in ran.values() for runs in s["runs"].values())
    for engine in AUDITED:
        assert set(report["exposure"][engine.value]) == {"hardened"}
        audit = report["exposure"][engine.value]["hardened"]
        assert audit["total_hits"] == 0 and audit["executions"] == len(CANARIES)
        assert sum(channel["strings_scanned"] for channel in audit["channels"].values()) > 0
    assert (report["exposure"]["temporal"]["hardened"]["channels"]["workflow_input"]["ciphertext_payloads"]
            >= len(CANARIES))
    assert (report["exposure"]["durable"]["hardened"]["channels"]["operation_data"]["ciphertext_payloads"]
            >= len(CANARIES))
    assert report["cost"]["engines"]["temporal"]["per_execution"]["actions"] > 0
    # No Lambda wrote a REPORT line here, so the Lambda figures stay assumed, and the report says so.
    assert any("no REPORT line found in the" in note for note in report["notes"])
    durations = {e["name"]: e for e in report["cost"]["assumptions"]["entries"]}
    assert durations["stepfunctions.lambda_billed_ms_per_invocation"]["origin"] == "assumed"
    assert "clean: no plaintext PII" in output
