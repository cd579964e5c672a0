"""The synthesized templates' IAM, resolved for a local run and evaluated against recorded AWS calls.

``ResolvedDeployment`` turns every intrinsic of the templates into the concrete string it would be in a deployment
named like the local run (account, region, and ``<environment_name>-`` replaced by the run's prefix; KMS keys by the
run's keys behind the same aliases), then answers, for a principal's call: which identity-policy statements allow it,
whether a Deny refuses it (identity policy, the key policy of a KMS key, the bucket policy of an S3 object), and
whether the key policy names the principal. Only the condition operators the blueprint writes are understood; any
other fails loudly, so an unexamined condition can never pass by accident.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.synthesis import Synthesis

REGION = "us-east-1"
PARTITION = "aws"

Statement = dict[str, Any]


class UnsupportedCondition(AssertionError):
    """A policy uses a condition operator this evaluator does not implement."""


@dataclass(frozen=True)
class Principal:
    name: str  # "intake", "worker", "state machine", ...
    role_logical_id: str
    role_arn: str


@dataclass
class ResolvedDeployment:
    synthesis: Synthesis
    prefix: str  # the local run's resource prefix (the deployment's environment_name)
    account: str
    key_arns: dict[str, str]  # alias suffix ("data", "state-machine", ...) -> the run's key ARN
    _exports: dict[str, Any] = field(default_factory=dict)
    _resources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for template in self.synthesis.templates.values():
            self._resources.update(template.get("Resources", {}))
            for output in template.get("Outputs", {}).values():
                if "Export" in output:
                    self._exports[self._plain(output["Export"]["Name"])] = output["Value"]
        self._key_aliases = {
            props["TargetKeyId"]["Fn::GetAtt"][0]: props["AliasName"].rsplit("/", 1)[-1]
            for resource in self._resources.values() if resource["Type"] == "AWS::KMS::Alias"
            for props in [resource["Properties"]]
        }

    # -- resolution ------------------------------------------------------------------------------------------------

    def _plain(self, value: Any) -> str:
        return str(self.resolve(value))

    def rename(self, text: str) -> str:
        return text.replace(f"{self.synthesis.config.environment_name}-", f"{self.prefix}-")

    def key_arn(self, logical_id: str) -> str:
        alias = self._key_aliases[logical_id]
        return self.key_arns.get(alias, f"arn:aws:kms:{REGION}:{self.account}:key/{self.prefix}-{alias}")

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.rename(value)
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1 or not next(iter(value)).startswith(("Ref", "Fn::")):
            return {key: self.resolve(item) for key, item in value.items()}
        (function, argument), = value.items()
        if function == "Ref":
            return self._ref(argument)
        if function == "Fn::GetAtt":
            return self._get_att(*argument)
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(str(self.resolve(part)) for part in parts)
        if function == "Fn::ImportValue":
            return self.resolve(self._exports[self._plain(argument)])
        if function == "Fn::Sub":
            text = argument if isinstance(argument, str) else argument[0]
            for name, replacement in {"AWS::AccountId": self.account, "AWS::Region": REGION,
                                      "AWS::Partition": PARTITION, "AWS::URLSuffix": "amazonaws.com"}.items():
                text = text.replace(f"${{{name}}}", replacement)
            return self.rename(text)
        if function == "Fn::Select":
            index, items = argument
            return self.resolve(items)[int(index)]
        raise AssertionError(f"unresolvable intrinsic {function}")

    def _ref(self, name: str) -> str:
        pseudo = {"AWS::AccountId": self.account, "AWS::Region": REGION, "AWS::Partition": PARTITION,
                  "AWS::URLSuffix": "amazonaws.com"}
        if name in pseudo:
            return pseudo[name]
        resource = self._resources[name]
        props = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::KMS::Key":
            return self.key_arn(name).rsplit("/", 1)[-1]
        if kind == "AWS::DynamoDB::Table":
            return self._plain(props["TableName"])
        if kind == "AWS::Lambda::Function":
            return self._plain(props.get("FunctionName", name))
        if kind == "AWS::IAM::Role":
            return self._plain(props.get("RoleName", name))
        if kind == "AWS::S3::Bucket":
            return self._plain(props.get("BucketName", name.lower()))
        if kind == "AWS::SecretsManager::Secret":
            return f"arn:aws:secretsmanager:{REGION}:{self.account}:secret:{self._plain(props['Name'])}-AbCdEf"
        if kind == "AWS::StepFunctions::StateMachine":
            return f"arn:aws:states:{REGION}:{self.account}:stateMachine:{self._plain(props['StateMachineName'])}"
        if kind == "AWS::Logs::LogGroup":
            return self._plain(props.get("LogGroupName", name))
        return name

    def _get_att(self, name: str, attribute: str) -> str:
        resource = self._resources[name]
        kind = resource["Type"]
        if attribute != "Arn":
            return f"{name}.{attribute}"
        if kind == "AWS::KMS::Key":
            return self.key_arn(name)
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{REGION}:{self.account}:table/{self._ref(name)}"
        if kind == "AWS::Lambda::Function":
            return f"arn:aws:lambda:{REGION}:{self.account}:function:{self._ref(name)}"
        if kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{self.account}:role/{self._ref(name)}"
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{self._ref(name)}"
        if kind == "AWS::Logs::LogGroup":
            return f"arn:aws:logs:{REGION}:{self.account}:log-group:{self._ref(name)}:*"
        raise AssertionError(f"no ARN for {kind}")

    # -- policies --------------------------------------------------------------------------------------------------

    def principal(self, name: str, role_logical_id: str) -> Principal:
        return Principal(name=name, role_logical_id=role_logical_id,
                         role_arn=self._get_att(role_logical_id, "Arn"))

    def identity_statements(self, principal: Principal) -> list[tuple[str, Statement]]:
        """(policy logical id, resolved statement) of every inline policy attached to the principal's role."""
        found: list[tuple[str, Statement]] = []
        for logical_id, resource in self._resources.items():
            if resource["Type"] == "AWS::IAM::Policy" and \
                    {"Ref": principal.role_logical_id} in resource["Properties"]["Roles"]:
                found += [(logical_id, self.resolve(s)) for s in resource["Properties"]["PolicyDocument"]["Statement"]]
        role = self._resources[principal.role_logical_id]["Properties"]
        for policy in role.get("Policies", []):
            found += [(principal.role_logical_id, self.resolve(s)) for s in policy["PolicyDocument"]["Statement"]]
        return found

    def managed_policies(self, principal: Principal) -> list[str]:
        role = self._resources[principal.role_logical_id]["Properties"]
        return [self._plain(arn).rsplit("/", 1)[-1] for arn in role.get("ManagedPolicyArns", [])]

    def key_policy(self, key_arn: str) -> list[Statement]:
        for logical_id, resource in self._resources.items():
            if resource["Type"] == "AWS::KMS::Key" and self.key_arn(logical_id) == key_arn:
                return [self.resolve(s) for s in resource["Properties"]["KeyPolicy"]["Statement"]]
        raise AssertionError(f"no key of the template is {key_arn}")

    def bucket_policy(self, bucket: str) -> list[Statement]:
        statements: list[Statement] = []
        for resource in self._resources.values():
            if resource["Type"] == "AWS::S3::BucketPolicy" and \
                    self.resolve(resource["Properties"]["Bucket"]) == bucket:
                statements += [self.resolve(s) for s in resource["Properties"]["PolicyDocument"]["Statement"]]
        return statements

    def table_partition_key(self, table_arn: str) -> str | None:
        for logical_id, resource in self._resources.items():
            if resource["Type"] == "AWS::DynamoDB::Table" and self._get_att(logical_id, "Arn") == table_arn:
                (hash_key,) = [k["AttributeName"] for k in resource["Properties"]["KeySchema"]
                               if k["KeyType"] == "HASH"]
                return str(hash_key)
        return None

    def state_machine_key(self, state_machine_arn: str) -> str | None:
        for logical_id, resource in self._resources.items():
            if resource["Type"] == "AWS::StepFunctions::StateMachine" and self._ref(logical_id) == state_machine_arn:
                return str(self.resolve(resource["Properties"]["EncryptionConfiguration"]["KmsKeyId"]))
        return None

    def function_environment_key(self, function_arn: str) -> str | None:
        for logical_id, resource in self._resources.items():
            if resource["Type"] == "AWS::Lambda::Function" and self._get_att(logical_id, "Arn") == function_arn:
                key = resource["Properties"].get("KmsKeyArn")
                return str(self.resolve(key)) if key is not None else None
        return None

    def function_durable_key(self, function_arn: str) -> str | None:
        """The customer-managed key of a durable function's execution data (``DurableConfig.KMSKeyArn``)."""
        for logical_id, resource in self._resources.items():
            if resource["Type"] == "AWS::Lambda::Function" and self._get_att(logical_id, "Arn") == function_arn:
                key = resource["Properties"].get("DurableConfig", {}).get("KMSKeyArn")
                return str(self.resolve(key)) if key is not None else None
        return None

    def function_role(self, function_name: str) -> str:
        """The logical id of the role a deployed function runs as."""
        for logical_id, resource in self._resources.items():
            if resource["Type"] == "AWS::Lambda::Function" and self._ref(logical_id) == function_name:
                return str(resource["Properties"]["Role"]["Fn::GetAtt"][0])
        raise AssertionError(f"no function {function_name} in the templates")

    def role_named(self, role_name: str) -> str:
        for logical_id, resource in self._resources.items():
            if resource["Type"] == "AWS::IAM::Role" and self._ref(logical_id) == role_name:
                return logical_id
        raise AssertionError(f"no role {role_name} in the templates")

    def state_machine_role(self) -> str:
        (role,) = [r["Properties"]["RoleArn"]["Fn::GetAtt"][0] for r in self._resources.values()
                   if r["Type"] == "AWS::StepFunctions::StateMachine"]
        return str(role)

    def table_key(self, table_arn: str) -> str | None:
        for logical_id, resource in self._resources.items():
            if resource["Type"] == "AWS::DynamoDB::Table" and self._get_att(logical_id, "Arn") == table_arn:
                key = resource["Properties"]["SSESpecification"].get("KMSMasterKeyId")
                return str(self.resolve(key)) if key is not None else None
        return None


