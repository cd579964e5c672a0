"""The onboarding process's task Lambdas: its description and its DynamoDB stores.

The one generic-to-domain link of the Lambda package besides the handlers themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contract.onboarding import ONBOARDING
from lambdas.task import TaskRegistration
from onboarding.adapters.dynamodb import TableNames, dynamodb_adapters
from onboarding.ports import Adapters


def onboarding_stores(tables: Mapping[str, str], dynamodb: Any) -> Adapters:
    return dynamodb_adapters(TableNames(**tables), resource=dynamodb)


ONBOARDING_TASKS = TaskRegistration(process=ONBOARDING, stores=onboarding_stores)
