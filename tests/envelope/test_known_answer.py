"""Known-answer vectors of envelope format v1: a fixed data key, nonce and metadata give fixed bytes.

A change to the format (the AAD domain or layout, the nonce length, a metadata name or value, the cipher) fails here
first, with the bytes that changed, before the committed replay histories would. The vectors were made once with the
code of format v1 and are checked against an independent derivation from the format's description
(:mod:`envelope.seal`'s docstring) with ``cryptography``'s AES-GCM, so a vector cannot simply be pasted wrong.
"""

from __future__ import annotations

import secrets

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload

from envelope.errors import IntegrityError
from envelope.key_cache import DataKeyCache
from envelope.keys import DataKey
from envelope.seal import TEMPORAL_DOMAIN, associated_data, open_envelope, parse, seal
from workers.codec import EnvelopeCodec

KEY = DataKey(key_id="local:kat", wrapped=b"wrapped-data-key", plaintext=bytes(range(32)))
NONCE = bytes(range(0xA0, 0xAC))
METADATA = {
    "encoding": b"binary/encrypted",
    "encryption-version": b"1",
    "encryption-cipher": b"AES-256-GCM",
    "encryption-key-id": b"local:kat",
    "encryption-wrapped-key": b"wrapped-data-key",
}
PLAINTEXT = b'{"kat": 1}'
AAD = bytes.fromhex(
    "0000001974656d706f72616c2d7061796c6f61642d636f6465632f763100000008656e636f64696e670000001062696e6172792f656e63"
    "72797074656400000011656e6372797074696f6e2d6369706865720000000b4145532d3235362d47434d00000011656e6372797074696f"
    "6e2d6b65792d6964000000096c6f63616c3a6b617400000012656e6372797074696f6e2d76657273696f6e000000013100000016656e63"
    "72797074696f6e2d777261707065642d6b657900000010777261707065642d646174612d6b6579"
)
DATA = bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaab9d3a174c31e9389f531883e66e9f81e6c7fcdea086c277887a2e")
# The codec seals the serialized Temporal payload (its own metadata included).
PAYLOAD = Payload(metadata={"encoding": b"json/plain"}, data=b'"known answer"')
PAYLOAD_DATA = bytes.fromhex(
    "a0a1a2a3a4a5a6a7a8a9aaabec0e762520a561d0060ce9b41570aaad1fc27660fed62b028e0004ed11c4026ff217298cd847211fa9810b"
    "e89f68f233114022d75963cb87"
)


def _described_aad(domain: bytes, metadata: dict[str, bytes]) -> bytes:
    """The AAD as the format describes it: the domain, then each metadata name and value sorted by name, each part
    prefixed by its 4-byte big-endian length."""
    parts = [domain] + [part for name in sorted(metadata) for part in (name.encode(), metadata[name])]
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


class FixedKey:
    """A key provider with one fixed data key."""

    current_key_id = KEY.key_id

    def generate_data_key(self) -> DataKey:
        return KEY

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        assert (key_id, wrapped) == (KEY.key_id, KEY.wrapped)
        return KEY.plaintext


@pytest.fixture
def fixed_nonce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every nonce the envelope draws is the first bytes of NONCE (as many as it asks for)."""
    monkeypatch.setattr(secrets, "token_bytes", lambda count: NONCE[:count])


def test_the_vectors_are_the_described_format() -> None:
    assert TEMPORAL_DOMAIN == b"temporal-payload-codec/v1"
    assert _described_aad(b"temporal-payload-codec/v1", METADATA) == AAD
    assert NONCE + AESGCM(KEY.plaintext).encrypt(NONCE, PLAINTEXT, AAD) == DATA
    assert NONCE + AESGCM(KEY.plaintext).encrypt(NONCE, PAYLOAD.SerializeToString(), AAD) == PAYLOAD_DATA


def test_the_associated_data_is_the_known_bytes() -> None:
    assert associated_data(METADATA, TEMPORAL_DOMAIN) == AAD
    assert associated_data(METADATA, TEMPORAL_DOMAIN, {}) == AAD


def test_sealing_with_a_fixed_key_and_nonce_gives_the_known_envelope(fixed_nonce: None) -> None:
    metadata, data = seal(PLAINTEXT, KEY, domain=TEMPORAL_DOMAIN)
    assert metadata == METADATA
    assert data == DATA


def test_the_known_envelope_opens_to_its_plaintext() -> None:
    envelope = parse(METADATA, DATA)
    assert (envelope.key_id, envelope.wrapped, envelope.nonce) == (KEY.key_id, KEY.wrapped, NONCE)
    assert open_envelope(envelope, KEY.plaintext, domain=TEMPORAL_DOMAIN) == PLAINTEXT


def test_the_known_envelope_opens_only_with_every_byte_of_its_domain() -> None:
    envelope = parse(METADATA, DATA)
    for index in range(len(TEMPORAL_DOMAIN)):
        domain = bytearray(TEMPORAL_DOMAIN)
        domain[index] ^= 0x01
        with pytest.raises(IntegrityError, match="failed authentication"):
            open_envelope(envelope, KEY.plaintext, domain=bytes(domain))


def test_the_codec_seals_a_payload_into_the_known_envelope(fixed_nonce: None) -> None:
    (sealed,) = EnvelopeCodec(DataKeyCache(FixedKey())).encode_sync([PAYLOAD])
    assert dict(sealed.metadata) == METADATA
    assert sealed.data == PAYLOAD_DATA


def test_the_codec_opens_the_known_envelope() -> None:
    known = Payload(metadata=METADATA, data=PAYLOAD_DATA)
    assert EnvelopeCodec(DataKeyCache(FixedKey())).decode_sync([known]) == [PAYLOAD]