# -- evaluation ----------------------------------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def matches(pattern: str, value: str) -> bool:
    """IAM's wildcard match: ``*`` any run, ``?`` one character, case-sensitive."""
    return fnmatch.fnmatchcase(value, pattern)


def action_matches(statement: Statement, action: str) -> bool:
    return any(matches(pattern.lower(), action.lower()) for pattern in as_list(statement["Action"]))


def resource_matches(statement: Statement, resource: str) -> bool:
    return any(matches(pattern, resource) for pattern in as_list(statement.get("Resource", "*")))


def conditions_hold(statement: Statement, context: Mapping[str, Any]) -> bool:
    for operator, pairs in statement.get("Condition", {}).items():
        for key, expected in pairs.items():
            if not _condition(operator, key, as_list(expected), context):
                return False
    return True


def _condition(operator: str, key: str, expected: list[Any], context: Mapping[str, Any]) -> bool:
    present = key in context
    if operator == "Null":
        return (not present) == (str(expected[0]).lower() == "true")
    if operator.startswith("ForAllValues:"):
        inner = operator.removeprefix("ForAllValues:")
        return all(_condition(inner, key, expected, {key: value}) for value in as_list(context.get(key, [])))
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if not present:
        return if_exists or base in _NEGATED
    actual = context[key]
    values = [str(item) for item in as_list(actual)]
    if base in ("StringEquals", "ArnEquals"):
        return any(v == str(e) for v in values for e in expected)
    if base in ("StringLike", "ArnLike"):
        return any(matches(str(e), v) for v in values for e in expected)
    if base in ("StringNotEquals", "ArnNotEquals"):
        return all(v != str(e) for v in values for e in expected)
    if base == "Bool":
        return any(str(actual).lower() == str(e).lower() for e in expected)
    if base == "NumericLessThan":
        return any(float(actual) < float(e) for e in expected)
    raise UnsupportedCondition(f"condition operator {operator} is not understood by the IAM check")


