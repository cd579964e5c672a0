"""The reviewer command: finds the stored task token, records the decision, and answers Step Functions
with the decision (and reason code) only."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from contract.onboarding import onboarding_asl
from contract.profile import Profile
from local.onboarding import OnboardingStepFunctions
from onboarding.adapters.dynamodb import DynamoReviewQueue
from onboarding.models import OutcomeStatus, RejectionReason, ReviewDecision
from ops import durable, reviewer
from scenarios import new_application_id, scenario

CASE = scenario("review_approved")


@pytest.fixture(scope="module")
def sfn() -> Iterator[OnboardingStepFunctions]:
    # A long review timeout: these tests answer every review themselves.
    with OnboardingStepFunctions(profile=Profile.HARDENED, prefix="review", review_timeout_seconds=120) as local:
        yield local


def waiting_for_review(sfn: OnboardingStepFunctions) -> tuple[str, str]:
    application = CASE.application(new_application_id())
    arn = sfn.submit(application)
    deadline = time.monotonic() + 30
    while sfn.pending_review(application["application_id"]) is None:
        assert time.monotonic() < deadline, "the review was never requested"
        time.sleep(0.1)
    return application["application_id"], arn


def test_list_shows_pending_reviews_without_tokens_or_pii(sfn: OnboardingStepFunctions,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    application_id, arn = waiting_for_review(sfn)
    assert reviewer.main(["list"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"application_id": application_id, "risk_level": "MEDIUM"} in listed
    assert all(set(entry) == {"application_id", "risk_level"} for entry in listed)
    assert reviewer.main(["approve", application_id]) == 0
    assert sfn.wait_onboarding(arn).outcome is not None


def test_approve_completes_the_review_and_the_account_opens(sfn: OnboardingStepFunctions) -> None:
    application_id, arn = waiting_for_review(sfn)
    assert reviewer.main(["heartbeat", application_id]) == 0  # the review task accepts heartbeats
    assert reviewer.main(["approve", application_id]) == 0
    result = sfn.wait_onboarding(arn)
    assert result.outcome is not None and result.outcome.status is OutcomeStatus.APPROVED
    review = sfn.adapters().reviews.get(application_id)
    assert review is not None and review.decision is ReviewDecision.APPROVE
    answered = [e for e in result.history if e["type"] == "TaskSucceeded"
                and e["taskSucceededEventDetails"]["resource"] == "invoke.waitForTaskToken"]
    assert [json.loads(e["taskSucceededEventDetails"]["output"]) for e in answered] == [{"decision": "APPROVE"}]


def test_decline_sends_the_reason_code_and_the_decision_only(sfn: OnboardingStepFunctions) -> None:
    application_id, arn = waiting_for_review(sfn)
    client = sfn.client("stepfunctions")
    sent: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    client.meta.events.register("provide-client-params.sfn.SendTaskFailure", record)
    try:
        reviewer.decide(application_id, ReviewDecision.DECLINE, reviews=sfn.adapters().reviews, stepfunctions=client)
    finally:
        client.meta.events.unregister("provide-client-params.sfn.SendTaskFailure", record)
    assert len(sent) == 1
    assert sent[0]["error"] == RejectionReason.REVIEW_DECLINED.value
    assert json.loads(sent[0]["cause"]) == {"decision": "DECLINE"}
    assert set(sent[0]) == {"taskToken", "error", "cause"}
    result = sfn.wait_onboarding(arn)
    assert result.outcome is not None and result.outcome.reason is RejectionReason.REVIEW_DECLINED


def test_the_first_decision_wins(sfn: OnboardingStepFunctions, capsys: pytest.CaptureFixture[str]) -> None:
    application_id, arn = waiting_for_review(sfn)
    assert reviewer.main(["approve", application_id]) == 0
    sfn.wait_onboarding(arn)
    assert reviewer.main(["approve", application_id]) == 0  # a repeat of the same decision is a no-op
    assert reviewer.main(["decline", application_id]) == 1
    assert reviewer.main(["heartbeat", application_id]) == 1
    assert capsys.readouterr().err.splitlines() == ["error: REVIEW_ALREADY_DECIDED", "error: REVIEW_NOT_PENDING"]


def test_an_unknown_review_is_reported_by_code(sfn: OnboardingStepFunctions) -> None:
    with pytest.raises(reviewer.ReviewError, match=r"^REVIEW_NOT_FOUND$"):
        reviewer.decide(new_application_id(), ReviewDecision.APPROVE, reviews=sfn.adapters().reviews,
                        stepfunctions=sfn.stepfunctions)


def test_the_command_names_a_missing_setting(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("REVIEWS_TABLE", raising=False)
    with pytest.raises(SystemExit) as exit_:
        reviewer.main(["list"])
    assert exit_.value.code == 2
    assert "REVIEWS_TABLE" in capsys.readouterr().err


@pytest.mark.parametrize("command", [
    ["python -m ops.reviewer", "list"],
    ["python -m ops.durable", "status", "app_0123456789abcdef0123456789abcdef"],
])
def test_an_operator_command_without_an_aws_region_names_the_setting(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")  # no region from a profile either
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # a new process's default session, not the fixture's
    monkeypatch.setenv("REVIEWS_TABLE", "reviews")
    monkeypatch.setenv("DURABLE_FUNCTION", "onboarding-durable:live")
    module = reviewer if command[0].endswith("reviewer") else durable
    assert module.main(command[1:]) == 2
    assert "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)" in capsys.readouterr().err


def test_pending_reviews_reads_the_queue(sfn: OnboardingStepFunctions) -> None:
    application_id, arn = waiting_for_review(sfn)
    table = sfn.reviews_table()
    pending = reviewer.pending_reviews(table)
    assert application_id in {review.application_id for review in pending}
    reviewer.decide(application_id, ReviewDecision.APPROVE, reviews=DynamoReviewQueue(table),
                    stepfunctions=sfn.stepfunctions)
    assert application_id not in {review.application_id for review in reviewer.pending_reviews(table)}
    sfn.wait_onboarding(arn)


def test_an_answer_that_is_not_an_approval_fails_the_execution_closed(sfn: OnboardingStepFunctions) -> None:
    application_id, arn = waiting_for_review(sfn)
    review = sfn.pending_review(application_id)
    assert review is not None and review.task_token
    sfn.stepfunctions.send_task_success(taskToken=review.task_token, output=json.dumps({"decision": "MAYBE"}))
    result = sfn.wait_onboarding(arn)
    assert (result.status, result.description["error"]) == ("FAILED", "InvalidReviewDecision")
    assert sfn.adapters().ledger.get(application_id) is None


def test_a_decision_after_the_timeout_is_refused_and_not_recorded() -> None:
    with OnboardingStepFunctions(profile=Profile.HARDENED, prefix="late", review_timeout_seconds=1) as sfn:
        application_id, arn = waiting_for_review(sfn)
        outcome = sfn.wait_onboarding(arn).outcome
        assert outcome is not None and outcome.reason is RejectionReason.REVIEW_TIMEOUT
        with pytest.raises(reviewer.ReviewError, match=r"^REVIEW_EXPIRED$"):
            sfn.decide(application_id, ReviewDecision.APPROVE)
        review = sfn.adapters().reviews.get(application_id)
        assert review is not None and review.decision is None


def test_heartbeats_keep_a_review_alive_and_their_absence_ends_it_as_a_timeout() -> None:
    """``HeartbeatSeconds`` is 24 h in the definition; the same definition with 3 s shows both paths."""
    asl = json.loads(onboarding_asl().text)
    asl["States"]["ManualReview"]["HeartbeatSeconds"] = 3
    with OnboardingStepFunctions(prefix="heartbeat", review_timeout_seconds=120,
                            definition=onboarding_asl(json.dumps(asl))) as sfn:
        kept, kept_arn = waiting_for_review(sfn)
        deadline = time.monotonic() + 4.5  # longer than the heartbeat interval
        while time.monotonic() < deadline:
            reviewer.heartbeat(kept, reviews=sfn.adapters().reviews, stepfunctions=sfn.stepfunctions)
            time.sleep(0.3)
        sfn.decide(kept, ReviewDecision.APPROVE)
        approved = sfn.wait_onboarding(kept_arn).outcome
        assert approved is not None and approved.status is OutcomeStatus.APPROVED

        # Without heartbeats the review ends long before its 120 s timeout (wait() gives up after 60 s).
        _, lapsed_arn = waiting_for_review(sfn)
        result = sfn.wait_onboarding(lapsed_arn, timeout_seconds=60)
        assert result.outcome is not None and result.outcome.reason is RejectionReason.REVIEW_TIMEOUT
        # moto names a heartbeat timeout States.Timeout; the Catch lists it and States.HeartbeatTimeout.
        assert [e["type"] for e in result.history].count("TaskTimedOut") == 1
