"""Key providers and the data-key cache on their own (``envelope.keys``, ``envelope.key_cache``): every refusal
names its problem word for word, the bounds at and just past their limit, and the keyring command."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws

from envelope.errors import KeyUnavailableError, UnknownKeyError, WrongKeyError
from envelope.key_cache import CachePolicy, DataKeyCache
from envelope.keys import KmsKeyProvider, LocalKeyProvider, main, rotate_keyring, write_keyring


class FailingKms:
    """A KMS client whose every call raises ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def generate_data_key(self, **_: Any) -> Any:
        raise self.error

    def decrypt(self, **_: Any) -> Any:
        raise self.error


def _client_error(code: str | None) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": "m"}} if code else {}
    return ClientError(response, "op")


REFUSED = ("KMS refused to {op} with key 'alias/k' ({code}): the data key was wrapped under another key, the wrapped "
           "key was altered, or this role may not use the key")


@pytest.mark.parametrize(("code", "kind", "detail"), [
    ("NotFoundException", UnknownKeyError, "KMS key 'alias/k' does not exist ({op}: NotFoundException)"),
    ("IncorrectKeyException", WrongKeyError, REFUSED),
    ("InvalidCiphertextException", WrongKeyError, REFUSED),
    ("AccessDeniedException", WrongKeyError, REFUSED),
    ("ThrottlingException", KeyUnavailableError, "KMS {op} with key 'alias/k' failed (ThrottlingException)"),
    (None, KeyUnavailableError, "KMS {op} with key 'alias/k' failed (Unknown)"),
])
@pytest.mark.parametrize("operation", ["GenerateDataKey", "Decrypt"])
def test_each_kms_failure_names_the_operation_the_key_and_the_code(
    code: str | None, kind: type[Exception], detail: str, operation: str
) -> None:
    provider = KmsKeyProvider("alias/k", kms_client=FailingKms(_client_error(code)))
    with pytest.raises(kind) as raised:
        provider.generate_data_key() if operation == "GenerateDataKey" else provider.unwrap("alias/k", b"blob")
    assert str(raised.value) == detail.format(op=operation, code=code)


@pytest.mark.parametrize("operation", ["GenerateDataKey", "Decrypt"])
def test_an_unreachable_kms_is_a_named_unavailable_key(operation: str) -> None:
    provider = KmsKeyProvider("alias/k", kms_client=FailingKms(EndpointConnectionError(endpoint_url="https://kms")))
    with pytest.raises(KeyUnavailableError) as raised:
        provider.generate_data_key() if operation == "GenerateDataKey" else provider.unwrap("alias/k", b"blob")
    assert str(raised.value) == (f"KMS {operation} with key 'alias/k' failed (EndpointConnectionError): "
                                 "KMS is unreachable")


