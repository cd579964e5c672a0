"""What a Step Functions operator can read, walked channel by channel.

Inputs are boto3 response shapes: ``GetExecutionHistory`` events, the ``DescribeExecution`` response and
the state machine log group's events (``FilterLogEvents``/``GetLogEvents``). Inputs and outputs in
Step Functions are JSON strings; the text scanner unwraps them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from comparison.audit.exposure import Collector, StepFunctionsChannel

_IO_FIELDS = frozenset({"input", "output", "parameters"})
_ERROR_FIELDS = frozenset({"error", "cause"})
# Transport metadata of the API call, not data the service stores.
_SKIPPED_FIELDS = frozenset({"responsemetadata"})


def _norm(key: str) -> str:
    return key.replace("_", "").lower()


class StepFunctionsWalker:
    def __init__(self, collector: Collector) -> None:
        self.collector = collector

    def history(self, events: Sequence[Mapping[str, Any]]) -> None:
        for event in events:
            event_id = None if event.get("id") is None else str(event["id"])
            for key, value in event.items():
                if key.endswith("EventDetails") and isinstance(value, Mapping):
                    io_channel = (
                        StepFunctionsChannel.EXECUTION_INPUT_OUTPUT
                        if key.startswith("execution")
                        else StepFunctionsChannel.STATE_IO
                    )
                    self._fields(value, [key], io_channel, source="history", event_id=event_id)
                else:
                    self._walk(StepFunctionsChannel.IDENTIFIERS, value, [key], "history", event_id)

    def describe_execution(self, response: Mapping[str, Any]) -> None:
        self._fields(
            response, [], StepFunctionsChannel.EXECUTION_INPUT_OUTPUT, source="describe_execution", event_id=None
        )

    def logs(self, log_events: Sequence[Mapping[str, Any]]) -> None:
        for index, log_event in enumerate(log_events):
            raw_id = log_event.get("eventId")
            event_id = str(raw_id) if raw_id is not None else f"#{index}"
            self._walk(StepFunctionsChannel.LOGS, log_event, [], "logs", event_id)

    def plain(self, channel: StepFunctionsChannel, node: Any, *, source: str) -> None:
        self._walk(channel, node, [], source, None)

    def _fields(
        self,
        details: Mapping[str, Any],
        path: list[str | int],
        io_channel: StepFunctionsChannel,
        *,
        source: str,
        event_id: str | None,
    ) -> None:
        for key, value in details.items():
            name = _norm(str(key))
            if name in _SKIPPED_FIELDS:
                continue
            if name in _IO_FIELDS:
                channel = io_channel
            elif name in _ERROR_FIELDS:
                channel = StepFunctionsChannel.ERRORS_CAUSES
            else:
                channel = StepFunctionsChannel.IDENTIFIERS
            self._walk(channel, value, [*path, str(key)], source, event_id)

    def _walk(
        self, channel: StepFunctionsChannel, node: Any, path: list[str | int], source: str, event_id: str | None
    ) -> None:
        self.collector.walk(channel, node, source=source, event_id=event_id, path=path,
                            skip=lambda key: _norm(key) in _SKIPPED_FIELDS)
