"""Temporal side of the blueprint: the onboarding workflow and its worker, with every payload encrypted.

Module map (read in this order):

- ``contracts``   what crosses the Temporal boundary: workflow input, activity inputs, names, steps
- ``workflows``   the onboarding workflow (deterministic orchestration: retries, review update, saga)
- ``activities``  one activity per business step, calling :mod:`onboarding.steps` with injected adapters
- ``keys``        key providers: KMS (``GenerateDataKey``/``Decrypt``) and a local keyring for development
- ``key_cache``   data-key cache bounded by age and use count (KMS calls do not grow with payloads)
- ``codec``       the AES-256-GCM envelope payload codec; ``errors`` holds its exceptions
- ``converter``   data converters for the hardened and baseline profiles, and the header policy
- ``settings``    configuration from environment variables; ``client`` connects (credentials, TLS, codec)
- ``worker``      the worker process (health file, graceful SIGTERM); ``__main__`` is ``python -m workers``
- ``health``      ``python -m workers.health``, the container health check; ``logs`` JSON logging without PII
- ``starter``     operator CLI: start an onboarding from a JSON file, send a review decision
- ``exit``        ends a process that used the SDK without interpreter finalization (its threads can abort it)
- ``codec_server`` decrypts payloads for the Temporal UI on the operator's machine (localhost, CORS-locked)
"""
