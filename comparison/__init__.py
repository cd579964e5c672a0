"""The side-by-side comparison: runner, exposure audit, cost model and reports.

Module map:

- entry points: ``demo`` (``make demo``, everything local) and ``deployed_audit`` (``make audit``, a deployment;
  configured by ``deployed_config``);
- the local stack: ``local_stack`` (moto server, Temporal dev server, workers) on ``processes`` (children that
  never outlive the demo); ``local_engines`` runs both engines on it;
- driving an engine: ``runs`` (plans with fresh ids, results), ``temporal_driver``, ``stepfunctions_driver``;
- evidence and audit: ``collect``, ``audit`` (``audit_temporal``, ``audit_stepfunctions``), ``exposure``, ``pii``,
  ``textscan``;
- cost: ``usage`` (counts from histories), ``cost``, ``costmodel``, ``prices`` (``prices.json``);
- parity and reports: ``models``, ``parity``, ``assemble`` (runs -> report), ``report`` and its renderers,
  ``compliance`` (``reports/compliance.json``).
"""
