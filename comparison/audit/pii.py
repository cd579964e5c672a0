"""The PII values an audit searches for, and the matcher that finds them in text.

A value is known to the audit only as a ``SecretStr`` plus a label (e.g. ``case.field.path``); results
carry the label and index, never the value. Matching is case-insensitive and also looks for forms an
operator could trivially reverse: digits without separators, URL-encoding and base64.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

LABEL_PATTERN = r"^[A-Za-z0-9_.\-\[\]]{1,200}$"
# Shorter values collide with ids and timestamps: a corpus keeps the PII it wants searched at least this long.
MIN_VALUE_LENGTH = 8
# Digit-only forms shorter than this collide with timestamps and counters.
MIN_DIGITS_FORM = 9
MIN_BASE64_FORM = 8


class Transform(IntEnum):
    """How a value was found; lower is more direct. The name is what reports show."""

    EXACT = 0
    CASE_CHANGED = 1
    DIGITS_ONLY = 2
    URL_ENCODED = 3
    BASE64 = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class PiiValue(BaseModel):
    """A searched value. Validation errors never include the value (``hide_input_in_errors``)."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    label: str = Field(pattern=LABEL_PATTERN)
    value: SecretStr

    @model_validator(mode="after")
    def _check(self) -> PiiValue:
        secret = self.value.get_secret_value()
        if len(secret) < MIN_VALUE_LENGTH:
            raise ValueError(f"value of {self.label}: shorter than {MIN_VALUE_LENGTH} characters")
        if secret.casefold() in self.label.casefold():
            raise ValueError("label: must not contain the value it labels")
        return self


def pii_values(labelled: Iterable[tuple[str, str]]) -> tuple[PiiValue, ...]:
    """The searched values from ``(label, value)`` pairs, each value once (its first label wins)."""
    values: list[PiiValue] = []
    seen: set[str] = set()
    for label, value in labelled:
        if value not in seen:
            seen.add(value)
            values.append(PiiValue(label=label, value=SecretStr(value)))
    return tuple(values)


def string_leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string of a JSON-like document of mappings, with its key path (``("applicant", "email")``)."""
    if isinstance(node, Mapping):
        for key, child in node.items():
            yield from string_leaves(child, (*path, str(key)))
    elif isinstance(node, str):
        yield path, node


@dataclass(frozen=True)
class _Needle:
    value_index: int
    transform: Transform
    text: str
    case_insensitive: bool
    # A digit-only form must stand alone: "123456789" inside account id "123456789012" is not an SSN.
    isolated_digits: bool = False


class PiiMatcher:
    """Finds which of the values occur in a piece of text, and in which form."""

    def __init__(self, values: Sequence[PiiValue]) -> None:
        self.values = tuple(values)
        self._needles = [needle for index, value in enumerate(self.values) for needle in _needles(index, value)]
        # Prefilters: one trie-shaped regex per kind of needle rules most strings out in a single pass; only
        # candidates are then checked needle by needle.
        self._folded = _trie_regex(n.text for n in self._needles if n.case_insensitive)
        self._exact = _trie_regex(n.text for n in self._needles if not n.case_insensitive and not n.isolated_digits)
        self._digits = _trie_regex((n.text for n in self._needles if n.isolated_digits), isolated_digits=True)

    def find(self, text: str) -> dict[int, Transform]:
        """Value index -> the most direct form in which it occurs in ``text``."""
        folded = text.casefold()
        candidates = [(regex, haystack) for regex, haystack in
                      ((self._folded, folded), (self._exact, text), (self._digits, text))
                      if regex is not None and regex.search(haystack) is not None]
        if not candidates:
            return {}
        found: dict[int, Transform] = {}
        for needle in self._needles:
            if needle.isolated_digits:
                if re.search(rf"(?<!\d){re.escape(needle.text)}(?!\d)", text) is None:
                    continue
            elif needle.text not in (folded if needle.case_insensitive else text):
                continue
            transform = needle.transform
            if transform is Transform.EXACT and self.values[needle.value_index].value.get_secret_value() not in text:
                transform = Transform.CASE_CHANGED
            merge_found(found, {needle.value_index: transform})
        return found


def _trie_regex(words: Iterable[str], *, isolated_digits: bool = False) -> re.Pattern[str] | None:
    """An alternation of ``words`` factored by common prefixes (a trie), which ``re`` scans far faster."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    if not trie:
        return None

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    pattern = emit(trie)
    return re.compile(rf"(?<!\d)(?:{pattern})(?!\d)" if isolated_digits else pattern)


def merge_found(into: dict[int, Transform], other: Mapping[int, Transform]) -> None:
    for index, transform in other.items():
        if index not in into or transform < into[index]:
            into[index] = transform


def _needles(index: int, value: PiiValue) -> list[_Needle]:
    secret = value.value.get_secret_value()
    needles = [_Needle(index, Transform.EXACT, secret.casefold(), True)]
    digits = re.sub(r"\D", "", secret)
    if len(digits) >= MIN_DIGITS_FORM and digits != secret:
        needles.append(_Needle(index, Transform.DIGITS_ONLY, digits, False, isolated_digits=True))
    encoded = quote(secret, safe="")
    if encoded != secret:
        needles.append(_Needle(index, Transform.URL_ENCODED, encoded.casefold(), True))
    raw = secret.encode()
    # Only whole 3-byte groups encode the same wherever the value starts on a group boundary.
    whole = len(raw) // 3 * 4
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        form = encode(raw).decode()[:whole]
        if len(form) >= MIN_BASE64_FORM and all(n.text != form for n in needles):
            needles.append(_Needle(index, Transform.BASE64, form, False))
    return needles
