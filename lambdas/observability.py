"""The one Powertools Logger and Tracer every handler shares.

Events are never logged (``log_event=False`` at every entry point) and the tracer never records responses
or exception messages, so neither a log line nor a trace segment can carry a submitted value.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer

SERVICE = "onboarding"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
