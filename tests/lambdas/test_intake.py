"""The submission entry point: claim check in S3 with SSE-KMS, execution named after the application,
duplicates answered with the existing execution, conflicting resubmissions refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from contract.profile import Profile
from lambdas.claim_check import MAX_SUBMISSION_BYTES, encode_submission
from local.onboarding import OnboardingStepFunctions
from local.stepfunctions.runner import SubmissionRefused
from scenarios import new_application_id, scenario
from tests.support.stepfunctions import call

CASE = scenario("approved_low_risk")


@pytest.fixture(scope="module")
def sfn() -> Iterator[OnboardingStepFunctions]:
    with OnboardingStepFunctions(profile=Profile.HARDENED, prefix="intake") as local:
        yield local


def new_application() -> dict[str, Any]:
    return CASE.application(new_application_id())


def executions_named(sfn: OnboardingStepFunctions, name: str) -> list[dict[str, Any]]:
    listed = sfn.stepfunctions.list_executions(stateMachineArn=sfn.state_machine_arn)["executions"]
    return [execution for execution in listed if execution["name"] == name]


def test_the_submission_is_stored_once_encrypted_with_the_customer_key(sfn: OnboardingStepFunctions) -> None:
    application = new_application()
    arn = sfn.submit(application)
    key = f"submissions/{application['application_id']}.json"
    head = sfn.client("s3").head_object(Bucket=sfn.resources.bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == sfn.resources.key_arn
    body = sfn.client("s3").get_object(Bucket=sfn.resources.bucket, Key=key)["Body"].read()
    assert body == encode_submission(application)
    started = json.loads(sfn.stepfunctions.describe_execution(executionArn=arn)["input"])
    assert started == {
        "application_id": application["application_id"],
        "submission": {"claim_check": {"bucket": sfn.resources.bucket, "key": key}},
        "review_timeout_seconds": sfn.review_timeout_seconds,
    }
    assert arn.endswith(f":execution:{sfn.resources.state_machine_name}:{application['application_id']}")


def test_a_duplicate_submission_returns_the_same_execution(sfn: OnboardingStepFunctions) -> None:
    application = new_application()
    first = sfn.submit(application)
    etag = sfn.client("s3").head_object(
        Bucket=sfn.resources.bucket, Key=f"submissions/{application['application_id']}.json"
    )["ETag"]
    assert sfn.submit(application) == first  # while it runs (same name, same input)
    sfn.wait_onboarding(first)
    assert sfn.submit(application) == first  # and after it ended (ExecutionAlreadyExists)
    assert len(executions_named(sfn, application["application_id"])) == 1
    assert sfn.client("s3").head_object(
        Bucket=sfn.resources.bucket, Key=f"submissions/{application['application_id']}.json"
    )["ETag"] == etag
    effects = sfn.adapters()
    assert len(effects.charges.for_application(application["application_id"])) == 1


def test_a_different_submission_under_a_used_id_is_refused(sfn: OnboardingStepFunctions) -> None:
    application = new_application()
    sfn.submit(application)
    other = scenario("approved_savings").application(application["application_id"])
    with pytest.raises(SubmissionRefused) as refused:
        sfn.submit(other)
    assert refused.value.error == "ApplicationConflict"
    assert refused.value.payload["errorMessage"] == "APPLICATION_CONFLICT"
    assert not [v for v in scenario("approved_savings").searchable_pii() if v in json.dumps(refused.value.payload)]
    stored = sfn.client("s3").get_object(
        Bucket=sfn.resources.bucket, Key=f"submissions/{application['application_id']}.json"
    )["Body"].read()
    assert stored == encode_submission(application)
    assert len(executions_named(sfn, application["application_id"])) == 1


def test_an_oversized_submission_is_refused_without_side_effects(sfn: OnboardingStepFunctions) -> None:
    application = new_application()
    application["applicant"]["address"]["line1"] = "x" * MAX_SUBMISSION_BYTES
    answer = call(sfn, "intake", application)
    assert answer["errorType"] == "INVALID_APPLICATION"
    assert json.loads(answer["errorMessage"])["error_codes"] == [{"field": "$", "code": "too_large"}]
    listed = sfn.client("s3").list_objects_v2(Bucket=sfn.resources.bucket, Prefix="submissions/")
    assert f"submissions/{application['application_id']}.json" not in {o["Key"] for o in listed.get("Contents", [])}
    assert executions_named(sfn, application["application_id"]) == []


def test_the_baseline_profile_puts_the_application_in_the_execution_input() -> None:
    with OnboardingStepFunctions(profile=Profile.BASELINE, prefix="baseline-intake") as sfn:
        application = new_application()
        arn = sfn.submit(application)
        started = json.loads(sfn.stepfunctions.describe_execution(executionArn=arn)["input"])
        assert started["submission"] == {"inline": application}
        assert sfn.client("s3").list_objects_v2(Bucket=sfn.resources.bucket).get("KeyCount", 0) == 0
        assert sfn.wait_onboarding(arn).outcome is not None


@pytest.mark.parametrize("extra", [0, 1])
def test_the_size_limit_is_64_kib_inclusive(sfn: OnboardingStepFunctions, extra: int) -> None:
    """A submission of exactly 64 KiB (its canonical bytes) is taken; one byte more is refused as too large."""
    application = new_application()
    address = application["applicant"]["address"]
    address["line1"] = ""
    address["line1"] = "x" * (64 * 1024 - len(encode_submission(application)) + extra)
    assert len(encode_submission(application)) == 64 * 1024 + extra
    answer = call(sfn, "intake", application)
    if extra:
        assert json.loads(answer["errorMessage"])["error_codes"] == [{"field": "$", "code": "too_large"}]
    else:
        assert answer["application_id"] == application["application_id"] and "execution_arn" in answer
