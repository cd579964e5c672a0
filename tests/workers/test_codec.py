"""Envelope codec: round trip, tampering, wrong/unknown keys, unknown encodings, rotation, data-key cache bounds,
and where the work runs (key-service calls on a thread; cached keys and small payloads inline)."""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from temporalio.api.common.v1 import Payload

from envelope.errors import (
    CodecError,
    IntegrityError,
    MalformedEnvelopeError,
    UnknownEncodingError,
    UnknownKeyError,
    WrongKeyError,
)
from envelope.key_cache import CachePolicy, DataKeyCache
from envelope.keys import DataKey, LocalKeyProvider, rotate_keyring, write_keyring
from envelope.seal import ENCODING, META_CIPHER, META_KEY_ID, META_VERSION, META_WRAPPED_KEY
from scenarios import scenario
from workers.codec import INLINE_MAX_BYTES, EnvelopeCodec, is_encrypted

T = TypeVar("T")
PII = scenario("approved_low_risk").searchable_pii()
SECRET_JSON = json.dumps({"national_id": PII[2], "email": PII[3]}).encode()


def plain(data: bytes = SECRET_JSON, encoding: bytes = b"json/plain") -> Payload:
    return Payload(metadata={"encoding": encoding, "messageType": b"Application"}, data=data)


def local(name: str = "k1", material: bytes | None = None) -> LocalKeyProvider:
    return LocalKeyProvider({name: material or secrets.token_bytes(32)}, current=name)


class CountingProvider:
    """Wraps a provider and counts key-service calls (the local stand-in for counting KMS requests)."""

    def __init__(self, inner: LocalKeyProvider) -> None:
        self.inner = inner
        self.generated = 0
        self.unwrapped = 0

    @property
    def current_key_id(self) -> str:
        return self.inner.current_key_id

    def generate_data_key(self) -> DataKey:
        self.generated += 1
        return self.inner.generate_data_key()

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        self.unwrapped += 1
        return self.inner.unwrap(key_id, wrapped)


def assert_names_problem_without_data(error: CodecError) -> None:
    text = str(error)
    assert text
    for value in PII:
        assert value not in text


def test_round_trip_restores_the_exact_payload() -> None:
    codec = EnvelopeCodec.for_provider(local())
    originals = [plain(), plain(b"", b"binary/null"), plain(bytes(range(256)), b"binary/plain")]
    encoded = codec.encode_sync(originals)
    assert codec.decode_sync(encoded) == originals


def test_the_envelope_hides_data_and_original_metadata() -> None:
    codec = EnvelopeCodec.for_provider(local())
    (envelope,) = codec.encode_sync([plain()])
    raw = envelope.SerializeToString()
    assert all(value.encode() not in raw for value in PII)
    assert b"json/plain" not in raw and b"Application" not in raw
    assert envelope.metadata["encoding"] == ENCODING
    assert set(envelope.metadata) == {"encoding", META_VERSION, META_CIPHER, META_KEY_ID, META_WRAPPED_KEY}


def test_equal_plaintexts_give_different_ciphertexts() -> None:
    codec = EnvelopeCodec.for_provider(local())
    first, second = codec.encode_sync([plain(), plain()])
    assert first.data != second.data


async def test_the_async_interface_matches_the_sync_one() -> None:
    codec = EnvelopeCodec.for_provider(local())
    assert await codec.decode(await codec.encode([plain()])) == [plain()]


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


TAMPERS: dict[str, Callable[[Payload], None]] = {
    "nonce": lambda p: setattr(p, "data", _flip(p.data, 0)),
    "ciphertext": lambda p: setattr(p, "data", _flip(p.data, 20)),
    "tag": lambda p: setattr(p, "data", _flip(p.data, len(p.data) - 1)),
    "truncated": lambda p: setattr(p, "data", p.data[:-1]),
    "added metadata": lambda p: p.metadata.__setitem__("messageType", b"Other"),
    "wrapped key": lambda p: p.metadata.__setitem__(META_WRAPPED_KEY, _flip(p.metadata[META_WRAPPED_KEY], 30)),
}


