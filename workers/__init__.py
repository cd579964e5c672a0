"""The Temporal worker image: the onboarding workflow and its worker, with every payload encrypted.

Module map (read in this order):

- ``messages``     what crosses the Temporal boundary: workflow input, activity inputs, names, query values
- ``workflows``    the onboarding workflow (deterministic orchestration: retries, review update, saga)
- ``activities``   one activity per business step, calling :mod:`onboarding.steps` with injected adapters
- ``registration`` what this worker registers for the process, checked against its description
- ``worker``       the generic worker process (activity check, health file, graceful SIGTERM); ``__main__`` is
  ``python -m workers``, the container's entrypoint
- ``codec``        the payload codec: each payload sealed in the KMS envelope of :mod:`envelope` (key providers,
  data-key cache, format and errors live there, shared with the other engines)
- ``converter``    data converters for the hardened and baseline profiles, and the header policy
- ``settings``     configuration from environment variables; ``client`` connects (credentials, TLS, codec)
- ``health``       ``python -m workers.health``, the container health check; ``logs`` JSON logging without PII
- ``exit``         ends a process that used the SDK without interpreter finalization (its threads can abort it)

Only ``messages``, ``workflows``, ``activities``, ``registration`` and ``__main__`` name the onboarding process.
The operator's commands (starter, codec server) are in ``ops``.
"""
