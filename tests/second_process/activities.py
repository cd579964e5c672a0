"""The library-card activities and what a worker registers for the process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from temporalio import activity
from temporalio.exceptions import ApplicationError

from contract.profile import Profile
from tests.second_process import domain
from tests.second_process.description import LIBRARY
from tests.second_process.workflows import LibraryCardWorkflow
from workers.worker import WorkerRegistration


class LibraryActivities:
    def __init__(self, stores: domain.Stores, profile: Profile) -> None:
        self._stores = stores
        self._baseline = profile is Profile.BASELINE

    def _refused(self, refusal: domain.Refusal, context: object) -> ApplicationError:
        # The baseline profile quotes the step's input (the exposure audit must find it); hardened never does.
        message = refusal.reason + (f" {context}" if self._baseline else "")
        return ApplicationError(message, type=refusal.reason, non_retryable=True)

    @activity.defn(name="check_details")
    def check_details(self, submission: dict[str, Any]) -> dict[str, Any]:
        try:
            return domain.check_details(submission).model_dump()
        except domain.Refusal as refusal:
            raise self._refused(refusal, submission) from None

    @activity.defn(name="check_district")
    def check_district(self, request: dict[str, Any]) -> bool:
        try:
            return domain.check_district(domain.CardRequest.model_validate(request))
        except domain.Refusal as refusal:
            raise self._refused(refusal, request) from None

    @activity.defn(name="request_review")
    def request_review(self, request_id: str) -> None:
        self._stores.request_review(request_id)

    @activity.defn(name="issue_card")
    def issue_card(self, request_id: str) -> str:
        return self._stores.issue_card(request_id)


def library_stores(tables: Mapping[str, str] | None) -> domain.Stores:
    """DynamoDB stores (boto3's default credentials and endpoint); the process keeps no in-memory stores."""
    if tables is None:
        raise ValueError("the library-card process needs its table names (CARDS_TABLE, REVIEWS_TABLE)")
    return domain.Stores(dict(tables), boto3.resource("dynamodb"))


LIBRARY_WORKER = WorkerRegistration(
    process=LIBRARY,
    workflows=[LibraryCardWorkflow],
    activities=LibraryActivities,
    stores=library_stores,
)
