"""The checkpoint serializer: what it writes is sealed and bound to its place, and what it refuses it names."""

from __future__ import annotations

import base64
import json
import secrets

import pytest
from aws_durable_execution_sdk_python.serdes import SerDesContext

from durable_functions.serdes import (
    EnvelopeSerDes,
    PlainSerDes,
    open_input,
    seal_callback_result,
    seal_input,
    unsealed_parts,
)
from envelope.errors import IntegrityError, MalformedEnvelopeError, UnknownKeyError
from envelope.key_cache import DataKeyCache
from envelope.keys import LocalKeyProvider
from onboarding.models import RiskAssessment
from scenarios import scenario

ARN = "arn:aws:lambda:us-east-1:123456789012:function:onboarding:1/durable-execution/app_1/1"
HERE = SerDesContext(operation_id="op-1", durable_execution_arn=ARN)
APPLICATION = scenario("review_approved").application("app_0123456789abcdef0123456789abcdef")


def keyring(*names: str, current: str) -> DataKeyCache:
    return DataKeyCache(LocalKeyProvider({name: secrets.token_bytes(32) for name in names}, current=current))


def test_a_checkpoint_round_trips_and_holds_no_plaintext() -> None:
    serdes: EnvelopeSerDes[dict[str, object]] = EnvelopeSerDes(keyring("a", current="a"))
    text = serdes.serialize(APPLICATION, HERE)
    assert set(json.loads(text)) == {"envelope", "metadata", "data"}
    assert [value for value in scenario("review_approved").searchable_pii() if value in text] == []
    assert serdes.deserialize(text, HERE) == APPLICATION


def test_a_model_comes_back_as_the_model() -> None:
    serdes: EnvelopeSerDes[RiskAssessment] = EnvelopeSerDes(keyring("a", current="a"), RiskAssessment)
    assessment = RiskAssessment.model_validate({"score": 42, "level": "MEDIUM", "factors": ["new_customer"]})
    assert serdes.deserialize(serdes.serialize(assessment, HERE), HERE) == assessment


@pytest.mark.parametrize("elsewhere", [SerDesContext(operation_id="op-2", durable_execution_arn=ARN),
                                       SerDesContext(operation_id="op-1", durable_execution_arn=ARN + "0")],
                         ids=["another operation", "another execution"])
def test_a_checkpoint_moved_to_another_operation_or_execution_does_not_open(elsewhere: SerDesContext) -> None:
    serdes: EnvelopeSerDes[dict[str, object]] = EnvelopeSerDes(keyring("a", current="a"))
    text = serdes.serialize(APPLICATION, HERE)
    with pytest.raises(IntegrityError):
        serdes.deserialize(text, elsewhere)


def test_a_tampered_checkpoint_is_refused_without_echoing_it() -> None:
    serdes: EnvelopeSerDes[dict[str, object]] = EnvelopeSerDes(keyring("a", current="a"))
    document = json.loads(serdes.serialize(APPLICATION, HERE))
    data = bytearray(base64.b64decode(document["data"]))
    data[-1] ^= 1
    document["data"] = base64.b64encode(bytes(data)).decode()
    with pytest.raises(IntegrityError) as caught:
        serdes.deserialize(json.dumps(document), HERE)
    assert document["data"] not in str(caught.value)


def test_text_that_is_no_envelope_is_refused_by_its_shape() -> None:
    with pytest.raises(MalformedEnvelopeError, match="not a sealed envelope"):
        unsealed_parts(json.dumps(APPLICATION))


def test_a_rotated_key_still_opens_what_the_old_one_sealed() -> None:
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    before = EnvelopeSerDes[dict[str, object]](DataKeyCache(LocalKeyProvider({"v1": old}, current="v1")))
    after = EnvelopeSerDes[dict[str, object]](DataKeyCache(LocalKeyProvider({"v1": old, "v2": new}, current="v2")))
    sealed_before = before.serialize(APPLICATION, HERE)
    assert after.deserialize(sealed_before, HERE) == APPLICATION
    sealed_after = after.serialize(APPLICATION, HERE)
    assert json.loads(sealed_after)["metadata"] != json.loads(sealed_before)["metadata"]  # the new key wraps now


def test_a_checkpoint_under_a_key_the_function_does_not_have_names_the_key() -> None:
    text = EnvelopeSerDes[dict[str, object]](keyring("retired", current="retired")).serialize(APPLICATION, HERE)
    with pytest.raises(UnknownKeyError, match="retired"):
        EnvelopeSerDes[dict[str, object]](keyring("current", current="current")).deserialize(text, HERE)


def test_the_input_opens_only_under_its_execution_name() -> None:
    keys = keyring("a", current="a")
    sealed = seal_input(APPLICATION, keys, execution_name="app_1")
    assert open_input(sealed, keys, execution_name="app_1") == APPLICATION
    with pytest.raises(IntegrityError):
        open_input(sealed, keys, execution_name="app_2")


def test_a_review_answer_sealed_by_its_sender_opens_in_the_function() -> None:
    keys = keyring("a", current="a")
    sealed = seal_callback_result({"decision": "APPROVE"}, keys, execution_name="app_1")
    serdes: EnvelopeSerDes[dict[str, str]] = EnvelopeSerDes(keys, fixed_context={"callback_for": b"app_1"})
    assert serdes.deserialize(sealed, HERE) == {"decision": "APPROVE"}
    with pytest.raises(IntegrityError):  # an answer for another application
        EnvelopeSerDes[dict[str, str]](keys, fixed_context={"callback_for": b"app_2"}).deserialize(sealed, HERE)


def test_the_baseline_serializer_writes_the_json_itself() -> None:
    text = PlainSerDes[dict[str, object]]().serialize(APPLICATION, HERE)
    assert json.loads(text) == APPLICATION  # the audit's positive control: plaintext, as the profile says
