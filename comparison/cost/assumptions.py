"""What the cost model assumes, kept apart from what a run counts: ``comparison/cost/assumptions.json``.

Every field of :class:`~comparison.cost.model.CostConfig` has one entry, named by its dotted path
(``stepfunctions.lambda_billed_ms_per_invocation``), with a ``low``, ``typical`` and ``high`` value (or one ``value``
for all three), a unit and its source. ``low`` is the cheaper end for the engine the figure concerns; a report prices
all three cases (:data:`CASES`).

Later layers replace entries, each naming where its value comes from (:class:`Origin`), in this order: the file
(``assumed``), the synthesized templates (``deployment``, :mod:`comparison.cost.deployment`), the cdk.json context
key :data:`CONTEXT_KEY` and ``--cost-assumptions FILE`` (``override``), and what ``make audit`` read from a deployment
(``measured``). An override names entries of the file only; a bad name or value fails naming the entry, never the
value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from comparison.cost.model import CostConfig

ASSUMPTIONS_PATH = Path(__file__).with_name("assumptions.json")
CONTEXT_KEY = "comparison:cost_assumptions"  # a cdk.json context key (the ':' keeps it out of infra's own keys)

Case = Literal["low", "typical", "high"]
CASES: tuple[Case, ...] = ("low", "typical", "high")

Value = str | bool | int | float | list[int]


class AssumptionError(ValueError):
    """An assumptions file or override is malformed: the message names the entry, never its value."""


class Origin(StrEnum):
    ASSUMED = "assumed"  # the dated assumptions file
    DEPLOYMENT = "deployment"  # read from the synthesized templates
    OVERRIDE = "override"  # cdk.json context or --cost-assumptions
    MEASURED = "measured"  # read from a deployment by `make audit`


class Assumption(BaseModel):
    """One assumed figure: its three cases, unit, where it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str
    low: Value
    typical: Value
    high: Value
    unit: str
    source: str
    origin: Origin = Origin.ASSUMED

    def value(self, case: Case) -> Value:
        return {"low": self.low, "typical": self.typical, "high": self.high}[case]

    @property
    def varies(self) -> bool:
        return not (self.low == self.typical == self.high)


class Assumptions(BaseModel):
    """The assumptions of one report, in file order; :meth:`config` builds the cost configuration of a case.
    Build one with :func:`checked` (or :func:`load_assumptions`), which names a bad entry without its value."""

    # A refused value may be one the user would rather not see echoed: errors never quote their input.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    as_of: date
    note: str
    entries: list[Assumption]

    @model_validator(mode="after")
    def _unique(self) -> Assumptions:
        names = [entry.name for entry in self.entries]
        if len(set(names)) != len(names):
            raise ValueError("entries: an assumption is named twice")
        return self

    def by_name(self) -> dict[str, Assumption]:
        return {entry.name: entry for entry in self.entries}

    def config(self, case: Case) -> CostConfig:
        """The cost configuration with every entry at its ``case`` value."""
        tree: dict[str, Any] = {}
        for entry in self.entries:
            *parents, leaf = entry.name.split(".")
            node = tree
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = entry.value(case)
        try:
            return CostConfig.model_validate(tree)
        except ValidationError as error:
            raise AssumptionError(_describe(error, case)) from None

    def replaced(self, values: Mapping[str, Mapping[str, Any]], *, origin: Origin, source: str) -> Assumptions:
        """A copy with some entries replaced. ``values``: name -> ``{"value": v}`` or ``{"low", "typical", "high"}``
        (any subset; the rest keep their value), optionally ``"source"``; ``source`` says where they come from."""
        known = self.by_name()
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise AssumptionError(f"{source}: unknown assumption(s) {', '.join(unknown)} "
                                  f"(known: the entries of {ASSUMPTIONS_PATH.name})")
        entries = []
        for entry in self.entries:
            change = values.get(entry.name)
            if change is None:
                entries.append(entry)
                continue
            cases = _cases(change, where=f"{source}: {entry.name}", default=entry)
            entries.append(entry.model_copy(update={**cases, "origin": origin,
                                                    "source": str(change.get("source") or source)}))
        return checked(Assumptions(as_of=self.as_of, note=self.note, entries=entries))


def checked(assumptions: Assumptions) -> Assumptions:
    """``assumptions`` once every case builds a valid configuration (:class:`AssumptionError` names the entry)."""
    for case in CASES:
        assumptions.config(case)
    return assumptions


def load_assumptions(path: Path = ASSUMPTIONS_PATH) -> Assumptions:
    """The dated assumptions file; a malformed one fails naming the entry."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or raw.get("schema_version") != 1 or not isinstance(raw.get("assumptions"), dict):
        raise AssumptionError(f"{path.name}: expected schema_version 1 and an 'assumptions' object")
    entries = []
    for name, item in raw["assumptions"].items():
        if not isinstance(item, dict) or not isinstance(item.get("source"), str) or not item["source"].strip():
            raise AssumptionError(f"{path.name}: {name}: every assumption states its source")
        cases = _cases(item, where=f"{path.name}: {name}", default=None)
        entries.append(Assumption(name=name, unit=str(item.get("unit", "")), source=item["source"], **cases))
    return checked(Assumptions(as_of=date.fromisoformat(str(raw.get("as_of"))), note=str(raw.get("note", "")),
                               entries=entries))


def overrides_from(raw: Any, *, where: str) -> dict[str, dict[str, Any]]:
    """Overrides as written in cdk.json context or a ``--cost-assumptions`` file: an object of entry name to a bare
    value (all three cases) or an object of ``value``/``low``/``typical``/``high``."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise AssumptionError(f"{where}: expected an object of assumption name to value")
    result: dict[str, dict[str, Any]] = {}
    for name, item in raw.items():
        result[str(name)] = dict(item) if isinstance(item, dict) else {"value": item}
    return result


def _cases(item: Mapping[str, Any], *, where: str, default: Assumption | None) -> dict[str, Value]:
    """The three cases of an entry: ``value`` for all, else each given case, the rest from ``default`` (or, in the
    file, from ``typical``)."""
    if "value" in item:
        if any(case in item for case in CASES):
            raise AssumptionError(f"{where}: give either 'value' or 'low'/'typical'/'high', not both")
        return dict.fromkeys(CASES, item["value"])
    if default is None:
        if "typical" not in item:
            raise AssumptionError(f"{where}: needs 'value' or at least 'typical'")
        return {case: item.get(case, item["typical"]) for case in CASES}
    return {case: item.get(case, default.value(case)) for case in CASES}


def _describe(error: ValidationError, case: Case) -> str:
    problems = [".".join(str(part) for part in item["loc"]) + f": {item['msg']}"
                for item in error.errors(include_input=False, include_url=False)]
    return f"cost assumptions ({case} case): " + "; ".join(problems)
