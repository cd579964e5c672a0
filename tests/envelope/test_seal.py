"""The envelope format on its own: round trip, every bound part authenticated, the context bound but not stored."""

from __future__ import annotations

import secrets

import pytest

from envelope.errors import IntegrityError, MalformedEnvelopeError, UnknownEncodingError
from envelope.keys import DataKey
from envelope.seal import META_KEY_ID, NONCE_BYTES, associated_data, open_envelope, parse, seal

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
