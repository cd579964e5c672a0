"""The one Powertools Logger and Tracer every handler shares, with the workers' allow-list exception formatting.

The service name comes from ``POWERTOOLS_SERVICE_NAME`` (infra sets ``<process>-<function>``). Events are never
logged (``log_event=False`` at every entry point) and the tracer never records responses or exception messages, so
neither a log line nor a trace segment can carry a submitted value.

Exceptions in log lines: the type and the stack frames (file, line, code), and the message only for types known to
build their messages from codes (the task errors, and those the process declares safe, see
``allow_exception_messages``). Any other message (a third-party client may echo its input) is withheld, as are
exception notes and Powertools' serialized stack trace, which would repeat it. The worker's logs follow the same rule
(``workers.logs``).
"""

from __future__ import annotations

import traceback
from types import TracebackType
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from lambdas.errors import TaskError

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class AllowListFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON lines, with exception text only from allow-listed types."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.safe_message_types: tuple[type[BaseException], ...] = (TaskError,)

    def formatException(self, ei: ExcInfo) -> str:  # noqa: N802 - logging.Formatter's name
        error = ei[1]
        if error is None:
            return ""
        name = f"{type(error).__module__}.{type(error).__qualname__}"
        frames = "".join(traceback.format_tb(error.__traceback__))
        head = f"{name}: {error}" if isinstance(error, self.safe_message_types) else f"{name} (message withheld)"
        return f"Traceback (most recent call last):\n{frames}{head}"

    def _extract_log_exception(self, log_record: Any) -> Any:
        formatted, name, _notes = super()._extract_log_exception(log_record)
        return formatted, name, None  # notes are free text added to the exception: withheld


formatter = AllowListFormatter(serialize_stacktrace=False)
logger = Logger(logger_formatter=formatter)
tracer = Tracer()


def allow_exception_messages(types: tuple[type[BaseException], ...]) -> None:
    """Add a process's code-only exception types (its ``safe_message_errors``) to the allow-list."""
    formatter.safe_message_types = tuple(dict.fromkeys((*formatter.safe_message_types, *types)))
