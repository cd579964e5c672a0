"""Policy statements and conditions evaluated as IAM documents them, in three values (unknown when the templates
cannot tell)."""

from __future__ import annotations

import pytest

from comparison.access.policy import ABSENT, Condition, ContextValue, Opaque, evaluate, glob, statements


def holds(operator: str, key: str, values: list[str] | str, context: dict[str, ContextValue]) -> bool | None:
    items = tuple(values) if isinstance(values, list) else (values,)
    return evaluate(Condition(operator, key, items), context)


def test_wildcards_match_as_iam_does() -> None:
    assert glob("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/key/part")
    assert not glob("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket")
    assert glob("kms:Decrypt*", "kms:decrypt", ignore_case=True)
    assert glob("kms:?ecrypt", "kms:Decrypt") and not glob("kms:?ecrypt", "kms:Encrypt")
    assert glob("arn:aws:logs:${AWS::Region}:*", "arn:aws:logs:${AWS::Region}:123:log-group:x")  # placeholders literal


@pytest.mark.parametrize(("operator", "values", "context", "expected"), [
    ("StringEquals", "s3.eu.amazonaws.com", ("s3.eu.amazonaws.com",), True),
    ("StringEquals", "s3.eu.amazonaws.com", ("dynamodb.eu.amazonaws.com",), False),
    ("StringEquals", "s3.eu.amazonaws.com", ABSENT, False),
    ("StringNotEquals", "s3.eu.amazonaws.com", ABSENT, True),  # a negated operator holds when the key is absent
    ("StringEqualsIfExists", "s3.eu.amazonaws.com", ABSENT, True),
    ("StringLike", "*.amazonaws.com", ("s3.eu.amazonaws.com",), True),
    ("StringNotLike", "*.amazonaws.com", ("s3.eu.amazonaws.com",), False),
    ("ForAnyValue:StringEquals", ["a", "b"], ("c", "b"), True),
    ("ForAnyValue:StringEquals", ["a", "b"], ABSENT, False),
    ("ForAllValues:StringEquals", ["a", "b"], ("a", "c"), False),
    ("ForAllValues:StringEquals", ["a", "b"], ("a", "b"), True),
    ("ForAllValues:StringEquals", ["a", "b"], ABSENT, True),
    ("StringEqualsIgnoreCase", "ABC", ("abc",), True),
])
def test_string_operators(operator: str, values: list[str] | str, context: ContextValue, expected: bool) -> None:
    assert holds(operator, "kms:ViaService", values, {"kms:viaservice": context}) is expected


def test_an_unknown_key_is_unknown_and_keys_are_case_insensitive() -> None:
    assert holds("IpAddress", "aws:SourceIp", "10.0.0.0/8", {}) is None
    assert holds("StringEquals", "aws:SourceVpce", "vpce-1", {}) is None
    assert holds("StringEquals", "AWS:PrincipalArn", "arn:aws:iam::1:role/r", {"aws:principalarn": (
        "arn:aws:iam::1:role/r",)}) is True


def test_arn_numeric_bool_and_null_operators() -> None:
    arn = "arn:aws:states:${AWS::Region}:${AWS::AccountId}:stateMachine:x"
    context: dict[str, ContextValue] = {"aws:sourcearn": (arn,), "s3:tlsversion": ("1.2",),
                                        "aws:securetransport": ("true",), "kms:viaservice": ABSENT}
    assert holds("ArnLike", "aws:SourceArn", "arn:aws:states:*:*:stateMachine:*", context) is True
    assert holds("ArnNotEquals", "aws:SourceArn", arn, context) is False
    assert holds("NumericLessThan", "s3:TlsVersion", "1.2", context) is False
    assert holds("NumericGreaterThanEquals", "s3:TlsVersion", "1.2", context) is True
    assert holds("Bool", "aws:SecureTransport", "false", context) is False
    assert holds("Null", "kms:ViaService", "true", context) is True
    assert holds("Null", "aws:SourceArn", "true", context) is False
    assert holds("DateGreaterThan", "aws:CurrentTime", "2026-01-01T00:00:00Z", context) is None


def test_an_opaque_principal_is_none_of_the_named_ones() -> None:
    """The account's other principals: equal to no ARN a policy names, maybe matching a wildcard."""
    named = "arn:aws:iam::${AWS::AccountId}:role/admin"
    context: dict[str, ContextValue] = {"aws:principalarn": Opaque(frozenset({named}))}
    assert holds("ArnEquals", "aws:PrincipalArn", named, context) is False
    assert holds("StringNotEquals", "aws:PrincipalArn", [named], context) is True
    assert holds("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", context) is None
    assert holds("ArnLike", "aws:PrincipalArn", "*", context) is True


def test_statements_read_every_element() -> None:
    [deny, allow] = statements({"Statement": [
        {"Sid": "OnlyThem", "Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::1:role/a"]},
         "NotAction": "kms:Describe*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": True}}},
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "NotResource": "arn:aws:s3:::b/private/*"},
    ]}, "test policy")
    assert deny.effect == "Deny" and deny.not_principal and deny.not_action and deny.sid == "OnlyThem"
    assert deny.conditions[0].values == ("true",)  # JSON booleans compare as IAM's strings
    assert deny.matches_action("kms:Decrypt") and not deny.matches_action("kms:DescribeKey")
    assert allow.principals is not None and allow.principals[0].kind == "*"
    assert allow.matches_resource(["arn:aws:s3:::b/public/x"])
    assert not allow.matches_resource(["arn:aws:s3:::b/private/x"])
    assert deny.label == "test policy (OnlyThem)"
