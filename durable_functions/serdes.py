"""How step results, callback results and the execution input are written into checkpoints.

The durable-execution SDK checkpoints every step result and callback result through a serializer (``SerDes``) the
function chooses per operation. :class:`EnvelopeSerDes` seals each value in the KMS envelope of :mod:`envelope`
(the format the Temporal codec uses), under the ``durable-checkpoint/v1`` domain, with the operation id and the
durable execution ARN bound as associated data: a checkpoint cannot be replayed into another step or another
execution. :class:`PlainSerDes` writes the same JSON in clear; it exists only for the baseline profile, so the
exposure audit can prove it sees plaintext.

What no serializer touches: the execution input (the SDK reads it with ``json.loads``), the result the handler returns
(``json.dumps``) and error objects. The client seals the submission itself (:func:`seal_input`), the result holds ids
and codes only, and errors carry reason codes only (``durable_functions.orchestration``).

Values are JSON-shaped: pydantic models are dumped (``mode="json"``) and read back with the model given to the
serializer, anything else must be JSON-compatible. Serialized form: ``{"envelope": 1, "metadata": {name: base64},
"data": base64}`` (hardened) or the JSON itself (baseline).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, TypeVar

from aws_durable_execution_sdk_python.serdes import SerDes, SerDesContext
from pydantic import BaseModel, TypeAdapter, ValidationError

from envelope.errors import MalformedEnvelopeError
from envelope.key_cache import DataKeyCache
from envelope.seal import open_envelope, parse, seal

CHECKPOINT_DOMAIN = b"durable-checkpoint/v1"
INPUT_DOMAIN = b"durable-input/v1"
FORMAT_VERSION = 1
T = TypeVar("T")


def _decode(adapter: TypeAdapter[T], data: bytes) -> T:
    """The value of a checkpoint; a mismatch is reported by the expected type's name, never by the value (the SDK
    checkpoints a serializer's error message)."""
    try:
        return adapter.validate_json(data)
    except ValidationError:
        raise ValueError(f"checkpoint does not hold a {adapter}") from None


def _encode(value: Any) -> bytes:
    if isinstance(value, BaseModel):
        return value.model_dump_json().encode()
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


class EnvelopeSerDes(SerDes[T]):
    """Seals every checkpointed value; ``model`` (a pydantic model or any type pydantic validates) is what
    deserializing returns. The bound context is the operation id and the execution ARN of each checkpoint, or, when
    ``fixed_context`` is given, that instead (for callback results: their sender knows the business id, not the
    operation id or the execution ARN)."""

    def __init__(self, keys: DataKeyCache, model: Any = Any, *,
                 fixed_context: Mapping[str, bytes] | None = None) -> None:
        self._adapter: TypeAdapter[T] = TypeAdapter(model)
        self._keys = keys
        self._fixed = dict(fixed_context) if fixed_context is not None else None

    def serialize(self, value: T, serdes_context: SerDesContext) -> str:
        metadata, data = seal(_encode(value), self._keys.key_for_encryption(), domain=CHECKPOINT_DOMAIN,
                              context=self._context(serdes_context))
        return sealed_text(metadata, data)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> T:
        envelope = parse(*unsealed_parts(data))
        plaintext = open_envelope(envelope, self._keys.unwrap(envelope.key_id, envelope.wrapped),
                                  domain=CHECKPOINT_DOMAIN, context=self._context(serdes_context))
        return _decode(self._adapter, plaintext)

    def _context(self, serdes_context: SerDesContext) -> dict[str, bytes]:
        if self._fixed is not None:
            return self._fixed
        return {"execution": serdes_context.durable_execution_arn.encode(),
                "operation": serdes_context.operation_id.encode()}


class PlainSerDes(SerDes[T]):
    """JSON in clear: the baseline profile only (it exists to prove the exposure audit sees plaintext)."""

    def __init__(self, model: Any = Any) -> None:
        self._adapter: TypeAdapter[T] = TypeAdapter(model)

    def serialize(self, value: T, serdes_context: SerDesContext) -> str:
        return _encode(value).decode()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> T:
        return _decode(self._adapter, data.encode())


def sealed_text(metadata: Mapping[str, bytes], data: bytes) -> str:
    """The checkpoint text of an envelope."""
    return json.dumps({"envelope": FORMAT_VERSION,
                       "metadata": {name: base64.b64encode(value).decode() for name, value in sorted(metadata.items())},
                       "data": base64.b64encode(data).decode()}, separators=(",", ":"))


def unsealed_parts(text: str) -> tuple[dict[str, bytes], bytes]:
    """``(metadata, data)`` of a checkpoint text; anything else is refused as a malformed envelope (never echoed)."""
    try:
        document = json.loads(text)
        if not isinstance(document, dict) or document.get("envelope") != FORMAT_VERSION:
            raise ValueError
        metadata = {str(name): base64.b64decode(value, validate=True) for name, value in document["metadata"].items()}
        return metadata, base64.b64decode(document["data"], validate=True)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise MalformedEnvelopeError("checkpoint is not a sealed envelope (format 1); refusing to read it") from None


def seal_input(value: Any, keys: DataKeyCache, *, execution_name: str) -> str:
    """The sealed execution input a client sends: bound to the execution's name (the business id)."""
    metadata, data = seal(_encode(value), keys.key_for_encryption(), domain=INPUT_DOMAIN,
                          context={"execution_name": execution_name.encode()})
    return sealed_text(metadata, data)


def open_input(text: str, keys: DataKeyCache, *, execution_name: str) -> Any:
    """The client's value from :func:`seal_input`, opened only under the same execution name."""
    envelope = parse(*unsealed_parts(text))
    plaintext = open_envelope(envelope, keys.unwrap(envelope.key_id, envelope.wrapped), domain=INPUT_DOMAIN,
                              context={"execution_name": execution_name.encode()})
    return json.loads(plaintext)


def callback_context(execution_name: str) -> dict[str, bytes]:
    """The context a callback result is bound to: the execution's name (its business id)."""
    return {"callback_for": execution_name.encode()}


def seal_callback_result(value: Any, keys: DataKeyCache, *, execution_name: str) -> str:
    """A callback result as its sender seals it (for an :class:`EnvelopeSerDes` with the same fixed context)."""
    metadata, data = seal(_encode(value), keys.key_for_encryption(), domain=CHECKPOINT_DOMAIN,
                          context=callback_context(execution_name))
    return sealed_text(metadata, data)
