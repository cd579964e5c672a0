"""What a Temporal operator can read, walked channel by channel.

Input is history as JSON (``MessageToDict`` of ``GetWorkflowExecutionHistory`` events, fetched without
a codec), so payload ``data`` and metadata values are base64. A payload is decoded the way an operator
would: ``json/plain`` is parsed, other encodings are read as text, and a payload whose encoding is a
ciphertext encoding is counted as ciphertext and never searched (its metadata, which the service
stores in clear, still is). Works for both camelCase and snake_case field names.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from comparison.audit.exposure import Collector, TemporalChannel
from comparison.histories import event_id, event_kind, normalise

CIPHERTEXT_ENCODINGS: frozenset[str] = frozenset({"binary/encrypted"})
_NO_DATA_ENCODINGS = frozenset({"binary/null"})
_PAYLOAD_KEYS = frozenset({"metadata", "data", "externalpayloads"})

# Fields whose whole subtree belongs to one channel, whatever event they sit in (outermost wins).
_FIELD_CHANNELS: dict[str, TemporalChannel] = {
    "failure": TemporalChannel.FAILURES,
    "lastfailure": TemporalChannel.FAILURES,
    "continuedfailure": TemporalChannel.FAILURES,
    "searchattributes": TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS,
    "memo": TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS,
    "upsertedmemo": TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS,
    "header": TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS,
    "usermetadata": TemporalChannel.SEARCH_ATTRIBUTES_MEMO_HEADERS,
}

# Payloads elsewhere in an event belong to the channel of the event's kind (first matching prefix).
_EVENT_PAYLOAD_CHANNELS: tuple[tuple[str, TemporalChannel], ...] = (
    ("workflowexecutionsignaled", TemporalChannel.SIGNALS_UPDATES),
    ("signalexternalworkflowexecution", TemporalChannel.SIGNALS_UPDATES),
    ("workflowexecutionupdate", TemporalChannel.SIGNALS_UPDATES),
    ("activitytask", TemporalChannel.ACTIVITY_IO),
    ("markerrecorded", TemporalChannel.ACTIVITY_IO),
    ("nexusoperation", TemporalChannel.ACTIVITY_IO),
)


class TemporalWalker:
    def __init__(self, collector: Collector, ciphertext_encodings: frozenset[str] = CIPHERTEXT_ENCODINGS) -> None:
        self.collector = collector
        self.ciphertext_encodings = ciphertext_encodings

    def history(self, events: Sequence[Mapping[str, Any]]) -> None:
        for event in events:
            payload_channel = _payload_channel(event_kind(event))
            self._walk(event, [], payload_channel, None, source="history", event=event_id(event))

    def plain(self, channel: TemporalChannel, node: Any, *, source: str) -> None:
        """Data read outside history (workflow id, described search attributes, memo, headers)."""
        self._walk(node, [], channel, channel, source=source, event=None)

    def _walk(
        self,
        node: Any,
        path: list[str | int],
        payload_channel: TemporalChannel,
        forced: TemporalChannel | None,
        *,
        source: str,
        event: str | None,
    ) -> None:
        if isinstance(node, Mapping):
            if _is_payload(node):
                self._payload(node, path, forced or payload_channel, source=source, event=event)
                return
            for key, child in node.items():
                key_text = str(key)
                child_forced = forced or _FIELD_CHANNELS.get(normalise(key_text))
                self._scan(child_forced or TemporalChannel.IDENTIFIERS, key_text, path, source, event)
                self._walk(child, [*path, key_text], payload_channel, child_forced, source=source, event=event)
        elif isinstance(node, list | tuple):
            for index, child in enumerate(node):
                self._walk(child, [*path, index], payload_channel, forced, source=source, event=event)
        elif isinstance(node, str):
            self._scan(forced or TemporalChannel.IDENTIFIERS, node, path, source, event)
        elif isinstance(node, bytes):
            self._scan(forced or TemporalChannel.IDENTIFIERS, node.decode("utf-8", "replace"), path, source, event)

    def _payload(
        self, payload: Mapping[str, Any], path: list[str | int], channel: TemporalChannel, *, source: str,
        event: str | None,
    ) -> None:
        metadata = {str(k): _bytes(v).decode("utf-8", "replace") for k, v in (payload.get("metadata") or {}).items()}
        encoding = metadata.get("encoding", "")
        for key, value in metadata.items():
            if key != "encoding":  # the service stores metadata in clear, so the operator reads it
                self._scan(channel, key, [*path, "metadata"], source, event)
                self._scan(channel, value, [*path, "metadata", key], source, event)
        if encoding in self.ciphertext_encodings:
            self.collector.ciphertext(channel)
            return
        if encoding in _NO_DATA_ENCODINGS:
            return
        data = _bytes(payload.get("data", ""))
        self._scan(channel, data.decode("utf-8", "replace"), [*path, "data"], source, event)

    def _scan(self, channel: TemporalChannel, text: str, path: list[str | int], source: str, event: str | None) -> None:
        self.collector.scan(channel, text, source=source, event_id=event, path=path)


def _payload_channel(kind: str) -> TemporalChannel:
    for prefix, channel in _EVENT_PAYLOAD_CHANNELS:
        if kind.startswith(prefix):
            return channel
    return TemporalChannel.WORKFLOW_INPUT


def _is_payload(node: Mapping[str, Any]) -> bool:
    return (
        isinstance(node.get("metadata"), Mapping)
        and bool(node)
        and all(isinstance(k, str) and normalise(k) in _PAYLOAD_KEYS for k in node)
    )


def _bytes(value: Any) -> bytes:
    """Proto JSON carries bytes as base64 text; tolerate raw bytes too."""
    if isinstance(value, bytes):
        return value
    text = str(value)
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        try:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return text.encode()
