"""Reading a stored string the way an operator would: as text, as JSON (strings inside strings), as base64.

Orchestrators nest serialisations: a Step Functions execution input is a JSON string, a Lambda task
result is a JSON string whose ``Payload`` may itself be a JSON string, and an operator decodes any
base64 blob at a glance. Each layer is unwrapped (to a bounded depth) and searched; a value found
only after base64 decoding is reported as such.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Any

from comparison.audit.pii import PiiMatcher, Transform, merge_found

MAX_DEPTH = 6
_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")


def scan_text(text: str, matcher: PiiMatcher, depth: int = 0) -> dict[int, Transform]:
    """Value index -> most direct form found in ``text`` or anything nested in it."""
    found = matcher.find(text)
    if depth >= MAX_DEPTH:
        return found
    parsed = _json(text)
    if parsed is not _NOT_JSON:
        for leaf in json_strings(parsed):
            merge_found(found, scan_text(leaf, matcher, depth + 1))
    decoded = decode_base64_token(text)
    if decoded is not None:
        inner = scan_text(decoded, matcher, depth + 1)
        merge_found(found, {index: max(transform, Transform.BASE64) for index, transform in inner.items()})
    return found


def json_strings(node: Any) -> Iterator[str]:
    """Every string in a parsed JSON document: keys, string values and numbers (as text)."""
    if isinstance(node, dict):
        for key, child in node.items():
            yield str(key)
            yield from json_strings(child)
    elif isinstance(node, list):
        for child in node:
            yield from json_strings(child)
    elif isinstance(node, str):
        yield node
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield str(node)


def decode_base64_token(text: str) -> str | None:
    """The text a whole-string base64 token decodes to (binary decodes with replacement characters)."""
    token = text.strip()
    if not _BASE64_TOKEN.fullmatch(token):
        return None
    standard = token.replace("-", "+").replace("_", "/").rstrip("=")
    try:
        raw = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.decode("utf-8", errors="replace")


_NOT_JSON = object()


def _json(text: str) -> Any:
    stripped = text.strip()
    if not stripped or stripped[0] not in '{["':
        return _NOT_JSON
    try:
        return json.loads(stripped)
    except ValueError:
        return _NOT_JSON
