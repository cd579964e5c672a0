"""The one Powertools Logger and Tracer every handler shares.

The service name comes from ``POWERTOOLS_SERVICE_NAME`` (infra sets ``<process>-<function>``). Events are never
logged (``log_event=False`` at every entry point) and the tracer never records responses or exception messages, so
neither a log line nor a trace segment can carry a submitted value.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer

logger = Logger()
tracer = Tracer()
