"""Run the state machine locally: moto's ASL interpreter, the real handlers in process, boto3 against moto.

Development and test tooling only (it imports moto); no handler imports it, and it need not be bundled.
Entry point: :class:`local.stepfunctions.runner.LocalStepFunctions`.
"""
