"""Driving the corpus through each engine (``temporal``, ``stepfunctions``), plans and results (``runs``), and both
engines on the local stack (``local``)."""
