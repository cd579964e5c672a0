"""In-process codec measurements: KMS requests per payload, and encode/decode time per payload by size.

KMS requests are counted on the boto3 KMS client itself (a botocore ``before-call`` event hook), against moto.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from temporalio.api.common.v1 import Payload

from envelope.key_cache import CachePolicy, DataKeyCache
from envelope.keys import KmsKeyProvider
from workers.codec import EnvelopeCodec

KB = 1024
PAYLOAD_SIZES = {"1KB": KB, "64KB": 64 * KB, "1MB": 1024 * KB}


class KmsCalls:
    """Counts the KMS API requests one boto3 client makes, by operation."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        client.meta.events.register("before-call.kms.*", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        self.counts[event_name.rsplit(".", 1)[-1]] += 1


def payload(size: int) -> Payload:
    # Random bytes: AES-GCM's cost does not depend on content, and nothing here may compress them away.
    return Payload(metadata={"encoding": b"json/plain"}, data=os.urandom(size))


def kms_requests(new_kms_client: Callable[[], Any], key_id: str, payloads: int) -> dict[str, Any]:
    """``payloads`` payloads encoded one call at a time by one process (as a worker does) and decoded one at a time
    by another (its own cache), with the default cache policy; every KMS request both make, per 1,000 payloads."""
    writer_kms, reader_kms = new_kms_client(), new_kms_client()
    writer_calls, reader_calls = KmsCalls(writer_kms), KmsCalls(reader_kms)
    policy = CachePolicy()
    writer = EnvelopeCodec(DataKeyCache(KmsKeyProvider(key_id, kms_client=writer_kms), policy))
    reader = EnvelopeCodec(DataKeyCache(KmsKeyProvider(key_id, kms_client=reader_kms), policy))
    originals = [payload(256) for _ in range(payloads)]
    sealed = [writer.encode_sync([original])[0] for original in originals]
    if [reader.decode_sync([envelope])[0] for envelope in sealed] != originals:
        raise AssertionError("the KMS bench decoded something other than what it encoded")
    requests = writer_calls.counts + reader_calls.counts
    return {
        "kms_requests_per_1000_payloads": round(1000 * requests.total() / payloads, 4),
        "kms": {
            "payloads": payloads,
            "requests_by_operation": dict(sorted(requests.items())),
            "writer_requests": writer_calls.counts.total(),
            "reader_requests": reader_calls.counts.total(),
            "cache_policy": asdict(policy),
            "method": "payloads encoded by one codec and decoded by another (two processes' caches), one payload "
                      "per call; requests counted on each codec's boto3 KMS client",
        },
    }


async def payload_microseconds(
    codec: EnvelopeCodec, iterations: dict[str, int]
) -> dict[str, dict[str, float | int]]:
    """Mean time per payload, in microseconds, by payload size: the codec's synchronous work (serialize, AES-GCM,
    data key from the warm cache) and the asynchronous call the SDK makes (the same plus the hop to a thread)."""
    codec.encode_sync([payload(1)])  # warm the data-key cache: KMS latency is not per-payload cost
    return {label: await _timed(codec, payload(size), iterations[label]) for label, size in PAYLOAD_SIZES.items()}


async def _timed(codec: EnvelopeCodec, original: Payload, count: int) -> dict[str, float | int]:
    sealed = codec.encode_sync([original])[0]
    return {
        "bytes": len(original.data),
        "iterations": count,
        "encode_us": _mean_us(count, lambda: codec.encode_sync([original])),
        "decode_us": _mean_us(count, lambda: codec.decode_sync([sealed])),
        "encode_async_us": await _mean_async_us(count, lambda: codec.encode([original])),
        "decode_async_us": await _mean_async_us(count, lambda: codec.decode([sealed])),
    }


def _mean_us(count: int, call: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(count):
        call()
    return _per_call_us(start, count)


async def _mean_async_us(count: int, call: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    for _ in range(count):
        await call()
    return _per_call_us(start, count)


def _per_call_us(start: float, count: int) -> float:
    return round((time.perf_counter() - start) / count * 1e6, 2)
