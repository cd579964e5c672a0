"""A stand-in payload codec for the collection tests (kept out of the workflow module: the sandbox re-imports it)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec


class StandInCodec(PayloadCodec):
    """A minimal AES-GCM codec standing in for the workers' KMS envelope codec (same ``binary/encrypted``)."""

    def __init__(self) -> None:
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        sealed = []
        for payload in payloads:
            nonce = os.urandom(12)
            sealed.append(Payload(metadata={"encoding": b"binary/encrypted"},
                                  data=nonce + self._aead.encrypt(nonce, payload.SerializeToString(), None)))
        return sealed

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [Payload.FromString(self._aead.decrypt(p.data[:12], p.data[12:], None))
                if p.metadata.get("encoding") == b"binary/encrypted" else p for p in payloads]
