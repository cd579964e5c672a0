"""The onboarding submission entry point (not a state): a client calls it with the full application.

The claim check and the start live in :mod:`lambdas.intake`; here they are bound to the onboarding process. Only the
application id is checked here; a malformed one is refused as ``INVALID_APPLICATION`` with a field code.
"""

from __future__ import annotations

from lambdas.intake import intake_handler
from lambdas.registration import ONBOARDING_TASKS

handler = intake_handler(ONBOARDING_TASKS)
