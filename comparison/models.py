"""The engine-facing contract: what one engine run of one case reports back to the comparison, as plain data.

The platform knows no business process. A process's binding (``comparison.onboarding`` for onboarding) tells it:

- the *facts* it compares, in order (:class:`FactSpec`: a name, a role that says how reports show it, a label);
- the *cases* it runs (:class:`Case`: name, description and the expected facts), together a :class:`Corpus`;
- for each engine run, the facts that run established (:class:`ScenarioRun`).

Facts are an ordered mapping ``fact name -> value`` whose values are codes, counts and flags
(:data:`FactValue`). Nothing here may carry PII: runs are identified by case name and an opaque business id,
errors by type name, and string facts must look like codes (checked).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contract.profile import Profile

# Error descriptions are type names, never messages (a message could quote a submitted value).
ERROR_TYPE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.]{0,127}$"
# Business ids are opaque: no '@', '.', spaces or '+', so neither an e-mail nor a name can become one.
BUSINESS_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
CASE_NAME_PATTERN = r"^[a-z0-9_]{1,80}$"
FACT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# A string fact is a code (status, reason, ``field.path:code``), never free text.
FACT_CODE = re.compile(r"^[A-Za-z0-9_.:\-]{1,128}$")

FactValue = str | bool | int | float | tuple[str, ...] | None
Facts = dict[str, FactValue]  # fact name -> value, in the binding's fact order


class Engine(StrEnum):
    """The durable orchestrators compared. Adding one here (and running it) adds its column everywhere."""

    TEMPORAL = "temporal"
    STEPFUNCTIONS = "stepfunctions"
    DURABLE = "durable"

    @property
    def display_name(self) -> str:
        return _DISPLAY_NAMES.get(self, self.value)


_DISPLAY_NAMES = {Engine.TEMPORAL: "Temporal", Engine.STEPFUNCTIONS: "Step Functions",
                  Engine.DURABLE: "Lambda durable functions"}


class FactRole(StrEnum):
    """How reports show a fact; every fact is compared whatever its role."""

    OUTCOME = "outcome"  # part of the headline: values joined, a true flag as "(label)"
    EFFECT = "effect"  # the detail line under the headline: "label value", a true flag as its label
    CHECK = "check"  # compared and kept in the JSON, not shown in the tables


class _Frozen(BaseModel):
    # A refused value may be the very PII the checks keep out: validation errors never quote their input.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class FactSpec(_Frozen):
    name: str = Field(pattern=FACT_NAME.pattern)
    role: FactRole
    label: str = Field(pattern=r"^[A-Za-z0-9 _./-]{1,40}$")  # words in the tables ("approved charges")


def check_facts(facts: Mapping[str, FactValue], *, where: str) -> None:
    """Names are snake_case; string values (and tuple items) are codes, never free text."""
    for name, value in facts.items():
        if not FACT_NAME.fullmatch(name):
            raise ValueError(f"{where}: fact name {name!r} is not snake_case")
        texts = value if isinstance(value, tuple) else (value,) if isinstance(value, str) else ()
        if any(not FACT_CODE.fullmatch(text) for text in texts):
            raise ValueError(f"{where}: fact {name} is not a code (letters, digits, _.:-)")


class Case(_Frozen):
    """One case of the corpus, as reports show it: its expected facts are what every engine must establish."""

    name: str = Field(pattern=CASE_NAME_PATTERN)
    description: str
    expected: Facts

    @field_validator("expected")
    @classmethod
    def _codes_only(cls, expected: Facts) -> Facts:
        check_facts(expected, where="expected")
        return expected


@dataclass(frozen=True)
class Corpus:
    """The facts compared (in order) and the cases run, as a process's binding supplies them."""

    facts: tuple[FactSpec, ...]
    cases: tuple[Case, ...]

    def __post_init__(self) -> None:
        names = self.fact_names
        if len(set(names)) != len(names):
            raise ValueError("facts: a fact is described twice")
        for case in self.cases:
            if list(case.expected) != list(names):
                raise ValueError(f"case {case.name}: expected facts must be exactly {', '.join(names)}, in order")
        case_names = [case.name for case in self.cases]
        if len(set(case_names)) != len(case_names):
            raise ValueError("cases: a case name is used twice")

    @property
    def fact_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.facts)


class ScenarioRun(_Frozen):
    """One engine's run of one case in one profile.

    ``facts`` are what the run established (the binding reads them from the outcome and the shared stores);
    ``error`` names the exception type or status when the engine itself failed (no business outcome).
    """

    engine: Engine
    profile: Profile
    scenario: str = Field(pattern=CASE_NAME_PATTERN)
    business_id: str = Field(pattern=BUSINESS_ID_PATTERN)
    facts: Facts
    error: str | None = Field(default=None, pattern=ERROR_TYPE_PATTERN)
    duration_seconds: float | None = Field(default=None, ge=0)

    @field_validator("facts")
    @classmethod
    def _codes_only(cls, facts: Facts) -> Facts:
        check_facts(facts, where="facts")
        return facts
