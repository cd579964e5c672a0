"""The payload codec: AES-256-GCM envelope encryption of every Temporal payload, before it leaves the worker.

Envelope layout (one encrypted payload per plaintext payload):

- ``metadata``: ``encoding`` = ``binary/encrypted``, ``encryption-version`` = ``1``,
  ``encryption-cipher`` = ``AES-256-GCM``, ``encryption-key-id`` (the key-encryption key) and
  ``encryption-wrapped-key`` (the data key, wrapped by that key).
- ``data``: a 12-byte random nonce, then AES-GCM(data key, serialized original payload, AAD).
- AAD: every metadata entry, sorted and length-prefixed, so no metadata field can be altered, added or removed
  without decryption failing. The original payload (including its own encoding metadata) is inside the ciphertext.

Decoding is strict: anything that is not a version-1 envelope, fails authentication, or names a key that cannot
unwrap its data key raises a :class:`~workers.errors.CodecError` naming the problem. Nothing is ever passed on
unencrypted, so plaintext injected into history by someone with access to the service is refused too.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from workers.errors import IntegrityError, MalformedEnvelopeError, UnknownEncodingError
from workers.key_cache import CachePolicy, DataKeyCache
from workers.keys import KeyProvider

ENCODING = b"binary/encrypted"
VERSION = b"1"
CIPHER = b"AES-256-GCM"
META_ENCODING = "encoding"
META_VERSION = "encryption-version"
META_CIPHER = "encryption-cipher"
META_KEY_ID = "encryption-key-id"
META_WRAPPED_KEY = "encryption-wrapped-key"
ENVELOPE_FIELDS = frozenset({META_ENCODING, META_VERSION, META_CIPHER, META_KEY_ID, META_WRAPPED_KEY})
_NONCE_BYTES = 12
_AAD_DOMAIN = b"temporal-payload-codec/v1"


class EnvelopeCodec(PayloadCodec):
    """Encrypts with the provider's current key; decrypts with whichever key each payload names."""

    def __init__(self, keys: DataKeyCache) -> None:
        self.keys = keys

    @classmethod
    def for_provider(cls, provider: KeyProvider, policy: CachePolicy | None = None) -> EnvelopeCodec:
        return cls(DataKeyCache(provider, policy))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        # Key-service calls block; keep them (and the crypto) off the event loop that runs workflow tasks.
        return await asyncio.to_thread(self.encode_sync, payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await asyncio.to_thread(self.decode_sync, payloads)

    def encode_sync(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._encrypt(payload) for payload in payloads]

    def decode_sync(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self._decrypt(payload) for payload in payloads]

    def _encrypt(self, payload: Payload) -> Payload:
        data_key = self.keys.key_for_encryption()
        metadata = {
            META_ENCODING: ENCODING,
            META_VERSION: VERSION,
            META_CIPHER: CIPHER,
            META_KEY_ID: data_key.key_id.encode(),
            META_WRAPPED_KEY: data_key.wrapped,
        }
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(data_key.plaintext).encrypt(nonce, payload.SerializeToString(), associated_data(metadata))
        return Payload(metadata=metadata, data=nonce + sealed)

    def _decrypt(self, payload: Payload) -> Payload:
        metadata = dict(payload.metadata)
        if metadata.get(META_ENCODING) != ENCODING:
            raise UnknownEncodingError(
                "payload is not a binary/encrypted envelope (plaintext or an unknown encoding); refusing to decode it"
            )
        if metadata.get(META_VERSION) != VERSION or metadata.get(META_CIPHER) != CIPHER:
            raise MalformedEnvelopeError("unsupported envelope version or cipher (this codec reads 1, AES-256-GCM)")
        wrapped = metadata.get(META_WRAPPED_KEY)
        try:
            key_id = metadata[META_KEY_ID].decode()
        except (KeyError, UnicodeDecodeError):
            raise MalformedEnvelopeError("envelope has no valid encryption-key-id") from None
        if not wrapped:
            raise MalformedEnvelopeError("envelope has no encryption-wrapped-key")
        if len(payload.data) <= _NONCE_BYTES:
            raise MalformedEnvelopeError("envelope data is too short to hold a nonce and a ciphertext")
        data_key = self.keys.unwrap(key_id, wrapped)
        nonce, sealed = payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:]
        try:
            plaintext = AESGCM(data_key).decrypt(nonce, sealed, associated_data(metadata))
        except InvalidTag:
            raise IntegrityError(
                f"payload under key {key_id!r} failed authentication: ciphertext or metadata were altered, "
                "or the wrapped data key belongs to another payload"
            ) from None
        return Payload.FromString(plaintext)


def associated_data(metadata: Mapping[str, bytes]) -> bytes:
    """Canonical, unambiguous encoding of the metadata: sorted entries, each part length-prefixed."""
    parts = [_AAD_DOMAIN]
    for name in sorted(metadata):
        parts += [name.encode(), metadata[name]]
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def is_encrypted(payload: Payload) -> bool:
    return payload.metadata.get(META_ENCODING) == ENCODING
