"""The exposure audit: what each orchestrator stores (``collect``, ``evidence``), searched for the run's PII values
(``pii``, ``textscan``) per engine (``temporal``, ``stepfunctions``) into an ``exposure.ExposureAudit``."""
