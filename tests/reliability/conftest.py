"""The Temporal reliability tests use the shared dev-server fixtures of ``tests/conftest.py``: one dev server for the
session, one moto server per test module, a stack per module (``temporal_stack``) and fresh DynamoDB tables per test
(``temporal``). Each test takes its own task queue and worker process, so it can count every side effect it caused.
A test that restarts the server starts its own.
"""
