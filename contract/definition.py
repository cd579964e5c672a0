"""The state machine definition as a template: its JSON text with ``${Key}`` placeholders, and the task function
each key stands for. One substitution rule, used by CDK synth (to check the placeholders before the template is
written), by the local runner (to run the definition with local function ARNs) and by the tests.

CloudFormation's ``DefinitionSubstitutions`` replace ``${Key}`` with the value of ``Key``; :func:`render` does the
same, strictly: a placeholder without a value, or a value no placeholder uses, is an error (an unused one would
mean the state machine's role may invoke a function the definition never calls).

The definition that runs can come from the ASL file (:meth:`DefinitionTemplate.asl`) or from the synthesized CDK
template (``local.stepfunctions.deployed_definition``), where each key points at a function resource; either way it
is rendered here. Pure standard library plus the registry: importable by infra (synth) and the local tooling alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from contract.registry import TaskFunction, state_machine_functions

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class DefinitionError(ValueError):
    """The definition is missing, not JSON, or its placeholders and substitutions do not match."""


def read_definition(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(f"state machine definition not found: {path}") from None
    _check_json(text, path.name)
    return text


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def check_substitutions(text: str, provided: Iterable[str]) -> None:
    found, given = placeholders(text), set(provided)
    missing = sorted(found - given)
    if missing:
        raise DefinitionError(f"no substitution for: {', '.join(missing)}")
    unused = sorted(given - found)
    if unused:
        raise DefinitionError(f"substitutions not used by the definition: {', '.join(unused)}")


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace every ``${Key}`` with ``values[Key]``, as CloudFormation does; the result is checked to be JSON."""
    check_substitutions(text, values)
    rendered = PLACEHOLDER.sub(lambda match: values[match[1]], text)
    _check_json(rendered, "the rendered definition")
    return rendered


@dataclass(frozen=True)
class DefinitionTemplate:
    text: str  # the definition with its ${Key} placeholders
    functions: Mapping[str, str]  # substitution key -> name of the task function it stands for
    source: str = field(default="the ASL file", compare=False)  # where the text came from, for reports

    @classmethod
    def asl(cls, functions: tuple[TaskFunction, ...], *, path: Path | None = None,
            text: str | None = None) -> DefinitionTemplate:
        """The ASL file at ``path`` (or a variant's ``text``), with the task functions' substitution keys."""
        if text is None:
            if path is None:
                raise DefinitionError("DefinitionTemplate.asl needs the definition's path or text")
            text = read_definition(path)
        return cls(text=text, functions={f.substitution_key: f.name for f in state_machine_functions(functions)},
                   source=f"the ASL file {path.name}" if path is not None else "a variant of the ASL file")

    def render(self, function_arn: Callable[[str], str]) -> str:
        """The definition with each placeholder replaced by the ARN of its function (``function_arn(name)``)."""
        return render(self.text, {key: function_arn(name) for key, name in self.functions.items()})


def _check_json(text: str, what: str) -> None:
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"{what} is not valid JSON (line {error.lineno})") from None
