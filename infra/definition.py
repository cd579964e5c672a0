"""The Step Functions definition: the ASL file plus DefinitionSubstitutions, checked at synth.

The state machine is created from the file's text with CloudFormation DefinitionSubstitutions, so the template
holds the definition exactly as written. `render` performs the same substitution locally, which lets tests (and
the local runner) execute precisely what deploys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


class DefinitionError(ValueError):
    """The ASL file is missing, not JSON, or uses a placeholder the infrastructure does not provide."""


def read_definition(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(f"state machine definition not found: {path}") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"{path.name} is not valid JSON (line {error.lineno})") from None
    return text


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def check_substitutions(text: str, provided: set[str]) -> None:
    missing = placeholders(text) - provided
    if missing:
        raise DefinitionError(
            "the definition uses placeholders with no substitution: " + ", ".join(sorted(missing))
        )


def render(text: str, values: Mapping[str, str]) -> dict[str, Any]:
    """Substitute `${Key}` the way CloudFormation does and parse the result."""
    check_substitutions(text, set(values))
    rendered = PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
    result: dict[str, Any] = json.loads(rendered)
    return result
