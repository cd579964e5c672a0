"""What an operator of AWS Lambda durable functions can read, walked channel by channel.

Inputs are boto3 response shapes: ``GetDurableExecutionHistory`` events (with ``IncludeExecutionData``) and the
``GetDurableExecution`` response. Each event carries its data in ``<Type>Details``: ``Input``/``Result`` as
``{"Payload": <text>, "Truncated": bool}`` and ``Error`` as ``{"Payload": {"ErrorType", "ErrorMessage", ...}}``.
A payload that is a checkpoint envelope (``{"envelope": 1, "metadata": ..., "data": ...}``, see
``durable_functions.serdes``) is counted as ciphertext and not scanned further; anything else is scanned as text
(the scanner unwraps JSON).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from comparison.audit.exposure import Collector, DurableChannel

_EXECUTION_EVENTS = ("Execution",)  # ExecutionStarted/Succeeded/Failed/...: the execution's own input and result
_ENVELOPE_FIELDS = frozenset({"envelope", "metadata", "data"})
_SKIPPED_FIELDS = frozenset({"ResponseMetadata"})


def is_envelope(text: str) -> bool:
    """Whether a stored payload is a sealed checkpoint envelope (its shape only; nothing is decrypted)."""
    try:
        value = json.loads(text)
    except ValueError:
        return False
    return isinstance(value, Mapping) and set(value) == _ENVELOPE_FIELDS


class DurableWalker:
    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    def history(self, events: Sequence[Mapping[str, Any]]) -> None:
        for event in events:
            event_id = None if event.get("EventId") is None else str(event["EventId"])
            execution = str(event.get("EventType", "")).startswith(_EXECUTION_EVENTS)
            for key, value in event.items():
                if key.endswith("Details") and isinstance(value, Mapping):
                    self._details(value, [key], execution=execution, event_id=event_id)
                else:
                    self._walk(DurableChannel.IDENTIFIERS, value, [key], "history", event_id)

    def describe_execution(self, response: Mapping[str, Any]) -> None:
        for key, value in response.items():
            if key in _SKIPPED_FIELDS:
                continue
            if key in ("InputPayload", "Result"):
                self._payload(DurableChannel.EXECUTION_INPUT_OUTPUT, value, [key], "describe_execution", None)
            elif key == "Error":
                self._walk(DurableChannel.ERRORS, value, [key], "describe_execution", None)
            else:
                self._walk(DurableChannel.IDENTIFIERS, value, [key], "describe_execution", None)

    def plain(self, channel: DurableChannel, node: Any, *, source: str) -> None:
        self._walk(channel, node, [], source, None)

    def _details(self, details: Mapping[str, Any], path: list[str | int], *, execution: bool,
                 event_id: str | None) -> None:
        data_channel = DurableChannel.EXECUTION_INPUT_OUTPUT if execution else DurableChannel.OPERATION_DATA
        for key, value in details.items():
            where = [*path, key]
            if key in ("Input", "Result") and isinstance(value, Mapping):
                self._payload(data_channel, value.get("Payload"), [*where, "Payload"], "history", event_id)
                rest = {k: v for k, v in value.items() if k != "Payload"}
                self._walk(DurableChannel.IDENTIFIERS, rest, where, "history", event_id)
            elif key == "Error":
                self._walk(DurableChannel.ERRORS, value, where, "history", event_id)
            else:
                self._walk(DurableChannel.IDENTIFIERS, value, where, "history", event_id)

    def _payload(self, channel: DurableChannel, payload: Any, path: list[str | int], source: str,
                 event_id: str | None) -> None:
        if isinstance(payload, str) and is_envelope(payload):
            self.collector.ciphertext(channel)
            return
        self._walk(channel, payload, path, source, event_id)

    def _walk(self, channel: DurableChannel, node: Any, path: list[str | int], source: str,
              event_id: str | None) -> None:
        self.collector.walk(channel, node, source=source, event_id=event_id, path=path)
