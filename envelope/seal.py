"""The envelope format: AES-256-GCM under a data key from a key provider, with every metadata entry bound as
associated data. One format for every engine that encrypts in its own process (the Temporal payload codec, the
durable-functions checkpoint serializer).

Sealed form:

- ``metadata`` (stored beside the ciphertext): ``encoding`` = ``binary/encrypted``, ``encryption-version`` = ``1``,
  ``encryption-cipher`` = ``AES-256-GCM``, ``encryption-key-id`` (the key-encryption key) and
  ``encryption-wrapped-key`` (the data key, wrapped by that key);
- ``data``: a 12-byte random nonce, then AES-GCM(data key, plaintext, AAD).

AAD: a domain label (which use the envelope belongs to), then every metadata entry sorted by name, then the sealing
*context* sorted by name (facts both sides know and that are not stored, e.g. the operation and execution a
checkpoint belongs to), each part length-prefixed (4-byte big-endian length). So no metadata field can be altered,
added or removed, and no envelope can be moved to another context, without decryption failing. With no context the
AAD is exactly the domain and the metadata: the Temporal histories written before contexts existed still open.

Opening is strict: anything that is not a version-1 envelope, fails authentication, or names a key that cannot unwrap
its data key raises an :class:`~envelope.errors.CodecError` naming the problem, never echoing data.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from envelope.errors import IntegrityError, MalformedEnvelopeError, UnknownEncodingError
from envelope.keys import DataKey

ENCODING = b"binary/encrypted"
VERSION = b"1"
CIPHER = b"AES-256-GCM"
META_ENCODING = "encoding"
META_VERSION = "encryption-version"
META_CIPHER = "encryption-cipher"
META_KEY_ID = "encryption-key-id"
META_WRAPPED_KEY = "encryption-wrapped-key"
ENVELOPE_FIELDS = frozenset({META_ENCODING, META_VERSION, META_CIPHER, META_KEY_ID, META_WRAPPED_KEY})
NONCE_BYTES = 12
TEMPORAL_DOMAIN = b"temporal-payload-codec/v1"


@dataclass(frozen=True)
class Envelope:
    """A parsed envelope: checked for shape, not yet authenticated."""

    metadata: dict[str, bytes]
    key_id: str
    wrapped: bytes
    nonce: bytes
    sealed: bytes


def seal(
    plaintext: bytes, data_key: DataKey, *, domain: bytes, context: Mapping[str, bytes] | None = None
) -> tuple[dict[str, bytes], bytes]:
    """``(metadata, data)`` of a new envelope of ``plaintext`` (a fresh random nonce each call)."""
    metadata = {
        META_ENCODING: ENCODING,
        META_VERSION: VERSION,
        META_CIPHER: CIPHER,
        META_KEY_ID: data_key.key_id.encode(),
        META_WRAPPED_KEY: data_key.wrapped,
    }
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(data_key.plaintext).encrypt(nonce, plaintext, associated_data(metadata, domain, context))
    return metadata, nonce + sealed


def parse(metadata: Mapping[str, bytes], data: bytes) -> Envelope:
    """The envelope's parts, checked; no key is needed yet. Raises UnknownEncodingError or MalformedEnvelopeError."""
    fields = dict(metadata)
    if fields.get(META_ENCODING) != ENCODING:
        raise UnknownEncodingError(
            "payload is not a binary/encrypted envelope (plaintext or an unknown encoding); refusing to decode it"
        )
    if fields.get(META_VERSION) != VERSION or fields.get(META_CIPHER) != CIPHER:
        raise MalformedEnvelopeError("unsupported envelope version or cipher (this codec reads 1, AES-256-GCM)")
    wrapped = fields.get(META_WRAPPED_KEY)
    try:
        key_id = fields[META_KEY_ID].decode()
    except (KeyError, UnicodeDecodeError):
        raise MalformedEnvelopeError("envelope has no valid encryption-key-id") from None
    if not wrapped:
        raise MalformedEnvelopeError("envelope has no encryption-wrapped-key")
    if len(data) <= NONCE_BYTES:
        raise MalformedEnvelopeError("envelope data is too short to hold a nonce and a ciphertext")
    return Envelope(fields, key_id, wrapped, data[:NONCE_BYTES], data[NONCE_BYTES:])


def open_envelope(
    envelope: Envelope, data_key: bytes, *, domain: bytes, context: Mapping[str, bytes] | None = None
) -> bytes:
    """The plaintext; raises IntegrityError when the ciphertext, the metadata or the context do not match."""
    try:
        return AESGCM(data_key).decrypt(envelope.nonce, envelope.sealed,
                                        associated_data(envelope.metadata, domain, context))
    except InvalidTag:
        raise IntegrityError(
            f"payload under key {envelope.key_id!r} failed authentication: ciphertext or metadata were altered, "
            "the wrapped data key belongs to another payload, or the payload was moved from its context"
        ) from None


def associated_data(metadata: Mapping[str, bytes], domain: bytes, context: Mapping[str, bytes] | None = None) -> bytes:
    """Canonical, unambiguous encoding of the domain, the metadata and the context (see the module docstring)."""
    parts = [domain]
    for name in sorted(metadata):
        parts += [name.encode(), metadata[name]]
    for name in sorted(context or {}):
        parts += [b"context:" + name.encode(), (context or {})[name]]
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def is_envelope(metadata: Mapping[str, bytes]) -> bool:
    return metadata.get(META_ENCODING) == ENCODING
