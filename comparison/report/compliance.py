"""The compliance summary the report shows: what the demo checked on its own synthesis, and what
``reports/compliance.json`` (written by ``make synth``) adds.

Accepted shape (``generated_at``, ``source``, ``tools`` and ``missing`` are optional; ``acknowledgements`` may be
omitted)::

    {
      "generated_at": "2026-01-01T00:00:00Z",
      "stacks": [
        {"stack": "Foundation",
         "packs": [
           {"pack": "AwsSolutions", "findings": 0, "acknowledged": 2,
            "acknowledgements": [{"rule": "AwsSolutions-IAM5", "reason": "...", "resource": "..."}]}
         ]}
      ],
      "tools": [{"tool": "checkov", "passed": 120, "failed": 0, "skipped": 3, "detail": "..."}],
      "missing": [{"gate": "checkov", "why": "not installed", "how": "make checkov"}]
    }

``missing`` names every gate that did not run and how to run it, so a summary is never silently partial.

``findings`` counts unacknowledged findings (the gate wants 0). A flatter form is accepted too:
``{"stacks": {"Foundation": {"AwsSolutions": {"findings": 0, "acknowledged": 2}}}}``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Acknowledgement(_Model):
    rule: str
    reason: str
    resource: str | None = None


class PackResult(_Model):
    pack: str
    findings: int = Field(ge=0)
    acknowledged: int = Field(default=0, ge=0)
    acknowledgements: list[Acknowledgement] = Field(default_factory=list)


class StackResult(_Model):
    stack: str
    packs: list[PackResult]


class ToolResult(_Model):
    tool: str
    passed: int = Field(default=0, ge=0)
    failed: int = Field(default=0, ge=0)
    skipped: int = Field(default=0, ge=0)
    detail: str = ""


class MissingGate(_Model):
    """A gate that did not run: which, why, and the command that runs it."""

    gate: str
    why: str
    how: str


class ComplianceSummary(_Model):
    generated_at: datetime | None = None
    source: str = ""
    stacks: list[StackResult]
    tools: list[ToolResult] = Field(default_factory=list)
    missing: list[MissingGate] = Field(default_factory=list)

    @field_validator("stacks", mode="before")
    @classmethod
    def _accept_mapping(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return [
            {"stack": stack, "packs": [{"pack": pack, **result} for pack, result in packs.items()]}
            for stack, packs in value.items()
        ]

    @property
    def unacknowledged(self) -> int:
        return sum(pack.findings for stack in self.stacks for pack in stack.packs)

    @property
    def acknowledged(self) -> int:
        return sum(pack.acknowledged for stack in self.stacks for pack in stack.packs)

    def packs(self) -> list[str]:
        names: list[str] = []
        for stack in self.stacks:
            names.extend(pack.pack for pack in stack.packs if pack.pack not in names)
        return names


    def stack_names(self) -> list[str]:
        return [stack.stack for stack in self.stacks]


def load_compliance(path: Path) -> ComplianceSummary | None:
    """The summary at ``path``, or ``None`` when synth has not written one yet."""
    if not path.is_file():
        return None
    return ComplianceSummary.model_validate(json.loads(path.read_text(encoding="utf-8")))
