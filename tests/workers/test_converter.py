"""Profiles: hardened encrypts payloads and failure messages; baseline leaves both readable (and nothing else)."""

from __future__ import annotations

import pytest
from temporalio.api.failure.v1 import Failure
from temporalio.common import HeaderCodecBehavior
from temporalio.exceptions import ApplicationError

from contract.profile import Profile
from onboarding.models import Outcome, RejectionReason
from tests.support.temporal import keyring_codec
from workers.codec import is_encrypted
from workers.converter import data_converter, header_codec_behavior

SECRET = "amelia.hartwell@example.com"


async def test_hardened_encrypts_failure_messages_and_details() -> None:
    converter = data_converter(Profile.HARDENED, codec=keyring_codec())
    failure = Failure()
    await converter.encode_failure(ApplicationError(f"upstream rejected {SECRET}", SECRET, type="Boom"), failure)
    assert SECRET.encode() not in failure.SerializeToString()
    assert failure.message == "Encoded failure"
    assert is_encrypted(failure.encoded_attributes)
    assert all(is_encrypted(p) for p in failure.application_failure_info.details.payloads)
    assert failure.application_failure_info.type == "Boom"  # the type stays readable: reason codes only
    decoded = await converter.decode_failure(failure)
    assert isinstance(decoded, ApplicationError) and decoded.message == f"upstream rejected {SECRET}"


async def test_hardened_encrypts_pydantic_payloads_and_restores_them() -> None:
    converter = data_converter(Profile.HARDENED, codec=keyring_codec())
    outcome = Outcome.rejected("app_0123456789", RejectionReason.HIGH_RISK)
    (payload,) = await converter.encode([outcome])
    assert is_encrypted(payload) and b"HIGH_RISK" not in payload.data
    assert await converter.decode([payload], [Outcome]) == [outcome]


async def test_baseline_leaves_failures_and_payloads_readable() -> None:
    converter = data_converter(Profile.BASELINE)
    failure = Failure()
    await converter.encode_failure(ApplicationError(f"upstream rejected {SECRET}", type="Boom"), failure)
    assert SECRET in failure.message
    (payload,) = await converter.encode([{"email": SECRET}])
    assert SECRET.encode() in payload.data


def test_profiles_refuse_the_wrong_codec_setting() -> None:
    with pytest.raises(ValueError, match="needs a payload codec"):
        data_converter(Profile.HARDENED)
    with pytest.raises(ValueError, match="without a payload codec"):
        data_converter(Profile.BASELINE, codec=keyring_codec())


def test_the_header_policy_is_explicit() -> None:
    assert header_codec_behavior(Profile.HARDENED) is HeaderCodecBehavior.CODEC
    assert header_codec_behavior(Profile.BASELINE) is HeaderCodecBehavior.NO_CODEC
