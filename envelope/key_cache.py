"""Data-key cache: KMS requests scale with time and key count, not with payload count.

- Encryption reuses one data key until it has sealed ``max_uses`` payloads or is ``max_age_seconds`` old, then asks
  the provider for a new one. The use bound keeps each key far below AES-GCM's random-nonce limit (2^32 messages)
  and limits how much data one leaked data key exposes; the age bound limits how long key material lives in memory.
- Decryption caches unwrapped data keys by (key id, wrapped key), bounded by the same age and by entry count.
  A data key this process generated is seeded into that cache, so it never asks KMS to unwrap its own keys.

Thread-safe: the codec runs cryptography in worker threads. A cache miss holds the lock during the provider call
on purpose, so concurrent misses make one KMS request rather than one each. The ``cached_*`` methods never call the
provider and never wait for the lock (they answer None instead), so the event loop may call them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from envelope.keys import DataKey, KeyProvider


@dataclass(frozen=True, kw_only=True)
class CachePolicy:
    max_age_seconds: float = 300.0
    max_uses: int = 10_000
    max_unwrapped_keys: int = 1_000

    def __post_init__(self) -> None:
        if self.max_age_seconds <= 0 or self.max_uses < 1 or self.max_unwrapped_keys < 1:
            raise ValueError("cache bounds must be positive")


@dataclass
class _Current:
    key: DataKey
    created: float
    uses: int = 0


class DataKeyCache:
    def __init__(
        self, provider: KeyProvider, policy: CachePolicy | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.provider = provider
        self.policy = policy or CachePolicy()
        self._clock = clock
        self._lock = threading.Lock()
        self._current: _Current | None = None
        self._unwrapped: OrderedDict[tuple[str, bytes], tuple[bytes, float]] = OrderedDict()

    def key_for_encryption(self) -> DataKey:
        with self._lock:
            now = self._clock()
            current = self._current
            if current is None or current.uses >= self.policy.max_uses or self._expired(current.created, now):
                key = self.provider.generate_data_key()
                current = self._current = _Current(key=key, created=now)
                self._remember((key.key_id, key.wrapped), key.plaintext, now)
            current.uses += 1
            return current.key

    def cached_key_for_encryption(self) -> DataKey | None:
        """Like :meth:`key_for_encryption` when the current key is still within its bounds; otherwise None."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            current = self._current
            if current is None or current.uses >= self.policy.max_uses or self._expired(current.created, self._clock()):
                return None
            current.uses += 1
            return current.key
        finally:
            self._lock.release()

    def cached_unwrap(self, key_id: str, wrapped: bytes) -> bytes | None:
        """Like :meth:`unwrap` when the data key is cached and fresh; otherwise None."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            cache_key = (key_id, wrapped)
            entry = self._unwrapped.get(cache_key)
            if entry is None or self._expired(entry[1], self._clock()):
                return None
            self._unwrapped.move_to_end(cache_key)
            return entry[0]
        finally:
            self._lock.release()

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        cache_key = (key_id, wrapped)
        with self._lock:
            now = self._clock()
            entry = self._unwrapped.get(cache_key)
            if entry is not None and not self._expired(entry[1], now):
                self._unwrapped.move_to_end(cache_key)
                return entry[0]
            plaintext = self.provider.unwrap(key_id, wrapped)
            self._remember(cache_key, plaintext, now)
            return plaintext

    def clear(self) -> None:
        with self._lock:
            self._current = None
            self._unwrapped.clear()

    def _expired(self, created: float, now: float) -> bool:
        return now - created >= self.policy.max_age_seconds

    def _remember(self, cache_key: tuple[str, bytes], plaintext: bytes, now: float) -> None:
        self._unwrapped[cache_key] = (plaintext, now)
        self._unwrapped.move_to_end(cache_key)
        while len(self._unwrapped) > self.policy.max_unwrapped_keys:
            self._unwrapped.popitem(last=False)