_NEGATED = frozenset({"StringNotEquals", "ArnNotEquals"})


def statement_applies(statement: Statement, action: str, resource: str, context: Mapping[str, Any]) -> bool:
    return action_matches(statement, action) and resource_matches(statement, resource) and \
        conditions_hold(statement, context)


def principal_matches(statement: Statement, principal_arn: str, account: str) -> bool:
    principal = statement.get("Principal", {})
    if principal in ("*", {"AWS": "*"}):
        return True
    if not isinstance(principal, dict) or "AWS" not in principal:
        return False
    return any(arn in (principal_arn, f"arn:aws:iam::{account}:root") for arn in as_list(principal["AWS"]))


def denied(statements: Iterable[Statement], action: str, resource: str, context: Mapping[str, Any], *,
           principal_arn: str, account: str) -> list[Statement]:
    return [s for s in statements if s["Effect"] == "Deny" and principal_matches(s, principal_arn, account)
            and statement_applies(s, action, resource, context)]


def resource_policy_allows(statements: Iterable[Statement], action: str, context: Mapping[str, Any], *,
                           principal_arn: str, account: str) -> bool:
    return any(s["Effect"] == "Allow" and principal_matches(s, principal_arn, account)
               and statement_applies(s, action, "*", context) for s in statements)
