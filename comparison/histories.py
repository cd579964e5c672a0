"""Reading Temporal history events as data: shared by the exposure audit and the cost model.

Events are JSON (``google.protobuf.json_format.MessageToDict`` of ``GetWorkflowExecutionHistory`` events), in
camelCase or snake_case field names; these helpers read both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def normalise(key: str) -> str:
    """``lastFailure`` and ``last_failure`` -> ``lastfailure``."""
    return key.replace("_", "").lower()


def event_kind(event: Mapping[str, Any]) -> str:
    """The event's kind, normalised, e.g. ``activitytaskscheduled``: from its attributes field, or from
    ``eventType`` when the attributes are empty (proto JSON omits empty messages)."""
    for key in event:
        name = normalise(key)
        if name.endswith("eventattributes"):
            return name.removesuffix("eventattributes")
    event_type = event.get("eventType", event.get("event_type"))
    return normalise(event_type.removeprefix("EVENT_TYPE_")) if isinstance(event_type, str) else ""


def event_id(event: Mapping[str, Any]) -> str | None:
    value = event.get("eventId", event.get("event_id"))
    return None if value is None else str(value)