@pytest.mark.parametrize(("keys", "current", "message"), [
    ({"bad name": bytes(32)}, "bad name", "local key names must match [A-Za-z0-9._-]{1,64}"),
    ({"k" * 65: bytes(32)}, "k" * 65, "local key names must match [A-Za-z0-9._-]{1,64}"),
    ({"k": bytes(31)}, "k", "local key 'k' must be 32 bytes"),
    ({"k": bytes(33)}, "k", "local key 'k' must be 32 bytes"),
    ({"k": bytes(32)}, "other", "current local key 'other' is not in the keyring"),
])
def test_each_keyring_refusal_names_its_problem(keys: dict[str, bytes], current: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        LocalKeyProvider(keys, current=current)
    assert str(raised.value) == message


def test_the_longest_key_name_and_a_32_byte_key_are_accepted() -> None:
    name = "a-Z_0." + "k" * 58
    provider = LocalKeyProvider({name: bytes(32)}, current=name)
    assert provider.current_key_id == f"local:{name}"
    key = provider.generate_data_key()
    assert len(key.plaintext) == 32 and provider.unwrap(key.key_id, key.wrapped) == key.plaintext
    assert repr(key) == f"DataKey(key_id='local:{name}')"


def test_a_keyring_value_that_is_not_strict_base64_is_malformed(tmp_path: Path) -> None:
    keyring = tmp_path / "keyring.json"
    material = base64.b64encode(bytes(32)).decode()
    keyring.write_text(json.dumps({"current": "k", "keys": {"k": material[:10] + "!" + material[10:]}}))
    with pytest.raises(ValueError) as raised:
        LocalKeyProvider.from_file(keyring)
    assert str(raised.value) == f"local keyring {keyring} is unreadable or malformed (Error)"


def test_an_unknown_or_wrong_local_key_names_it(tmp_path: Path) -> None:
    provider = LocalKeyProvider({"k": bytes(32), "j": bytes(range(32))}, current="k")
    key = provider.generate_data_key()
    with pytest.raises(UnknownKeyError) as unknown:
        provider.unwrap("local:x", key.wrapped)
    assert str(unknown.value) == "key 'local:x' is not in the local keyring"
    with pytest.raises(WrongKeyError) as wrong:
        provider.unwrap("local:j", key.wrapped)
    assert str(wrong.value) == ("the data key does not unwrap with local key 'local:j': wrong key material or altered "
                                "wrapped key")


def test_rotating_to_an_existing_name_is_refused(tmp_path: Path) -> None:
    keyring = tmp_path / "keyring.json"
    write_keyring(keyring, current="dev-1")
    with pytest.raises(ValueError) as raised:
        rotate_keyring(keyring, new_current="dev-1")
    assert str(raised.value) == "local key 'dev-1' already exists"
    rotate_keyring(keyring, new_current="dev-2")
    keys = json.loads(keyring.read_text())["keys"]
    assert sorted(keys) == ["dev-1", "dev-2"] and all(len(base64.b64decode(v)) == 32 for v in keys.values())
    assert keys["dev-1"] != keys["dev-2"]


def test_the_keyring_command_creates_rotates_and_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keyring = tmp_path / "keyring.json"
    assert main(["new", str(keyring), "--name", "dev-1"]) == 0
    assert capsys.readouterr().out == (f"{keyring}: current key local:dev-1 (set PAYLOAD_KEY_ID=local and "
                                       f"PAYLOAD_LOCAL_KEYRING_FILE={keyring})\n")
    assert LocalKeyProvider.from_file(keyring).current_key_id == "local:dev-1"
    assert main(["new", str(keyring), "--name", "dev-9"]) == 2
    assert capsys.readouterr().err == f"{keyring} exists; use 'rotate' to add a key\n"
    assert main(["rotate", str(keyring), "--name", "dev-2"]) == 0
    assert "current key local:dev-2" in capsys.readouterr().out
    assert LocalKeyProvider.from_file(keyring).current_key_id == "local:dev-2"
    assert main(["rotate", str(keyring), "--name", "dev-2"]) == 2
    assert capsys.readouterr().err == "local key 'dev-2' already exists\n"
    with pytest.raises(SystemExit):
        main(["rotate", str(keyring)])  # --name is required
    with pytest.raises(SystemExit):
        main(["delete", str(keyring), "--name", "x"])


@pytest.mark.parametrize("bounds", [{"max_age_seconds": 0}, {"max_age_seconds": -1}, {"max_uses": 0},
                                    {"max_unwrapped_keys": 0}])
def test_cache_bounds_of_zero_are_refused_naming_the_problem(bounds: dict[str, float]) -> None:
    with pytest.raises(ValueError) as raised:
        CachePolicy(**bounds)  # type: ignore[arg-type]
    assert str(raised.value) == "cache bounds must be positive"


def test_the_smallest_cache_bounds_are_accepted() -> None:
    assert CachePolicy(max_age_seconds=0.5, max_uses=1, max_unwrapped_keys=1).max_age_seconds == 0.5
    assert CachePolicy(max_age_seconds=1).max_age_seconds == 1


def test_clear_forgets_every_key() -> None:
    provider = LocalKeyProvider({"k": secrets.token_bytes(32)}, current="k")
    cache = DataKeyCache(provider)
    first = cache.key_for_encryption()
    assert cache.cached_unwrap(first.key_id, first.wrapped) == first.plaintext
    cache.clear()
    assert cache.cached_key_for_encryption() is None
    assert cache.cached_unwrap(first.key_id, first.wrapped) is None
    assert cache.key_for_encryption() != first


def test_a_busy_cache_answers_at_once() -> None:
    provider = LocalKeyProvider({"k": secrets.token_bytes(32)}, current="k")
    cache = DataKeyCache(provider)
    key = cache.key_for_encryption()
    cache._lock.acquire()
    release = threading.Timer(0.5, cache._lock.release)
    release.start()
    # Answers None at once (a blocking wait would return the key once the other thread lets go).
    assert cache.cached_unwrap(key.key_id, key.wrapped) is None
    assert cache.cached_key_for_encryption() is None
    release.join()
    assert cache.cached_unwrap(key.key_id, key.wrapped) == key.plaintext


def test_the_keyring_command_explains_itself(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines to the terminal's width
    assert text.startswith("usage: python -m envelope.keys [-h] --name NAME {new,rotate} keyring local development "
                           "keyring ")
    assert "--name NAME name of the new current key, e.g. dev-1" in text


def test_a_local_wrapped_key_is_a_12_byte_nonce_then_aes_gcm_under_the_key_id() -> None:
    """Known answer: the committed replay histories hold data keys wrapped this way, so the layout must not move."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    material, nonce, data_key = bytes(range(32)), bytes(range(12)), bytes(range(100, 132))
    wrapped = nonce + AESGCM(material).encrypt(nonce, data_key, b"local:k")
    assert LocalKeyProvider({"k": material}, current="k").unwrap("local:k", wrapped) == data_key


def test_an_empty_key_name_is_refused() -> None:
    with pytest.raises(ValueError) as raised:
        LocalKeyProvider({"": bytes(32)}, current="")
    assert str(raised.value) == "local key names must match [A-Za-z0-9._-]{1,64}"


def test_a_kms_provider_binds_its_data_keys_to_the_encryption_context_it_is_given() -> None:
    """The durable function's checkpoint key admits only its own context: a provider must use the one it is given,
    so a data key wrapped under one context is refused under another (KMS on moto checks it)."""
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        key = kms.create_key(Description="context test")["KeyMetadata"]["Arn"]
        checkpoint = KmsKeyProvider(key, kms_client=kms, encryption_context={"purpose": "durable-checkpoint"})
        data_key = checkpoint.generate_data_key()
        assert checkpoint.unwrap(data_key.key_id, data_key.wrapped) == data_key.plaintext
        assert kms.decrypt(CiphertextBlob=data_key.wrapped,
                           EncryptionContext={"purpose": "durable-checkpoint"})["Plaintext"] == data_key.plaintext
        with pytest.raises(WrongKeyError):
            KmsKeyProvider(key, kms_client=kms).unwrap(data_key.key_id, data_key.wrapped)  # the default context
