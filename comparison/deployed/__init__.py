"""``make audit``: the exposure audit against a deployed environment (``audit``), configured from ``cdk.json`` and the
environment (``config``)."""
