"""The report: its model and JSON (``model``), Markdown and terminal text (``text``), HTML (``html``, ``svg``), shared
formatting (``formatting``), the compliance summary (``compliance``), writing with a leak check (``write``) and
assembling runs and evidence into a report (``assemble``)."""
