"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from datetime import date

# Never let a test reach a real AWS account, whatever the developer's shell has configured.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
)
os.environ.pop("AWS_PROFILE", None)

# A fixed "today" so date-dependent rules (age, card expiry) are reproducible.
TODAY = date(2026, 11, 24)
