"""The payload codec: every Temporal payload sealed in an envelope (:mod:`envelope.seal`) before it leaves the worker.

One encrypted payload per plaintext payload: the envelope's metadata becomes the payload's metadata, its data the
payload's data, and the plaintext is the serialized original payload (its own encoding metadata included), sealed
under the ``temporal-payload-codec/v1`` domain. Decoding is strict: anything that is not a version-1 envelope, fails
authentication, or names a key that cannot unwrap its data key raises a :class:`~envelope.errors.CodecError` naming
the problem. Nothing is ever passed on unencrypted, so plaintext injected into history by someone with access to the
service is refused too.

Where the work runs: a key-service call blocks, so any payload that needs one is handled on a thread. Most payloads
need none (the data key is cached), and sealing a small payload takes microseconds while a hop to a thread and back
costs about ten times that; so a call whose payloads total at most ``INLINE_MAX_BYTES`` and whose keys are all
cached is handled inline (``make bench``: worker CPU per workflow, hardened vs plain).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from envelope.key_cache import CachePolicy, DataKeyCache
from envelope.keys import DataKey, KeyProvider
from envelope.seal import TEMPORAL_DOMAIN, Envelope, is_envelope, open_envelope, parse, seal

# Above this, AES-GCM itself (about 4 us per KB) would hold the event loop longer than a thread hop costs.
INLINE_MAX_BYTES = 64 * 1024


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
    metadata, data = seal(payload.SerializeToString(), data_key, domain=TEMPORAL_DOMAIN)
    return Payload(metadata=metadata, data=data)


def _inline_size(payloads: Sequence[Payload]) -> bool:
    return sum(len(payload.data) for payload in payloads) <= INLINE_MAX_BYTES


def _parse(payload: Payload) -> Envelope:
    return parse(payload.metadata, payload.data)


def _open(envelope: Envelope, data_key: bytes) -> Payload:
    return Payload.FromString(open_envelope(envelope, data_key, domain=TEMPORAL_DOMAIN))


def is_encrypted(payload: Payload) -> bool:
    return is_envelope(payload.metadata)
