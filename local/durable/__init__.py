"""Lambda durable functions on this machine: AWS's own durable-execution emulator (``dex-local-runner`` from PyPI
``aws-durable-execution-sdk-python-testing``) and a Lambda Invoke endpoint that runs the real handler as the Lambda
Python runtime would (``lambda_endpoint``), started together by ``runner.LocalDurableFunctions``."""
