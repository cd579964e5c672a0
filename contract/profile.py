"""The protection profile: one setting, read by every runtime, that the exposure comparison varies.

``hardened`` is the product and the only profile that deploys. ``baseline`` turns the protections off (no payload
codec, no claim check, raw step results and request context in errors) and exists only so the exposure audit can
prove it sees plaintext when there is some. Each runtime refuses it outside local runs.
"""

from __future__ import annotations

from enum import StrEnum


class Profile(StrEnum):
    HARDENED = "hardened"
    BASELINE = "baseline"
