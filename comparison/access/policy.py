"""IAM and KMS policy statements as data, and their evaluation for one request, in three-valued logic.

A request is a principal, an action, a resource ARN and a context (condition keys and their values). Some keys are
known from the templates (``kms:ViaService`` of a read through S3, the encryption context a service uses, the
principal's ARN), some are not (a caller's source IP): a condition on an unknown key evaluates to ``None`` (unknown),
and the statement then applies *under that condition*, which the report lists. Supported, as IAM documents them:
``Allow``/``Deny``; ``Action``/``NotAction``; ``Resource``/``NotResource``; ``Principal``/``NotPrincipal``; the
String, Arn, Numeric, Bool and Null operators with ``IfExists`` and the ``ForAnyValue:``/``ForAllValues:``
qualifiers; ``*`` and ``?`` wildcards. Date and IP operators are always unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Tri = bool | None  # True, False, or None when the templates cannot tell


class Absent:
    """A condition key the request does not carry (e.g. ``kms:ViaService`` on a direct KMS call)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


@dataclass(frozen=True)
class Opaque:
    """A value the templates do not know, except that it is none of ``excluded`` (the ARN of an IAM principal that
    no template names is no ARN a policy names)."""

    excluded: frozenset[str] = frozenset()


ContextValue = tuple[str, ...] | Absent | Opaque
Context = Mapping[str, ContextValue]  # keys in lower case; a key missing from the mapping is unknown


@dataclass(frozen=True)
class PrincipalRef:
    """One entry of a statement's ``Principal``: ``("AWS", arn or account)``, ``("Service", name)``, ``("*", "*")``."""

    kind: str
    value: str


@dataclass(frozen=True)
class Condition:
    operator: str  # as written, e.g. "ForAnyValue:StringLike" or "ArnNotEqualsIfExists"
    key: str
    values: tuple[str, ...]

    def text(self) -> str:
        shown = self.values[0] if len(self.values) == 1 else "[" + ", ".join(self.values) + "]"
        return f"{self.operator} {self.key} {shown}"


@dataclass(frozen=True)
class Statement:
    effect: Literal["Allow", "Deny"]
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    principals: tuple[PrincipalRef, ...] | None  # None: an identity policy (no Principal element)
    not_principal: bool
    conditions: tuple[Condition, ...]
    origin: str  # where it is written ("key policy of Foundation/KeysData", "IAM policy Workers/TaskRolePolicy")
    sid: str | None = None

    @property
    def label(self) -> str:
        return f"{self.origin}" + (f" ({self.sid})" if self.sid else "")

    def matches_action(self, action: str) -> bool:
        hit = any(glob(pattern, action, ignore_case=True) for pattern in self.actions)
        return hit != self.not_action

    def matches_resource(self, arns: Sequence[str]) -> bool:
        """Whether the statement covers any of ``arns`` (the forms one resource is named by)."""
        if not self.resources:  # a trust or key policy statement without Resource applies to its resource
            return not self.not_resource
        hit = any(glob(pattern, arn) for pattern in self.resources for arn in arns)
        return hit != self.not_resource

    def conditions_hold(self, context: Context) -> Tri:
        return all_of(evaluate(condition, context) for condition in self.conditions)

    def unknown_conditions(self, context: Context) -> list[Condition]:
        return [condition for condition in self.conditions if evaluate(condition, context) is None]


def statements(document: Any, origin: str) -> list[Statement]:
    """The statements of a resolved policy document (``{"Statement": [...]}``, a single statement allowed)."""
    if not isinstance(document, Mapping):
        return []
    raw = document.get("Statement", [])
    items = raw if isinstance(raw, list) else [raw]
    result = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        principal_key = "NotPrincipal" if "NotPrincipal" in item else "Principal" if "Principal" in item else None
        result.append(Statement(
            effect="Deny" if item.get("Effect") == "Deny" else "Allow",
            actions=_strings(item.get("NotAction", item.get("Action"))),
            not_action="NotAction" in item,
            resources=_strings(item.get("NotResource", item.get("Resource"))),
            not_resource="NotResource" in item,
            principals=None if principal_key is None else _principals(item[principal_key]),
            not_principal=principal_key == "NotPrincipal",
            conditions=tuple(
                Condition(operator=str(operator), key=str(key), values=_strings(values))
                for operator, block in (item.get("Condition") or {}).items() if isinstance(block, Mapping)
                for key, values in block.items()
            ),
            origin=origin,
            sid=str(item["Sid"]) if item.get("Sid") else None,
        ))
    return result


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(str(item).lower() if isinstance(item, bool) else str(item) for item in items)