@pytest.mark.parametrize("tamper", TAMPERS, ids=list(TAMPERS))
def test_tampering_fails_loudly(tamper: str) -> None:
    codec = EnvelopeCodec.for_provider(local())
    (envelope,) = codec.encode_sync([plain()])
    TAMPERS[tamper](envelope)
    fresh = EnvelopeCodec.for_provider(codec.keys.provider)  # no cached data keys: the wrapped key is checked too
    with pytest.raises((IntegrityError, WrongKeyError)) as raised:
        fresh.decode_sync([envelope])
    assert_names_problem_without_data(raised.value)


def test_a_wrapped_key_moved_from_another_payload_fails() -> None:
    codec = EnvelopeCodec(DataKeyCache(local(), CachePolicy(max_uses=1)))
    first, second = codec.encode_sync([plain(), plain()])
    assert first.metadata[META_WRAPPED_KEY] != second.metadata[META_WRAPPED_KEY]
    first.metadata[META_WRAPPED_KEY] = second.metadata[META_WRAPPED_KEY]
    with pytest.raises(IntegrityError):
        codec.decode_sync([first])


def test_a_wrong_key_fails_loudly() -> None:
    (envelope,) = EnvelopeCodec.for_provider(local("k1")).encode_sync([plain()])
    impostor = EnvelopeCodec.for_provider(local("k1"))  # same key id, different key material
    with pytest.raises(WrongKeyError, match="local:k1") as raised:
        impostor.decode_sync([envelope])
    assert_names_problem_without_data(raised.value)


def test_an_unknown_key_id_fails_loudly() -> None:
    (envelope,) = EnvelopeCodec.for_provider(local("k1")).encode_sync([plain()])
    with pytest.raises(UnknownKeyError, match="local:k1") as raised:
        EnvelopeCodec.for_provider(local("k2")).decode_sync([envelope])
    assert_names_problem_without_data(raised.value)


def test_a_key_id_switched_to_another_known_key_fails() -> None:
    provider = LocalKeyProvider({"k1": secrets.token_bytes(32), "k2": secrets.token_bytes(32)}, current="k1")
    (envelope,) = EnvelopeCodec.for_provider(provider).encode_sync([plain()])
    envelope.metadata[META_KEY_ID] = b"local:k2"
    with pytest.raises(WrongKeyError):
        EnvelopeCodec.for_provider(provider).decode_sync([envelope])


@pytest.mark.parametrize("encoding", [b"json/plain", b"binary/null", b"binary/snappy", b""])
def test_plaintext_and_unknown_encodings_are_refused(encoding: bytes) -> None:
    with pytest.raises(UnknownEncodingError) as raised:
        EnvelopeCodec.for_provider(local()).decode_sync([plain(encoding=encoding)])
    assert_names_problem_without_data(raised.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [(META_VERSION, b"2"), (META_CIPHER, b"AES-128-CBC"), (META_KEY_ID, None), (META_WRAPPED_KEY, None)],
)
def test_malformed_envelopes_are_refused(field: str, value: bytes | None) -> None:
    codec = EnvelopeCodec.for_provider(local())
    (envelope,) = codec.encode_sync([plain()])
    if value is None:
        del envelope.metadata[field]
    else:
        envelope.metadata[field] = value
    with pytest.raises(MalformedEnvelopeError):
        codec.decode_sync([envelope])


def test_rotation_keeps_payloads_under_older_keys_readable(tmp_path: Path) -> None:
    keyring = tmp_path / "keyring.json"
    write_keyring(keyring, current="dev-1")
    (before,) = EnvelopeCodec.for_provider(LocalKeyProvider.from_file(keyring)).encode_sync([plain()])
    rotate_keyring(keyring, new_current="dev-2")
    rotated = EnvelopeCodec.for_provider(LocalKeyProvider.from_file(keyring))
    (after,) = rotated.encode_sync([plain()])
    assert before.metadata[META_KEY_ID] == b"local:dev-1"
    assert after.metadata[META_KEY_ID] == b"local:dev-2"
    assert rotated.decode_sync([before, after]) == [plain(), plain()]
    assert oct(keyring.stat().st_mode & 0o777) == "0o600"


def test_a_malformed_keyring_is_reported_without_its_content(tmp_path: Path) -> None:
    keyring = tmp_path / "keyring.json"
    keyring.write_text('{"current": "k", "keys": {"k": "c2VjcmV0LW5vdC1iYXNlNjQ"}}')
    with pytest.raises(ValueError, match="malformed") as raised:
        LocalKeyProvider.from_file(keyring)
    assert "c2VjcmV0" not in str(raised.value)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_data_key_is_reused_up_to_its_use_bound() -> None:
    provider = CountingProvider(local())
    codec = EnvelopeCodec(DataKeyCache(provider, CachePolicy(max_uses=3)))
    for _ in range(10):
        codec.encode_sync([plain()])
    assert provider.generated == 4  # ceil(10 / 3)


