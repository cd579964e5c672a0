"""The library-card tasks' events and registration (the process description and its stores)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictStr

from lambdas.events import Submission, TaskEventBase
from lambdas.task import TaskRegistration
from tests.second_process.description import LIBRARY
from tests.second_process.domain import REQUEST_ID_PATTERN, Stores


def library_stores(tables: Any, dynamodb: Any) -> Stores:
    return Stores(dict(tables), dynamodb)


LIBRARY_TASKS = TaskRegistration(process=LIBRARY, stores=library_stores)


class RequestEvent(TaskEventBase):
    request_id: StrictStr = Field(pattern=REQUEST_ID_PATTERN)


class SubmissionEvent(RequestEvent):
    submission: Submission


class ReviewEvent(RequestEvent):
    task_token: StrictStr = Field(min_length=1, max_length=1024)
