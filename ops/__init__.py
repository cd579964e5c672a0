"""Operator commands, run on an operator's machine, never deployed: ``starter`` (start and review Temporal
onboardings), ``reviewer`` (answer Step Functions reviews) and ``codec_server`` (decrypt payloads for the Temporal UI
and CLI)."""
