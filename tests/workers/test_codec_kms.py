"""The codec with KMS (moto, through a real boto3 client): requests counted, rotation, wrong and unknown keys."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from temporalio.api.common.v1 import Payload

from bench.codec import KmsCalls
from envelope.errors import KeyUnavailableError, UnknownKeyError, WrongKeyError
from envelope.key_cache import CachePolicy, DataKeyCache
from envelope.keys import KMS_ENCRYPTION_CONTEXT, KmsKeyProvider, _kms_error
from envelope.seal import META_KEY_ID
from workers.codec import EnvelopeCodec

ALIAS = "alias/temporal-payloads"


@pytest.fixture
def kms() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("kms", region_name="us-east-1")


def new_key(kms: Any) -> str:
    return str(kms.create_key(Description="payload key")["KeyMetadata"]["Arn"])


def payloads(count: int) -> list[Payload]:
    return [Payload(metadata={"encoding": b"json/plain"}, data=b'{"n":%d}' % n) for n in range(count)]


def test_round_trip_records_the_key_arn_behind_the_alias(kms: Any) -> None:
    arn = new_key(kms)
    kms.create_alias(AliasName=ALIAS, TargetKeyId=arn)
    codec = EnvelopeCodec.for_provider(KmsKeyProvider(ALIAS, kms_client=kms))
    encoded = codec.encode_sync(payloads(3))
    assert {envelope.metadata[META_KEY_ID] for envelope in encoded} == {arn.encode()}
    reader = EnvelopeCodec.for_provider(KmsKeyProvider(ALIAS, kms_client=kms))
    assert reader.decode_sync(encoded) == payloads(3)


def test_kms_requests_do_not_grow_with_payloads(kms: Any) -> None:
    """1,000 payloads, encoded one call at a time as a worker would: one GenerateDataKey, one Decrypt."""
    kms.create_alias(AliasName=ALIAS, TargetKeyId=new_key(kms))
    writer_calls, reader_kms = KmsCalls(kms), boto3.client("kms", region_name="us-east-1")
    reader_calls = KmsCalls(reader_kms)
    writer = EnvelopeCodec.for_provider(KmsKeyProvider(ALIAS, kms_client=kms))
    reader = EnvelopeCodec.for_provider(KmsKeyProvider(ALIAS, kms_client=reader_kms))
    encoded = [writer.encode_sync([payload])[0] for payload in payloads(1000)]
    decoded = [reader.decode_sync([envelope])[0] for envelope in encoded]
    assert decoded == payloads(1000)
    assert writer_calls.counts == Counter({"GenerateDataKey": 1})
    assert reader_calls.counts == Counter({"Decrypt": 1})


def test_the_use_bound_sets_the_request_rate(kms: Any) -> None:
    kms.create_alias(AliasName=ALIAS, TargetKeyId=new_key(kms))
    calls = KmsCalls(kms)
    codec = EnvelopeCodec(DataKeyCache(KmsKeyProvider(ALIAS, kms_client=kms), CachePolicy(max_uses=100)))
    for payload in payloads(1000):
        codec.encode_sync([payload])
    assert calls.counts == Counter({"GenerateDataKey": 10})


def test_payloads_under_the_old_key_decrypt_after_the_alias_moves(kms: Any) -> None:
    old_arn, new_arn = new_key(kms), new_key(kms)
    kms.create_alias(AliasName=ALIAS, TargetKeyId=old_arn)
    old = EnvelopeCodec.for_provider(KmsKeyProvider(ALIAS, kms_client=kms)).encode_sync(payloads(2))
    kms.update_alias(AliasName=ALIAS, TargetKeyId=new_arn)  # rotation to a new key
    rotated = EnvelopeCodec.for_provider(KmsKeyProvider(ALIAS, kms_client=kms))
    new = rotated.encode_sync(payloads(2))
    assert {e.metadata[META_KEY_ID] for e in old} == {old_arn.encode()}
    assert {e.metadata[META_KEY_ID] for e in new} == {new_arn.encode()}
    assert rotated.decode_sync(old + new) == payloads(2) + payloads(2)


def test_a_payload_pointed_at_another_key_fails(kms: Any) -> None:
    first, second = new_key(kms), new_key(kms)
    (envelope,) = EnvelopeCodec.for_provider(KmsKeyProvider(first, kms_client=kms)).encode_sync(payloads(1))
    envelope.metadata[META_KEY_ID] = second.encode()
    with pytest.raises(WrongKeyError, match="Decrypt"):
        EnvelopeCodec.for_provider(KmsKeyProvider(first, kms_client=kms)).decode_sync([envelope])


def test_an_unknown_kms_key_fails_loudly(kms: Any) -> None:
    arn = new_key(kms)
    (envelope,) = EnvelopeCodec.for_provider(KmsKeyProvider(arn, kms_client=kms)).encode_sync(payloads(1))
    unknown = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    envelope.metadata[META_KEY_ID] = unknown.encode()
    with pytest.raises(UnknownKeyError, match="does not exist"):
        EnvelopeCodec.for_provider(KmsKeyProvider(arn, kms_client=kms)).decode_sync([envelope])


def test_a_data_key_wrapped_for_another_purpose_does_not_unwrap(kms: Any) -> None:
    arn = new_key(kms)
    foreign = kms.generate_data_key(KeyId=arn, KeySpec="AES_256", EncryptionContext={"purpose": "something-else"})
    assert KMS_ENCRYPTION_CONTEXT["purpose"] != "something-else"
    with pytest.raises(WrongKeyError):
        KmsKeyProvider(arn, kms_client=kms).unwrap(arn, foreign["CiphertextBlob"])


def test_other_kms_failures_are_reported_as_unavailable_with_their_code() -> None:
    # moto cannot produce throttling; the mapping itself is what is checked here.
    throttled = ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "GenerateDataKey")
    error = _kms_error(throttled, "alias/k", "GenerateDataKey")
    assert isinstance(error, KeyUnavailableError)
    assert "ThrottlingException" in str(error) and "alias/k" in str(error)
