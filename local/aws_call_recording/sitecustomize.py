"""Loaded by Python at start-up when this folder is first on ``PYTHONPATH`` (``local.aws_calls.recording_environment``):
records the process's AWS calls to ``AWS_CALL_LOG``. Local tooling only; nothing that deploys puts it on a path."""

from local.aws_calls import install_from_environment

install_from_environment()
