"""The ASL definition with its ``${...FunctionArn}`` placeholders resolved, as CloudFormation's
``DefinitionSubstitutions`` does it.

The template is a parameter so the local runner can run either the ASL file (today) or the definition
taken from the synthesized CDK template (once infra/ provides it): what is tested is what deploys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from lambdas.registry import DEFINITION_PATH, state_machine_functions

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class DefinitionError(ValueError):
    pass


def load_template() -> str:
    return DEFINITION_PATH.read_text(encoding="utf-8")


def render(template: str, substitutions: Mapping[str, str]) -> str:
    """Replace every ``${Key}``; an unknown placeholder or unused substitution is an error."""
    found = set(_PLACEHOLDER.findall(template))
    missing = sorted(found - substitutions.keys())
    if missing:
        raise DefinitionError(f"no substitution for: {', '.join(missing)}")
    unused = sorted(substitutions.keys() - found)
    if unused:
        raise DefinitionError(f"substitutions not used by the definition: {', '.join(unused)}")
    rendered = _PLACEHOLDER.sub(lambda match: substitutions[match[1]], template)
    json.loads(rendered)  # still valid JSON: substitutions only ever replace text inside strings
    return rendered


def function_substitutions(function_arn: Mapping[str, str]) -> dict[str, str]:
    """``{SubstitutionKey: arn}`` for every function the state machine calls, from ``{name: arn}``."""
    return {function.substitution_key: function_arn[function.name] for function in state_machine_functions()}
