"""The side-by-side comparison: engine runs, exposure audit, cost model, parity and reports.

Two halves, imported one way:

- the platform, which knows no business process and any number of engines: ``models`` (engines, facts, cases,
  runs), ``parity``, ``audit`` (evidence, the exposure audit per engine, PII matching), ``cost`` (usage counted
  from histories, the priced cost model, ``prices.json``), ``report`` (the report model and its JSON, Markdown,
  terminal, HTML and SVG renderings, ``assemble`` from engine runs to a report, ``compliance``), ``histories``
  (reading Temporal history events, shared by the audit and the cost model);
- the composition, which names the process: ``onboarding`` (the binding: onboarding's facts, cases and PII
  values), ``engines`` (driving the corpus through Temporal and Step Functions, locally or deployed), and the
  entry points ``demo`` (``make demo``, everything local) and ``deployed.audit`` (``make audit``, a deployment,
  configured by ``deployed.config``).
"""
