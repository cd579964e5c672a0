"""The claim check on its own (``lambdas.claim_check``), on moto's S3 and KMS in process: the object it writes, the
first submission winning, and a reference accepted only for its own bucket and key."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from lambdas.claim_check import ClaimCheckRef, ClaimCheckStore, encode_submission, object_key
from lambdas.errors import ApplicationConflict, InvalidTaskInput

BUCKET = "claim-checks"


@pytest.fixture
def s3() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        key_arn = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
        yield client, key_arn


def test_the_object_key_and_the_canonical_bytes() -> None:
    assert object_key("app_0123456789") == "submissions/app_0123456789.json"
    assert encode_submission({"b": 1, "a": {"d": [1, 2], "c": "é"}}) == b'{"a":{"c":"\\u00e9","d":[1,2]},"b":1}'


def test_the_submission_is_stored_once_under_the_customer_key(s3: tuple[Any, str]) -> None:
    client, key_arn = s3
    store = ClaimCheckStore(client, bucket=BUCKET, key_arn=key_arn)
    ref, created = store.put("app_0123456789", b'{"a":1}')
    assert (ref, created) == (ClaimCheckRef(bucket=BUCKET, key="submissions/app_0123456789.json"), True)
    head = client.head_object(Bucket=BUCKET, Key=ref.key)
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"], head["BucketKeyEnabled"], head["ContentType"]) == (
        "aws:kms", key_arn, True, "application/json")
    assert store.put("app_0123456789", b'{"a":1}') == (ref, False)  # the same again: a no-op
    with pytest.raises(ApplicationConflict):
        store.put("app_0123456789", b'{"a":2}')
    assert client.get_object(Bucket=BUCKET, Key=ref.key)["Body"].read() == b'{"a":1}'
    assert store.load("app_0123456789", ref) == {"a": 1}


@pytest.mark.parametrize("ref", [
    ClaimCheckRef(bucket="other-bucket", key="submissions/app_0123456789.json"),
    ClaimCheckRef(bucket=BUCKET, key="submissions/app_9999999999.json"),
])
def test_a_reference_to_anything_else_is_refused(s3: tuple[Any, str], ref: ClaimCheckRef) -> None:
    client, key_arn = s3
    store = ClaimCheckStore(client, bucket=BUCKET, key_arn=key_arn)
    store.put("app_9999999999", b'{"a":1}')
    with pytest.raises(InvalidTaskInput) as raised:
        store.load("app_0123456789", ref)
    assert str(raised.value) == "INVALID_TASK_INPUT [submission.claim_check]"


def test_a_stored_submission_that_is_not_an_object_is_refused(s3: tuple[Any, str]) -> None:
    client, key_arn = s3
    store = ClaimCheckStore(client, bucket=BUCKET, key_arn=key_arn)
    ref, _ = store.put("app_0123456789", b"[1, 2]")
    with pytest.raises(InvalidTaskInput) as raised:
        store.load("app_0123456789", ref)
    assert str(raised.value) == "INVALID_TASK_INPUT [submission.claim_check]"


def test_other_s3_errors_propagate(s3: tuple[Any, str]) -> None:
    client, key_arn = s3
    store = ClaimCheckStore(client, bucket="no-such-bucket", key_arn=key_arn)
    with pytest.raises(client.exceptions.NoSuchBucket):
        store.put("app_0123456789", b"{}")


@pytest.mark.parametrize("code", ["PreconditionFailed", "412"])
def test_either_name_of_a_failed_condition_means_the_id_is_taken(code: str) -> None:
    """S3 names a failed If-None-Match PreconditionFailed; some endpoints answer with the bare status, 412."""

    class Taken:
        def put_object(self, **_: Any) -> None:
            raise ClientError({"Error": {"Code": code}}, "PutObject")

        def get_object(self, **_: Any) -> dict[str, Any]:
            return {"Body": io.BytesIO(b'{"a":1}')}

    store = ClaimCheckStore(Taken(), bucket=BUCKET, key_arn="arn:aws:kms:us-east-1:111111111111:key/k")
    assert store.put("app_0123456789", b'{"a":1}')[1] is False
