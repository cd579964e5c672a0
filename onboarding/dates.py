"""Dates the rules share, apart from the validation libraries so risk scoring imports none of them."""

from __future__ import annotations

from datetime import date


def age_on(birth: date, today: date) -> int:
    """Whole years from ``birth`` to ``today`` (a birthday on ``today`` counts)."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
