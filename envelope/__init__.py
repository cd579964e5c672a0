"""The KMS envelope, shared by every engine that encrypts in its own process: key providers (``keys``: KMS
``GenerateDataKey``/``Decrypt``, or a local keyring for development), the data-key cache (``key_cache``), the
envelope format (``seal``) and its errors (``errors``). Generic: it knows no process and no engine."""
