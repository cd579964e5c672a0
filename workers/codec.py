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

Where the work runs: a key-service call blocks, so any payload that needs one is handled on a thread. Most payloads
need none (the data key is cached), and sealing a small payload takes microseconds while a hop to a thread and back
costs about ten times that; so a call whose payloads total at most ``INLINE_MAX_BYTES`` and whose keys are all
cached is handled inline (``make bench``: worker CPU per workflow, hardened vs plain).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from workers.errors import IntegrityError, MalformedEnvelopeError, UnknownEncodingError
from workers.key_cache import CachePolicy, DataKeyCache
from workers.keys import DataKey, KeyProvider

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
# Above this, AES-GCM itself (about 4 us per KB) would hold the event loop longer than a thread hop costs.
INLINE_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class _Envelope:
    metadata: dict[str, bytes]
    key_id: str
    wrapped: bytes
    nonce: bytes
    sealed: bytes


class EnvelopeCodec(PayloadCodec):
    """Encrypts with the provider's current key; decrypts with whichever key each payload names."""

    def __init__(self, keys: DataKeyCache) -> None:
        self.keys = keys

    @classmethod
    def for_provider(cls, provider: KeyProvider, policy: CachePolicy | None = None) -> EnvelopeCodec:
        return cls(DataKeyCache(provider, policy))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        sealed: list[Payload] = []
        if _inline_size(payloads):
            for payload in payloads:
                data_key = self.keys.cached_key_for_encryption()
                if data_key is None:
                    break
                sealed.append(_seal(payload, data_key))
        if len(sealed) < len(payloads):
            # Key-service calls block; keep them off the event loop that runs workflow tasks.
            sealed += await asyncio.to_thread(self.encode_sync, payloads[len(sealed):])
        return sealed

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        opened: list[Payload] = []
        if _inline_size(payloads):
            for payload in payloads:
                envelope = _parse(payload)
                data_key = self.keys.cached_unwrap(envelope.key_id, envelope.wrapped)
                if data_key is None:
                    break
                opened.append(_open(envelope, data_key))
        if len(opened) < len(payloads):
            opened += await asyncio.to_thread(self.decode_sync, payloads[len(opened):])
        return opened

    def encode_sync(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [_seal(payload, self.keys.key_for_encryption()) for payload in payloads]

    def decode_sync(self, payloads: Sequence[Payload]) -> list[Payload]:
        opened = []
        for payload in payloads:
            envelope = _parse(payload)
            opened.append(_open(envelope, self.keys.unwrap(envelope.key_id, envelope.wrapped)))
        return opened



def _seal(payload: Payload, data_key: DataKey) -> Payload:
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


def _inline_size(payloads: Sequence[Payload]) -> bool:
    return sum(len(payload.data) for payload in payloads) <= INLINE_MAX_BYTES


def _parse(payload: Payload) -> _Envelope:
    """The envelope's parts, checked; no key is needed yet."""
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
    return _Envelope(metadata, key_id, wrapped, payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:])


def _open(envelope: _Envelope, data_key: bytes) -> Payload:
    try:
        plaintext = AESGCM(data_key).decrypt(envelope.nonce, envelope.sealed, associated_data(envelope.metadata))
    except InvalidTag:
        raise IntegrityError(
            f"payload under key {envelope.key_id!r} failed authentication: ciphertext or metadata were altered, "
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
