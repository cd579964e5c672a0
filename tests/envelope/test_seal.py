"""The envelope format on its own: round trip, every bound part authenticated, the context bound but not stored."""

from __future__ import annotations

import secrets

import pytest

from envelope.errors import IntegrityError, MalformedEnvelopeError, UnknownEncodingError
from envelope.keys import DataKey
from envelope.seal import META_KEY_ID, NONCE_BYTES, associated_data, is_envelope, open_envelope, parse, seal

DOMAIN = b"test-domain/v1"
KEY = DataKey(key_id="local:test", wrapped=b"wrapped-key", plaintext=secrets.token_bytes(32))
CONTEXT = {"operation": b"op-1", "execution": b"arn:execution:1"}


def test_a_sealed_value_opens_only_in_its_domain_and_context() -> None:
    metadata, data = seal(b"secret value", KEY, domain=DOMAIN, context=CONTEXT)
    envelope = parse(metadata, data)
    assert open_envelope(envelope, KEY.plaintext, domain=DOMAIN, context=CONTEXT) == b"secret value"
    assert b"secret value" not in data and b"op-1" not in data and all(b"op-1" not in v for v in metadata.values())
    for domain, context in [(b"other-domain/v1", CONTEXT), (DOMAIN, {**CONTEXT, "operation": b"op-2"}),
                            (DOMAIN, {"operation": b"op-1"}), (DOMAIN, None)]:
        with pytest.raises(IntegrityError, match="moved from its context"):
            open_envelope(envelope, KEY.plaintext, domain=domain, context=context)


def test_without_a_context_the_associated_data_is_the_domain_and_the_metadata_only() -> None:
    metadata = {"b": b"2", "a": b"1"}
    expected = b"".join(len(part).to_bytes(4, "big") + part for part in [DOMAIN, b"a", b"1", b"b", b"2"])
    assert associated_data(metadata, DOMAIN) == expected == associated_data(metadata, DOMAIN, {})
    with_context = associated_data(metadata, DOMAIN, {"x": b"9"})
    context_part = len(b"context:x").to_bytes(4, "big") + b"context:x" + (1).to_bytes(4, "big") + b"9"
    assert with_context == expected + context_part


def test_each_nonce_is_fresh() -> None:
    first, second = (seal(b"same", KEY, domain=DOMAIN)[1][:NONCE_BYTES] for _ in range(2))
    assert first != second


def test_a_changed_metadata_entry_fails_authentication() -> None:
    metadata, data = seal(b"value", KEY, domain=DOMAIN)
    metadata[META_KEY_ID] = b"local:other"
    with pytest.raises(IntegrityError):
        open_envelope(parse(metadata, data), KEY.plaintext, domain=DOMAIN)


def test_what_is_not_an_envelope_is_refused_naming_the_problem() -> None:
    with pytest.raises(UnknownEncodingError, match="not a binary/encrypted envelope"):
        parse({"encoding": b"json/plain"}, b"{}")
    metadata, _ = seal(b"value", KEY, domain=DOMAIN)
    with pytest.raises(MalformedEnvelopeError, match="too short"):
        parse(metadata, b"x" * NONCE_BYTES)


def _sealed_metadata() -> dict[str, bytes]:
    return seal(b"value", KEY, domain=DOMAIN)[0]


@pytest.mark.parametrize(("change", "error", "message"), [
    ({"encoding": b"json/plain"}, UnknownEncodingError,
     "payload is not a binary/encrypted envelope (plaintext or an unknown encoding); refusing to decode it"),
    ({"encoding": None}, UnknownEncodingError,
     "payload is not a binary/encrypted envelope (plaintext or an unknown encoding); refusing to decode it"),
    ({"encryption-version": b"2"}, MalformedEnvelopeError,
     "unsupported envelope version or cipher (this codec reads 1, AES-256-GCM)"),
    ({"encryption-cipher": b"AES-128-GCM"}, MalformedEnvelopeError,
     "unsupported envelope version or cipher (this codec reads 1, AES-256-GCM)"),
    ({"encryption-key-id": None}, MalformedEnvelopeError, "envelope has no valid encryption-key-id"),
    ({"encryption-key-id": b"\xff"}, MalformedEnvelopeError, "envelope has no valid encryption-key-id"),
    ({"encryption-wrapped-key": None}, MalformedEnvelopeError, "envelope has no encryption-wrapped-key"),
    ({"encryption-wrapped-key": b""}, MalformedEnvelopeError, "envelope has no encryption-wrapped-key"),
])
def test_each_refusal_names_its_problem(change: dict[str, bytes | None], error: type[Exception], message: str) -> None:
    metadata: dict[str, bytes] = _sealed_metadata()
    for name, value in change.items():
        if value is None:
            del metadata[name]
        else:
            metadata[name] = value
    with pytest.raises(error) as raised:
        parse(metadata, b"\x00" * 40)
    assert str(raised.value) == message


def test_too_short_data_and_failed_authentication_name_their_problem() -> None:
    metadata, data = seal(b"value", KEY, domain=DOMAIN)
    with pytest.raises(MalformedEnvelopeError) as short:
        parse(metadata, data[:NONCE_BYTES])
    assert str(short.value) == "envelope data is too short to hold a nonce and a ciphertext"
    assert parse(metadata, data[:NONCE_BYTES + 1]).sealed == data[NONCE_BYTES:NONCE_BYTES + 1]
    with pytest.raises(IntegrityError) as altered:
        open_envelope(parse(metadata, data), KEY.plaintext, domain=b"other-domain/v1")
    assert str(altered.value) == (
        "payload under key 'local:test' failed authentication: ciphertext or metadata were altered, the wrapped data "
        "key belongs to another payload, or the payload was moved from its context")


def test_is_envelope_tells_an_envelope_by_its_encoding() -> None:
    assert is_envelope(_sealed_metadata())
    assert not is_envelope({"encoding": b"json/plain"})
    assert not is_envelope({})
