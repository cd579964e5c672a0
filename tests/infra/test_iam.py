"""IAM: no statement allows a wildcard action.

Key policies are not IAM statements, but they are checked too: CDK writes `kms:*` for the account root (the
default delegation to IAM) and a few `kms:GenerateDataKey*`/`ReEncrypt*`/`Decrypt*` grants to AWS services that
use the key on the account's behalf (Secrets Manager, S3 access logging, Logs delivery); nothing else.
"""

from __future__ import annotations

from infra.synthesis import Synthesis
from tests.infra.template_queries import as_list, policy_statements, props, resources


def test_no_iam_statement_has_a_wildcard_action(synthesis: Synthesis) -> None:
    statements = list(policy_statements(synthesis))
    assert len(statements) > 50
    for where, statement in statements:
        assert "NotAction" not in statement, where
        wildcards = [action for action in as_list(statement["Action"]) if "*" in action]
        if statement["Effect"] == "Allow":
            assert not wildcards, f"{where}: {wildcards}"
        elif wildcards:  # a protective deny may be broad: the buckets refuse every request without TLS 1.2+
            assert statement["Condition"] in ({"Bool": {"aws:SecureTransport": "false"}},
                                              {"NumericLessThan": {"s3:TlsVersion": 1.2}}), where


def test_key_policies_use_wildcards_only_to_delegate_to_the_accounts_iam(synthesis: Synthesis) -> None:
    for _, logical_id, key in resources(synthesis, "AWS::KMS::Key"):
        for statement in props(key)["KeyPolicy"]["Statement"]:
            actions = as_list(statement["Action"])
            if actions == ["kms:*"]:
                # The default key policy: the account root may use IAM policies to grant this key.
                assert "root" in repr(statement["Principal"]["AWS"]), logical_id
            elif any("*" in action for action in actions):
                assert all(a.startswith(("kms:GenerateDataKey", "kms:ReEncrypt", "kms:Decrypt")) or "*" not in a
                           for a in actions), logical_id
                service = "Service" in statement["Principal"]
                via_service = "kms:ViaService" in statement.get("Condition", {}).get("StringEquals", {})
                assert service or via_service, logical_id
