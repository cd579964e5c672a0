"""One conformance suite for both storage adapters: in memory, and DynamoDB through boto3 against moto."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto import mock_aws

from contract.onboarding import ONBOARDING
from local.aws import create_process_tables
from onboarding.adapters.dynamodb import TableNames, dynamodb_adapters
from onboarding.adapters.memory import in_memory_adapters
from onboarding.models import Charge, OutboxMessage, Product, ReviewDecision, RiskLevel
from onboarding.ports import Adapters

APP = "app_01JADAPTERTEST00001"


@pytest.fixture(params=["memory", "dynamodb"])
def adapters(request: pytest.FixtureRequest) -> Iterator[Adapters]:
    if request.param == "memory":
        yield in_memory_adapters()
        return
    with mock_aws():
        names = TableNames(**create_process_tables(boto3.client("dynamodb", region_name="us-east-1"), ONBOARDING,
                                                   prefix="test"))
        assert names == TableNames.with_prefix("test")  # the description's tables are the adapters' tables
        yield dynamodb_adapters(names, resource=boto3.resource("dynamodb", region_name="us-east-1"))


def _charge(key: str = f"{APP}:fund", approved: bool = True, amount: int = 5_000) -> Charge:
    return Charge(charge_id="ch_1", idempotency_key=key, application_id=APP, amount_cents=amount,
                  currency="USD", approved=approved)


def test_ledger_open_is_idempotent_and_close_compensates(adapters: Adapters) -> None:
    assert adapters.ledger.get(APP) is None
    assert adapters.ledger.close_account(application_id=APP) is None
    opened = adapters.ledger.open_account(application_id=APP, account_id="acct_1", product=Product.SAVINGS)
    assert opened.status == "OPEN" and opened.product is Product.SAVINGS
    # A second open with different arguments cannot overwrite the first (conditional write).
    again = adapters.ledger.open_account(application_id=APP, account_id="acct_2", product=Product.CHECKING)
    assert again == opened
    closed = adapters.ledger.close_account(application_id=APP)
    assert closed is not None and closed.status == "CLOSED" and closed.account_id == "acct_1"
    assert adapters.ledger.get(APP) == closed


def test_charge_store_keeps_the_first_record_per_key(adapters: Adapters) -> None:
    first = adapters.charges.record(_charge(amount=5_000))
    duplicate = adapters.charges.record(_charge(amount=9_999, approved=False))
    assert duplicate == first and duplicate.amount_cents == 5_000
    other = adapters.charges.record(_charge(key=f"{APP}:other"))
    assert adapters.charges.get(application_id=APP, idempotency_key=f"{APP}:fund") == first
    assert sorted(c.idempotency_key for c in adapters.charges.for_application(APP)) == sorted(
        [first.idempotency_key, other.idempotency_key])
    assert adapters.charges.for_application("app_01JSOMEONEELSE0000") == []


def test_charge_store_marks_a_charge_refunded_idempotently(adapters: Adapters) -> None:
    assert adapters.charges.mark_refunded(application_id=APP, idempotency_key=f"{APP}:fund") is None
    charge = adapters.charges.record(_charge())
    refunded = adapters.charges.mark_refunded(application_id=APP, idempotency_key=f"{APP}:fund")
    assert refunded == charge.model_copy(update={"refunded": True})
    assert adapters.charges.mark_refunded(application_id=APP, idempotency_key=f"{APP}:fund") == refunded
    assert adapters.charges.get(application_id=APP, idempotency_key=f"{APP}:fund") == refunded


def test_outbox_enqueue_is_idempotent(adapters: Adapters) -> None:
    message = OutboxMessage(message_id=f"{APP}:welcome", application_id=APP, template="welcome", account_id="a")
    assert adapters.outbox.enqueue(message) == message
    assert adapters.outbox.enqueue(message.model_copy(update={"account_id": "b"})) == message
    assert adapters.outbox.for_application(APP) == [message]


def test_review_queue_token_refresh_and_single_decision(adapters: Adapters) -> None:
    with pytest.raises(KeyError):
        adapters.reviews.record_decision(application_id=APP, decision=ReviewDecision.APPROVE)
    created = adapters.reviews.request(application_id=APP, risk_level=RiskLevel.MEDIUM)
    assert created.task_token is None and created.decision is None
    refreshed = adapters.reviews.request(application_id=APP, risk_level=RiskLevel.MEDIUM, task_token="t1")
    assert refreshed.task_token == "t1"
    decided = adapters.reviews.record_decision(application_id=APP, decision=ReviewDecision.DECLINE)
    assert decided.decision is ReviewDecision.DECLINE
    # The first decision stands; a late one is ignored.
    late = adapters.reviews.record_decision(application_id=APP, decision=ReviewDecision.APPROVE)
    assert late.decision is ReviewDecision.DECLINE
    assert adapters.reviews.get(APP) == late


def test_concurrent_charges_with_one_key_record_one_charge(adapters: Adapters) -> None:
    from onboarding.models import Funding

    funding = Funding(card_number="4111111182736457", card_expiry="08/31", amount_cents=5_000, currency="USD")
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(
            lambda _: adapters.cards.charge(idempotency_key=f"{APP}:fund", application_id=APP, funding=funding),
            range(16),
        ))
    assert len({r.charge_id for r in results}) == 1
    assert len(adapters.charges.for_application(APP)) == 1


def test_dynamodb_conditional_write_is_what_prevents_duplicates() -> None:
    """Prove idempotency comes from DynamoDB's condition, not from a read before the write."""
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        names = TableNames(**create_process_tables(client, ONBOARDING, prefix="cond"))
        adapters = dynamodb_adapters(names, resource=boto3.resource("dynamodb", region_name="us-east-1"))
        adapters.charges.record(_charge(amount=5_000))
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(
                TableName=names.charges,
                Item={"pk": {"S": APP}, "sk": {"S": f"{APP}:fund"}, "amount_cents": {"N": "1"}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        stored = client.get_item(TableName=names.charges, Key={"pk": {"S": APP}, "sk": {"S": f"{APP}:fund"}})
        assert stored["Item"]["amount_cents"] == {"N": "5000"}


def test_table_names_with_prefix() -> None:
    assert TableNames.with_prefix("dev") == TableNames(
        ledger="dev-ledger", charges="dev-charges", outbox="dev-outbox", reviews="dev-reviews")
