"""Exposure audit results and the collector that builds them.

A *hit* is one searched value found in one stored string (one field of one event, one log event, one
identifier). Hits record where (source, event id, field path) and how (transform), never what: the
value is referred to by its index and label only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from comparison.audit.pii import PiiMatcher, PiiValue, Transform
from comparison.audit.textscan import scan_text
from comparison.models import Engine


class TemporalChannel(StrEnum):
    WORKFLOW_INPUT = "workflow_input"  # workflow (and child workflow) input and result
    ACTIVITY_IO = "activity_io"  # activity inputs and results, local activity markers
    FAILURES = "failures"  # failure messages, stack traces, encoded attributes, failure details
    SIGNALS_UPDATES = "signals_updates"  # signal inputs, update arguments and results
    SEARCH_ATTRIBUTES_MEMO_HEADERS = "search_attributes_memo_headers"  # plus user metadata
    IDENTIFIERS = "identifiers"  # workflow id and every other non-payload string


class StepFunctionsChannel(StrEnum):
    EXECUTION_INPUT_OUTPUT = "execution_input_output"
    STATE_IO = "state_io"  # state input/output, task parameters and results
    ERRORS_CAUSES = "errors_causes"
    LOGS = "logs"  # the state machine's CloudWatch log events
    IDENTIFIERS = "identifiers"  # execution name, ARNs, state names, tags, every other string


class DurableChannel(StrEnum):
    EXECUTION_INPUT_OUTPUT = "execution_input_output"  # the execution's input and result
    OPERATION_DATA = "operation_data"  # checkpointed step, context and callback results
    ERRORS = "errors"  # error types, messages and data of steps, contexts and the execution
    IDENTIFIERS = "identifiers"  # execution name, ARNs, operation names and ids, every other string


Channel = TemporalChannel | StepFunctionsChannel | DurableChannel

CHANNELS: dict[Engine, tuple[Channel, ...]] = {
    Engine.TEMPORAL: tuple(TemporalChannel),
    Engine.STEPFUNCTIONS: tuple(StepFunctionsChannel),
    Engine.DURABLE: tuple(DurableChannel),
}

_SAFE_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class Hit(BaseModel):
    model_config = ConfigDict(frozen=True)

    value_index: int
    label: str  # scenario.field.path of the value, never the value
    execution_index: int
    execution_label: str
    source: str  # history, describe_execution, logs, workflow_id, search_attributes, memo, headers, tags, ...
    event_id: str | None
    location: str  # field path inside the event; map keys that are not plain names are shown as *
    transform: str


class ChannelExposure(BaseModel):
    plaintext_hits: int = 0
    values_exposed: int = 0  # distinct searched values found in this channel
    strings_scanned: int = 0
    ciphertext_payloads: int = 0  # payloads skipped because only ciphertext is stored
    hits: list[Hit] = Field(default_factory=list)
    hits_omitted: int = 0  # hits counted but not listed (reports list the first few per channel)


class ExposureAudit(BaseModel):
    engine: Engine
    executions: int
    values_searched: int
    channels: dict[str, ChannelExposure]
    total_hits: int

    def channel(self, channel: Channel) -> ChannelExposure:
        return self.channels[channel.value]

    def trimmed(self, limit: int) -> ExposureAudit:
        """The same counts, listing at most ``limit`` hits per channel."""
        channels = {
            name: item.model_copy(update={"hits": item.hits[:limit],
                                          "hits_omitted": item.hits_omitted + max(0, len(item.hits) - limit)})
            for name, item in self.channels.items()
        }
        return self.model_copy(update={"channels": channels})


class Collector:
    """Scans strings into per-channel hits for one engine's audit."""

    def __init__(self, engine: Engine, values: Sequence[PiiValue]) -> None:
        self.engine = engine
        self.matcher = PiiMatcher(values)
        self._channels: dict[str, ChannelExposure] = {c.value: ChannelExposure() for c in CHANNELS[engine]}
        self._seen: set[tuple[object, ...]] = set()
        self._executions = 0
        self.execution_index = -1
        self.execution_label = ""

    def start_execution(self, label: str) -> None:
        """Begin the next execution; its label must not itself contain a searched value."""
        self.execution_index = self._executions
        self._executions += 1
        if self.matcher.find(label):
            raise ValueError(f"evidence[{self.execution_index}].label: contains a searched PII value")
        self.execution_label = label

    def scan(
        self, channel: Channel, text: str, *, source: str, event_id: str | None, path: Iterable[str | int]
    ) -> None:
        exposure = self._channels[channel.value]
        exposure.strings_scanned += 1
        found = scan_text(text, self.matcher)
        if not found:
            return
        location = safe_location(path, self.matcher)
        for index, transform in sorted(found.items()):
            key = (index, self.execution_index, source, event_id, location)
            if key in self._seen:
                continue
            self._seen.add(key)
            exposure.hits.append(self._hit(index, transform, source, event_id, location))

    def walk(
        self,
        channel: Channel,
        node: Any,
        *,
        source: str,
        event_id: str | None,
        path: Sequence[str | int] = (),
        skip: Callable[[str], bool] = lambda key: False,
    ) -> None:
        """Scan everything a response holds under ``node`` into ``channel``: every mapping key and string value,
        bytes as UTF-8, any other non-numeric scalar (a timestamp, an enum) as its text. Keys for which ``skip`` is
        true are passed over with what they hold (transport metadata, not stored data)."""
        if isinstance(node, Mapping):
            for key, child in node.items():
                if skip(str(key)):
                    continue
                self.scan(channel, str(key), source=source, event_id=event_id, path=path)
                self.walk(channel, child, source=source, event_id=event_id, path=[*path, str(key)], skip=skip)
        elif isinstance(node, list | tuple):
            for index, child in enumerate(node):
                self.walk(channel, child, source=source, event_id=event_id, path=[*path, index], skip=skip)
        elif isinstance(node, bytes):
            self.scan(channel, node.decode("utf-8", "replace"), source=source, event_id=event_id, path=path)
        elif node is not None and not isinstance(node, bool | int | float):
            self.scan(channel, node if isinstance(node, str) else str(node), source=source, event_id=event_id,
                      path=path)

    def ciphertext(self, channel: Channel) -> None:
        self._channels[channel.value].ciphertext_payloads += 1

    def result(self) -> ExposureAudit:
        for exposure in self._channels.values():
            exposure.plaintext_hits = len(exposure.hits)
            exposure.values_exposed = len({hit.value_index for hit in exposure.hits})
        return ExposureAudit(
            engine=self.engine,
            executions=self._executions,
            values_searched=len(self.matcher.values),
            channels=self._channels,
            total_hits=sum(exposure.plaintext_hits for exposure in self._channels.values()),
        )

    def _hit(self, index: int, transform: Transform, source: str, event_id: str | None, location: str) -> Hit:
        return Hit(
            value_index=index,
            label=self.matcher.values[index].label,
            execution_index=self.execution_index,
            execution_label=self.execution_label,
            source=source,
            event_id=event_id,
            location=location,
            transform=transform.label,
        )


def channel_names(audits: Iterable[ExposureAudit]) -> list[str]:
    """The channels of one engine's audits (e.g. one per profile), in audit order, each once."""
    names: list[str] = []
    for audit in audits:
        names += [name for name in audit.channels if name not in names]
    return names


def safe_location(path: Iterable[str | int], matcher: PiiMatcher | None = None) -> str:
    """A field path safe to publish: plain field names stay, any other map key (or a searched value) is ``*``."""
    parts: list[str] = []
    for segment in path:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
            continue
        safe = _SAFE_SEGMENT.match(segment) is not None and not (matcher is not None and matcher.find(segment))
        parts.append(("." if parts else "") + (segment if safe else "*"))
    return "".join(parts)