def _principals(value: Any) -> tuple[PrincipalRef, ...]:
    if value == "*":
        return (PrincipalRef("*", "*"),)
    if not isinstance(value, Mapping):
        return ()
    return tuple(PrincipalRef("*" if item == "*" and kind == "AWS" else str(kind), str(item))
                 for kind, items in value.items() for item in _strings(items))


# -- wildcards --------------------------------------------------------------------------------------------------


def glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match: ``*`` any run of characters, ``?`` one character, everything else literal."""
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, flags=re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


# -- conditions -------------------------------------------------------------------------------------------------


def all_of(values: Iterable[Tri]) -> Tri:
    """Three-valued AND."""
    result: Tri = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def any_of(values: Iterable[Tri]) -> Tri:
    """Three-valued OR."""
    result: Tri = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


def negate(value: Tri) -> Tri:
    return None if value is None else not value


def evaluate(condition: Condition, context: Context) -> Tri:
    """One operator on one key, as IAM evaluates it (unknown when the context cannot tell)."""
    operator = condition.operator
    qualifier = ""
    if ":" in operator:
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    key = condition.key.lower()
    value = context.get(key)
    if value is None and key.startswith("kms:encryptioncontext:") and "kms:encryptioncontextkeys" in context:
        value = ABSENT  # the request's encryption context is known in full: a key it does not carry is absent
    if base == "Null":
        wanted = condition.values[0].lower() == "true" if condition.values else True
        if value is None:
            return None
        return isinstance(value, Absent) == wanted
    if value is None:
        return None
    if isinstance(value, Absent):
        if if_exists or qualifier == "ForAllValues":
            return True
        return False if qualifier == "ForAnyValue" else base in _POSITIVE  # a negated operator holds on no key
    if base not in _TESTS:
        return None  # Date, IpAddress, Binary: not decidable from templates
    negated = base in _POSITIVE
    positive = _TESTS[_POSITIVE.get(base, base)]
    if isinstance(value, Opaque):
        return _opaque(positive, condition.values, value, negated)
    if qualifier == "ForAllValues":  # every value of the request is (or, negated, is not) one of the condition's
        each = (any_of(positive(p, v) for p in condition.values) for v in value)
        return all_of(negate(hit) if negated else hit for hit in each)
    matched = any_of(positive(p, v) for p in condition.values for v in value)
    return negate(matched) if negated else matched


def _opaque(positive: Any, patterns: Sequence[str], value: Opaque, negated: bool) -> Tri:
    """An unknown value that is none of ``value.excluded``: equal to a named value is false, a wildcard may match."""
    results: list[Tri] = []
    for pattern in patterns:
        if pattern == "*":
            results.append(True)
        elif "*" in pattern or "?" in pattern:
            results.append(None)
        else:
            results.append(False if pattern in value.excluded else None)
    matched = any_of(results)
    return negate(matched) if negated else matched


def _string_equals(pattern: str, value: str) -> Tri:
    return pattern == value


def _string_like(pattern: str, value: str) -> Tri:
    return glob(pattern, value)


def _ignore_case(pattern: str, value: str) -> Tri:
    return pattern.lower() == value.lower()


def _numeric(compare: str) -> Any:
    def test(pattern: str, value: str) -> Tri:
        try:
            a, b = float(value), float(pattern)
        except ValueError:
            return None
        return {"Equals": a == b, "LessThan": a < b, "LessThanEquals": a <= b,
                "GreaterThan": a > b, "GreaterThanEquals": a >= b}[compare]
    return test


def _bool(pattern: str, value: str) -> Tri:
    return pattern.lower() == value.lower()


_TESTS: dict[str, Any] = {
    "StringEquals": _string_equals, "StringNotEquals": _string_equals,
    "StringEqualsIgnoreCase": _ignore_case, "StringNotEqualsIgnoreCase": _ignore_case,
    "StringLike": _string_like, "StringNotLike": _string_like,
    "ArnEquals": _string_like, "ArnLike": _string_like, "ArnNotEquals": _string_like, "ArnNotLike": _string_like,
    "Bool": _bool,
    **{f"Numeric{name}": _numeric(name) for name in ("Equals", "LessThan", "LessThanEquals", "GreaterThan",
                                                      "GreaterThanEquals")},
    "NumericNotEquals": _numeric("Equals"),
}
_POSITIVE = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
             "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike",
             "NumericNotEquals": "NumericEquals"}


@dataclass(frozen=True)
class Evaluation:
    """Whether a set of statements allows a request: ``allowed`` (True, False or None when conditional), the
    statements that allow it, and the conditions (as text) it depends on."""

    allowed: Tri
    via: tuple[str, ...] = ()
    conditions: tuple[str, ...] = field(default=())
