"""Small readers over synthesized CloudFormation templates (plain dicts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infra.synthesis import Synthesis

Resource = dict[str, Any]


def resources(synthesis: Synthesis, type_: str) -> Iterator[tuple[str, str, Resource]]:
    """(stack id, logical id, resource) for every resource of the type, across all stacks."""
    for stack, template in synthesis.templates.items():
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] == type_:
                yield stack, logical_id, resource


def props(resource: Resource) -> dict[str, Any]:
    properties: dict[str, Any] = resource.get("Properties", {})
    return properties


def all_types(synthesis: Synthesis) -> set[str]:
    return {resource["Type"] for template in synthesis.templates.values()
            for resource in template.get("Resources", {}).values()}


def policy_statements(synthesis: Synthesis) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every statement of every IAM policy document: identity policies, inline role policies, bucket policies."""
    for stack, logical_id, resource in resources(synthesis, "AWS::IAM::Policy"):
        for statement in props(resource)["PolicyDocument"]["Statement"]:
            yield f"{stack}/{logical_id}", statement
    for stack, logical_id, resource in resources(synthesis, "AWS::IAM::ManagedPolicy"):
        for statement in props(resource)["PolicyDocument"]["Statement"]:
            yield f"{stack}/{logical_id}", statement
    for stack, logical_id, resource in resources(synthesis, "AWS::IAM::Role"):
        for policy in props(resource).get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                yield f"{stack}/{logical_id}", statement
    for stack, logical_id, resource in resources(synthesis, "AWS::S3::BucketPolicy"):
        for statement in props(resource)["PolicyDocument"]["Statement"]:
            yield f"{stack}/{logical_id}", statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def refers_to(value: Any, logical_id_prefix: str) -> bool:
    """Whether a (possibly intrinsic) value references a resource whose logical id starts with the prefix,
    directly (Ref/GetAtt) or through a cross-stack export name."""
    text = repr(value)
    return logical_id_prefix in text
