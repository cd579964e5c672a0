"""Claim check: the submission is stored once, encrypted with the customer-managed key, and only a
reference to it travels through Step Functions.

The object key is derived from the application id alone, and a reference is accepted only if it names
the configured bucket and exactly that key, so an execution input cannot point a task at other data.
The first submission under an id wins (S3 conditional write); an identical resubmission is a no-op,
a different one is refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, StrictStr

from lambdas.errors import ApplicationConflict, invalid_task_input

KEY_PREFIX = "submissions/"
MAX_SUBMISSION_BYTES = 64 * 1024


class ClaimCheckRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    bucket: StrictStr
    key: StrictStr


def object_key(application_id: str) -> str:
    return f"{KEY_PREFIX}{application_id}.json"


def encode_submission(submission: Mapping[str, Any]) -> bytes:
    """Canonical bytes, so an identical resubmission compares equal."""
    return json.dumps(submission, sort_keys=True, separators=(",", ":")).encode()


class ClaimCheckStore:
    def __init__(self, s3_client: Any, *, bucket: str, key_arn: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket
        self._key_arn = key_arn

    def put(self, application_id: str, body: bytes) -> tuple[ClaimCheckRef, bool]:
        """Store ``body`` unless the id is taken; return the reference and whether this call created it."""
        ref = ClaimCheckRef(bucket=self._bucket, key=object_key(application_id))
        try:
            self._s3.put_object(
                Bucket=ref.bucket,
                Key=ref.key,
                Body=body,
                ContentType="application/json",
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self._key_arn,
                BucketKeyEnabled=True,
                IfNoneMatch="*",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] not in {"PreconditionFailed", "412"}:
                raise
            if self._read(ref) != body:
                raise ApplicationConflict() from None
            return ref, False
        return ref, True

    def load(self, application_id: str, ref: ClaimCheckRef) -> dict[str, Any]:
        if ref.bucket != self._bucket or ref.key != object_key(application_id):
            raise invalid_task_input(["submission.claim_check"])
        submission = json.loads(self._read(ref))
        if not isinstance(submission, dict):
            raise invalid_task_input(["submission.claim_check"])
        return submission

    def _read(self, ref: ClaimCheckRef) -> bytes:
        body: bytes = self._s3.get_object(Bucket=ref.bucket, Key=ref.key)["Body"].read()
        return body
