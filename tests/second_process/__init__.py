"""A second, minimal process, defined only here, that runs through both engines on the platform packages.

Library-card issuance: three steps and a review (``check_details``, ``check_district``, a review for one district,
``issue_card``), its own tiny corpus, its own workflow, definition and handlers. It proves the platform is generic:
the codec, the claim check, the worker and the task runtime, the local runners, the exposure audit and parity work for
it with no file outside this folder changed for it (FORKING.md walks through replacing the domain the same way).
"""
