"""One-line JSON logs without PII.

What a record may carry: the message (this code never logs payload values; the SDK logs ids, types and attempt
numbers, which hold no PII because the workflow id is the opaque application id), the SDK's workflow/activity
context, and for exceptions the type and stack frames. An exception's *message* is kept only for exception types
known to build messages from codes (the codec's, and those the process declares safe); any other message (a
third-party client may echo its input) is dropped.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

from envelope.errors import CodecError

# Exception types whose messages are built from codes and ids only (a process adds its own, see configure).
SAFE_MESSAGE_TYPES: tuple[type[BaseException], ...] = (CodecError,)
# Context the temporalio SDK attaches to workflow and activity log records (ids, types, attempts).
_SDK_CONTEXT = ("temporal_workflow", "temporal_activity")


class JsonFormatter(logging.Formatter):
    def __init__(self, safe_message_types: tuple[type[BaseException], ...] = SAFE_MESSAGE_TYPES) -> None:
        super().__init__()
        self.safe_message_types = safe_message_types

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _SDK_CONTEXT:
            if isinstance(value := getattr(record, key, None), dict):
                entry[key] = value
        if isinstance(event := getattr(record, "event", None), dict):
            entry["event"] = event
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = describe_exception(record.exc_info[1], self.safe_message_types)
        return json.dumps(entry, default=str, separators=(",", ":"))


def describe_exception(
    error: BaseException, safe_message_types: tuple[type[BaseException], ...] = SAFE_MESSAGE_TYPES
) -> dict[str, Any]:
    described: dict[str, Any] = {
        "type": f"{type(error).__module__}.{type(error).__qualname__}",
        "frames": traceback.format_tb(error.__traceback__),
    }
    if isinstance(error, safe_message_types):
        described["message"] = str(error)
    cause = error.__cause__ or error.__context__
    if cause is not None and cause is not error:
        described["cause"] = {"type": f"{type(cause).__module__}.{type(cause).__qualname__}"}
    return described


def configure(level: str = "INFO", *, safe_message_types: tuple[type[BaseException], ...] = ()) -> None:
    """JSON lines on stdout; ``safe_message_types`` adds the process's code-only exception types."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter((*SAFE_MESSAGE_TYPES, *safe_message_types)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # boto's debug logs include request bodies; never let them through, whatever the level.
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
