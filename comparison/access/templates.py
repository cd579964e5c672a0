"""A deployment's synthesized CloudFormation templates, read as data: resources, names, ARNs and references.

Intrinsic functions are resolved to plain strings so that a policy's ``Resource`` and the resource it names compare
equal: ``Ref`` and ``Fn::GetAtt`` by resource type (a bucket's ``Arn`` is ``arn:aws:s3:::<BucketName>``), ``Fn::Join``,
``Fn::Sub``, ``Fn::Select``, ``Fn::Split`` and ``Fn::ImportValue`` (followed to the exporting stack's output).
What a template cannot know stays a placeholder: ``${AWS::AccountId}``, ``${AWS::Region}``, and ``{Stack/LogicalId}``
for a generated name or id. The partition is ``aws``.

Input: the templates of one synthesis, keyed by stack id (``{"Foundation": {...}, ...}``), e.g.
``infra.synthesis.Synthesis.templates`` or :func:`load_assembly` of a ``cdk.out`` directory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNT = "${AWS::AccountId}"
REGION = "${AWS::Region}"
PARTITION = "aws"
_PSEUDO = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": PARTITION,
           "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass(frozen=True)
class Resource:
    stack: str
    logical_id: str
    type: str
    properties: Mapping[str, Any]

    @property
    def id(self) -> str:
        """``Stack/LogicalId``: unique across the templates."""
        return f"{self.stack}/{self.logical_id}"


class TemplateSet:
    """Every resource of a set of templates, with intrinsic functions resolved."""

    def __init__(self, templates: Mapping[str, Mapping[str, Any]]) -> None:
        self.templates = {stack: dict(template) for stack, template in templates.items()}
        self._resources = {
            (stack, logical_id): Resource(stack, logical_id, str(body.get("Type", "")), body.get("Properties") or {})
            for stack, template in self.templates.items()
            for logical_id, body in (template.get("Resources") or {}).items()
        }
        self._exports: dict[str, tuple[str, Any]] = {}
        for stack, template in self.templates.items():
            for output in (template.get("Outputs") or {}).values():
                name = (output.get("Export") or {}).get("Name")
                if name is not None:
                    self._exports[str(self.resolve(stack, name))] = (stack, output.get("Value"))

    def resources(self, *types: str) -> Iterator[Resource]:
        """The resources of the given CloudFormation types (every resource when none is given), in template order."""
        for resource in self._resources.values():
            if not types or resource.type in types:
                yield resource

    def get(self, stack: str, logical_id: str) -> Resource | None:
        return self._resources.get((stack, logical_id))

    # -- names and ARNs ------------------------------------------------------------------------------------------

    def name(self, resource: Resource) -> str:
        """The resource's physical name: its name property when the template sets one, else a placeholder."""
        prop = _NAME_PROPERTY.get(resource.type)
        value = resource.properties.get(prop) if prop else None
        return str(self.resolve(resource.stack, value)) if value is not None else "{" + resource.id + "}"

    def arn(self, resource: Resource) -> str:
        """``Fn::GetAtt [resource, Arn]`` as a string."""
        name = self.name(resource)
        build = _ARNS.get(resource.type)
        return build(name) if build else "{" + resource.id + ".Arn}"

    def ref(self, resource: Resource) -> str:
        """``Ref resource``: a name, an id or an ARN depending on the type (as CloudFormation documents it)."""
        if resource.type in _REF_IS_ARN:
            return self.arn(resource)
        if resource.type in _NAME_PROPERTY:
            return self.name(resource)
        return "{" + resource.id + "}"

    def attribute(self, resource: Resource, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(resource)
        if attribute in ("Name", "LogGroupName", "TableName", "BucketName", "RoleName", "FunctionName"):
            return self.name(resource)
        if attribute == "KeyId":
            return "{" + resource.id + "}"
        return "{" + f"{resource.id}.{attribute}" + "}"

    # -- intrinsic functions -------------------------------------------------------------------------------------

    def resolve(self, stack: str, value: Any) -> Any:
        """``value`` with every intrinsic function resolved (strings, lists and objects keep their shape)."""
        if isinstance(value, list):
            return [item for item in (self.resolve(stack, v) for v in value) if item is not None]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(function, argument)] = value.items()
            handler = _FUNCTIONS.get(function)
            if handler is not None:
                return handler(self, stack, argument)
        return {key: self.resolve(stack, item) for key, item in value.items()}

    def _ref(self, stack: str, name: str) -> Any:
        if name in _PSEUDO:
            return _PSEUDO[name]
        resource = self.get(stack, name)
        return self.ref(resource) if resource else "${" + name + "}"  # a template parameter

    def _get_att(self, stack: str, argument: Any) -> str:
        logical_id, attribute = argument if isinstance(argument, list) else str(argument).split(".", 1)
        resource = self.get(stack, str(logical_id))
        return self.attribute(resource, str(attribute)) if resource else "{" + f"{stack}/{logical_id}.{attribute}" + "}"

    def _join(self, stack: str, argument: list[Any]) -> str:
        separator, items = argument
        return str(separator).join(_text(self.resolve(stack, item)) for item in self.resolve(stack, items))

    def _sub(self, stack: str, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        local = {key: self.resolve(stack, item) for key, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return _text(local[name])
            if "." in name and name.split(".", 1)[0] not in _PSEUDO:
                return self._get_att(stack, name)
            return _text(self._ref(stack, name))

        return _SUB.sub(replace, text)

    def _import(self, stack: str, argument: Any) -> Any:
        name = _text(self.resolve(stack, argument))
        exported = self._exports.get(name)
        return self.resolve(*exported) if exported else "{import:" + name + "}"

    def _select(self, stack: str, argument: list[Any]) -> Any:
        index, items = argument
        resolved = self.resolve(stack, items)
        position = int(self.resolve(stack, index))
        return resolved[position] if isinstance(resolved, list) and position < len(resolved) else None

    def _split(self, stack: str, argument: list[Any]) -> list[str]:
        separator, text = argument
        return _text(self.resolve(stack, text)).split(str(separator))

    def _get_azs(self, stack: str, argument: Any) -> list[str]:
        return [f"{REGION}{letter}" for letter in "abcdef"]  # which zones is the account's: placeholders

    # -- references ----------------------------------------------------------------------------------------------

    def referrers(self, target: Resource) -> list[Resource]:
        """The resources whose properties name ``target`` (``Ref``/``Fn::GetAtt`` in its stack, or an import of one
        of its stack's exports that does)."""
        exports = {name for name, (stack, value) in self._exports.items()
                   if stack == target.stack and _names(value, target.logical_id)}
        return [resource for resource in self._resources.values() if resource is not target and (
            (resource.stack == target.stack and _names(resource.properties, target.logical_id))
            or _imports(resource.properties, exports))]


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return "" if value is None else str(value)


def _names(node: Any, logical_id: str) -> bool:
    if isinstance(node, dict):
        if node.get("Ref") == logical_id:
            return True
        attribute = node.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and attribute[0] == logical_id:
            return True
        return any(_names(value, logical_id) for value in node.values())
    if isinstance(node, list):
        return any(_names(item, logical_id) for item in node)
    return False


def _imports(node: Any, exports: set[str]) -> bool:
    if not exports:
        return False
    if isinstance(node, dict):
        if isinstance(node.get("Fn::ImportValue"), str) and node["Fn::ImportValue"] in exports:
            return True
        return any(_imports(value, exports) for value in node.values())
    if isinstance(node, list):
        return any(_imports(item, exports) for item in node)
    return False


def load_assembly(directory: Path) -> dict[str, dict[str, Any]]:
    """The stack templates of a cloud assembly (``cdk.out/<mode>``), keyed by stack id (its display name)."""
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    templates: dict[str, dict[str, Any]] = {}
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_file = artifact.get("properties", {}).get("templateFile", f"{artifact_id}.template.json")
        stack_id = str(artifact.get("displayName") or artifact_id).split("/")[-1]
        templates[stack_id] = json.loads((directory / template_file).read_text(encoding="utf-8"))
    return templates


_NAME_PROPERTY = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::IAM::Role": "RoleName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::ECS::Cluster": "ClusterName",
}
_REF_IS_ARN = frozenset({"AWS::StepFunctions::StateMachine", "AWS::SecretsManager::Secret",
                         "AWS::ECS::TaskDefinition", "AWS::IAM::ManagedPolicy"})
_ARNS = {
    "AWS::S3::Bucket": lambda name: f"arn:{PARTITION}:s3:::{name}",
    "AWS::DynamoDB::Table": lambda name: f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
    "AWS::Logs::LogGroup": lambda name: f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
    "AWS::Lambda::Function": lambda name: f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}",
    "AWS::StepFunctions::StateMachine": lambda name: f"arn:{PARTITION}:states:{REGION}:{ACCOUNT}:stateMachine:{name}",
    "AWS::IAM::Role": lambda name: f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
    "AWS::KMS::Key": lambda name: f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/{name}",
    "AWS::SecretsManager::Secret": lambda name: f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}",
}
_FUNCTIONS: dict[str, Any] = {
    "Ref": TemplateSet._ref,
    "Fn::GetAtt": TemplateSet._get_att,
    "Fn::Join": TemplateSet._join,
    "Fn::Sub": TemplateSet._sub,
    "Fn::ImportValue": TemplateSet._import,
    "Fn::Select": TemplateSet._select,
    "Fn::Split": TemplateSet._split,
    "Fn::GetAZs": TemplateSet._get_azs,
}
