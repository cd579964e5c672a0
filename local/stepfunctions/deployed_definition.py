"""The state machine definition exactly as the synthesized CDK template deploys it, for the local runner.

What is tested is what deploys: the local runner executes the template's ``DefinitionString`` with its
``DefinitionSubstitutions``, each followed to the Lambda function resource it names (``Fn::GetAtt [id, Arn]``)
and, through that function's handler, to the registry entry the local runner routes. A template that wired a
placeholder to the wrong function would run the wrong handler locally too.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from contract.definition import DefinitionError, DefinitionTemplate
from contract.registry import TaskFunction
from infra.blueprint import Sources
from infra.synthesis import Synthesis, project_context, synthesize

STEP_FUNCTIONS_STACK = "StepFunctions"  # the stack's construct id in infra.blueprint
_STATE_MACHINE = "AWS::StepFunctions::StateMachine"
_FUNCTION = "AWS::Lambda::Function"


def definition_from_template(template: Mapping[str, Any], functions: tuple[TaskFunction, ...]) -> DefinitionTemplate:
    """The one state machine of a stack template, its substitutions resolved to the names of ``functions``."""
    resources: Mapping[str, Any] = template.get("Resources", {})
    machines = [resource for resource in resources.values() if resource.get("Type") == _STATE_MACHINE]
    if len(machines) != 1:
        raise DefinitionError(f"expected one {_STATE_MACHINE} in the template, found {len(machines)}")
    properties = machines[0]["Properties"]
    text = properties.get("DefinitionString")
    if not isinstance(text, str):
        raise DefinitionError("DefinitionString is not a literal string (only DefinitionSubstitutions may vary)")
    by_handler = {function.handler: function.name for function in functions}
    substitutions: dict[str, str] = {}
    for key, value in properties.get("DefinitionSubstitutions", {}).items():
        logical_id = _function_reference(key, value)
        resource = resources.get(logical_id, {})
        if resource.get("Type") != _FUNCTION:
            raise DefinitionError(f"substitution {key}: {logical_id} is not a {_FUNCTION} of this template")
        handler = resource["Properties"].get("Handler")
        if handler not in by_handler:
            raise DefinitionError(f"substitution {key}: function {logical_id} runs no task function's handler")
        substitutions[key] = by_handler[handler]
    return DefinitionTemplate(text=text, functions=substitutions,
                              source=f"the synthesized {STEP_FUNCTIONS_STACK} stack template")


@functools.cache
def synthesized(sources: Sources) -> Synthesis:
    """Synthesize the blueprint (``cdk.json`` context, so its egress mode) in process, once per process and sources:
    its templates, raw cdk-nag findings and acknowledgements (the assembly directory is gone once this returns).
    Needs the bundle (``make bundle``): synthesis stages it as the functions' code asset."""
    with tempfile.TemporaryDirectory(prefix="cdk-definition-") as outdir:
        return synthesize(project_context(), outdir=Path(outdir), sources=sources)


def synthesized_definition(sources: Sources) -> DefinitionTemplate:
    """The state machine definition of :func:`synthesized`."""
    return definition_from_template(synthesized(sources).templates[STEP_FUNCTIONS_STACK], sources.functions)


def _function_reference(key: str, value: Any) -> str:
    attribute = value.get("Fn::GetAtt") if isinstance(value, Mapping) else None
    if not (isinstance(attribute, list) and len(attribute) == 2 and attribute[1] == "Arn"):
        raise DefinitionError(f"substitution {key}: expected {{'Fn::GetAtt': [<function>, 'Arn']}}")
    return str(attribute[0])