def test_a_data_key_is_replaced_when_it_reaches_its_age_bound() -> None:
    provider, clock = CountingProvider(local()), FakeClock()
    codec = EnvelopeCodec(DataKeyCache(provider, CachePolicy(max_age_seconds=60), clock=clock))
    (first,) = codec.encode_sync([plain()])
    clock.now = 59.0
    (second,) = codec.encode_sync([plain()])
    clock.now = 60.0
    (third,) = codec.encode_sync([plain()])
    assert provider.generated == 2
    assert first.metadata[META_WRAPPED_KEY] == second.metadata[META_WRAPPED_KEY] != third.metadata[META_WRAPPED_KEY]


def test_unwrapped_keys_are_cached_by_age_and_count() -> None:
    writer = EnvelopeCodec(DataKeyCache(local(), CachePolicy(max_uses=5)))
    envelopes = [writer.encode_sync([plain()])[0] for _ in range(10)]  # two data keys
    provider, clock = CountingProvider(writer.keys.provider), FakeClock()  # type: ignore[arg-type]
    reader = EnvelopeCodec(DataKeyCache(provider, CachePolicy(max_age_seconds=60, max_unwrapped_keys=1), clock=clock))
    reader.decode_sync(envelopes)
    assert provider.unwrapped == 2
    reader.decode_sync(envelopes[5:])  # still cached
    assert provider.unwrapped == 2
    reader.decode_sync(envelopes[:1])  # evicted by the entry bound
    assert provider.unwrapped == 3
    clock.now = 61.0
    reader.decode_sync(envelopes[:1])  # expired by the age bound
    assert provider.unwrapped == 4


def test_the_encrypting_process_never_unwraps_its_own_data_keys() -> None:
    provider = CountingProvider(local())
    codec = EnvelopeCodec.for_provider(provider)
    codec.decode_sync(codec.encode_sync([plain() for _ in range(50)]))
    assert (provider.generated, provider.unwrapped) == (1, 0)


def test_cache_bounds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        CachePolicy(max_uses=0)


class ThreadRecordingProvider(CountingProvider):
    """Records the thread of every key-service call."""

    def __init__(self, inner: LocalKeyProvider) -> None:
        super().__init__(inner)
        self.threads: list[threading.Thread] = []

    def generate_data_key(self) -> DataKey:
        self.threads.append(threading.current_thread())
        return super().generate_data_key()

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        self.threads.append(threading.current_thread())
        return super().unwrap(key_id, wrapped)


@pytest.fixture
def thread_hops(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the codec's hops to a thread (``asyncio.to_thread`` calls), letting each through."""
    hops: list[int] = []
    real = asyncio.to_thread

    async def counting(func: Callable[..., T], /, *args: object) -> T:
        hops.append(1)
        return await real(func, *args)

    monkeypatch.setattr(asyncio, "to_thread", counting)
    return hops


async def test_key_service_calls_run_on_a_thread_and_cached_keys_inline(thread_hops: list[int]) -> None:
    provider = local()
    writer_keys, reader_keys = ThreadRecordingProvider(provider), ThreadRecordingProvider(provider)
    writer, reader = EnvelopeCodec.for_provider(writer_keys), EnvelopeCodec.for_provider(reader_keys)
    sealed = await writer.encode([plain()])  # cold: GenerateDataKey, on a thread
    assert await reader.decode(sealed) == [plain()]  # cold: Decrypt, on a thread
    assert len(thread_hops) == 2
    assert threading.current_thread() not in writer_keys.threads + reader_keys.threads
    again = await writer.encode([plain(), plain()])  # warm and small: inline, no hop
    assert await reader.decode(again) == [plain(), plain()]
    assert len(thread_hops) == 2 and (writer_keys.generated, reader_keys.unwrapped) == (1, 1)


async def test_large_payloads_leave_the_event_loop_even_with_a_cached_key(thread_hops: list[int]) -> None:
    codec = EnvelopeCodec.for_provider(local())
    codec.encode_sync([plain()])  # warm
    large = plain(secrets.token_bytes(INLINE_MAX_BYTES + 1))
    assert await codec.decode(await codec.encode([large])) == [large]
    assert len(thread_hops) == 2


async def test_a_busy_cache_never_blocks_the_event_loop(thread_hops: list[int]) -> None:
    """While another thread holds the cache (e.g. waiting on KMS), the codec goes to a thread instead of waiting."""
    codec = EnvelopeCodec.for_provider(local())
    codec.encode_sync([plain()])  # warm: inline would be possible
    lock = codec.keys._lock
    lock.acquire()
    threading.Timer(0.2, lock.release).start()  # the other thread's KMS call ends
    assert await codec.decode(await codec.encode([plain()])) == [plain()]
    assert len(thread_hops) >= 1


class TickingClock:
    """A clock that moves one second each time it is read: a data key ages while a batch is being sealed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def distinct(count: int) -> list[Payload]:
    return [plain(f'{{"n": {index}}}'.encode()) for index in range(count)]


@pytest.mark.parametrize("bound", ["use", "age"])
async def test_a_batch_that_starts_inline_and_falls_back_to_a_thread_keeps_every_payload_in_order(
    bound: str, thread_hops: list[int]
) -> None:
    """The cached data key runs out mid-batch (its use or its age bound): the first payloads are sealed inline, the
    rest on a thread under a new key, and the result is every payload, in order."""
    provider = CountingProvider(local())
    # Either way the warm key seals three more payloads: four uses, or clock readings 2, 3 and 4 of a key made at 1.
    policy = CachePolicy(max_uses=4) if bound == "use" else CachePolicy(max_age_seconds=4)
    codec = EnvelopeCodec(DataKeyCache(provider, policy, clock=TickingClock()))
    (warm,) = codec.encode_sync([plain()])
    originals = distinct(6)
    sealed = await codec.encode(originals)
    assert len(thread_hops) == 1 and provider.generated == 2  # one fallback, one new key
    keys = [payload.metadata[META_WRAPPED_KEY] for payload in sealed]
    assert keys == [warm.metadata[META_WRAPPED_KEY]] * 3 + [keys[3]] * 3 and keys[3] != keys[0]
    assert codec.decode_sync(sealed) == originals


async def test_a_batch_of_cached_and_uncached_keys_decodes_every_payload_in_order(thread_hops: list[int]) -> None:
    """The first payloads' data key is cached, a later one's is not: those are opened inline, the rest on a thread,
    and the result is every payload, in order."""
    writer = EnvelopeCodec(DataKeyCache(local(), CachePolicy(max_uses=2)))
    originals = distinct(6)
    sealed = writer.encode_sync(originals)  # three data keys, two payloads each
    provider = CountingProvider(writer.keys.provider)  # type: ignore[arg-type]
    reader = EnvelopeCodec.for_provider(provider)
    reader.decode_sync(sealed[:1])  # the first data key is now cached, the others are not
    assert await reader.decode(sealed) == originals
    assert len(thread_hops) == 1 and provider.unwrapped == 3


async def test_a_call_of_at_most_64_kib_runs_inline_and_one_byte_more_on_a_thread(thread_hops: list[int]) -> None:
    """The inline bound, written out (64 KiB of payload data per call, ``make bench``), at and just past it."""
    codec = EnvelopeCodec.for_provider(local())
    codec.encode_sync([plain()])  # warm
    at_bound = [plain(b"a" * (32 * 1024)), plain(b"b" * (32 * 1024))]
    assert codec.decode_sync(await codec.encode(at_bound)) == at_bound
    assert thread_hops == []
    past = [*at_bound, plain(b"c")]
    assert codec.decode_sync(await codec.encode(past)) == past
    assert len(thread_hops) == 1


def test_for_provider_keeps_the_cache_policy() -> None:
    provider = CountingProvider(local())
    codec = EnvelopeCodec.for_provider(provider, CachePolicy(max_uses=1))
    codec.encode_sync([plain(), plain()])
    assert provider.generated == 2 and codec.keys.provider is provider


def test_is_encrypted_tells_sealed_payloads_from_plain_ones() -> None:
    codec = EnvelopeCodec.for_provider(local())
    assert [is_encrypted(p) for p in [*codec.encode_sync([plain()]), plain()]] == [True, False]
