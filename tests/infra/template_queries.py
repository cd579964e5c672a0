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


def render(value: Any) -> str:
    """An intrinsic-bearing value as readable text: ``Ref`` and ``Fn::GetAtt`` as ``${...}``, joins joined,
    ``Fn::Sub`` as written (placeholders stay ``${AWS::AccountId}``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join(render(item) for item in value)
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref":
            return f"${{{argument}}}"
        if function == "Fn::GetAtt":
            return "${" + ".".join(argument) + "}"
        if function == "Fn::Join":
            separator, parts = argument
            return str(separator).join(render(part) for part in parts)
        if function == "Fn::Sub":
            return str(argument if isinstance(argument, str) else argument[0])
        if function == "Fn::ImportValue":
            return f"${{import:{render(argument)}}}"
    raise ValueError(f"unexpected intrinsic in a template value: {value!r}")


def key_policies(synthesis: Synthesis) -> dict[str, list[dict[str, Any]]]:
    """Key alias name (``payload``, ``data``, ``logs``, ``state-machine``) -> its key policy's statements."""
    aliases = {props(alias)["TargetKeyId"]["Fn::GetAtt"][0]: props(alias)["AliasName"].rsplit("/", 1)[-1]
               for _, _, alias in resources(synthesis, "AWS::KMS::Alias")}
    return {aliases[logical_id]: props(key)["KeyPolicy"]["Statement"]
            for _, logical_id, key in resources(synthesis, "AWS::KMS::Key")}


def decryptors(synthesis: Synthesis) -> dict[str, list[str]]:
    """Per key, every principal the key policy lets decrypt (rendered ARNs), read from the template: the role ARNs
    of the ``KeyUse`` statement, the deployer (only through its service) and the AWS services bound by their own
    conditions."""
    result: dict[str, list[str]] = {}
    for alias, statements in key_policies(synthesis).items():
        principals: list[str] = []
        for statement in statements:
            if statement["Effect"] != "Allow" or "kms:Decrypt" not in as_list(statement["Action"]):
                continue
            principal = statement["Principal"]
            if "Service" in principal:
                principals.append(f"service {render(principal['Service'])} (bound: "
                                  f"{', '.join(sorted(k for c in statement['Condition'].values() for k in c))})")
                continue
            arns = statement["Condition"]["ArnEquals"]["aws:PrincipalArn"]
            via = statement["Condition"].get("StringEquals", {}).get("kms:ViaService")
            for arn in as_list(arns):
                principals.append(render(arn) + (f" (only through {render(via)})" if via else ""))
        result[alias] = principals
    return result


if __name__ == "__main__":  # python -m tests.infra.template_queries: the decryptors of each key, both egress modes
    import tempfile
    from pathlib import Path

    from infra.onboarding import onboarding_sources
    from infra.synthesis import project_context, synthesize

    for mode in ("nat", "privatelink"):
        with tempfile.TemporaryDirectory() as outdir:
            synthesized = synthesize({**project_context(), "egress_mode": mode}, outdir=Path(outdir),
                                     sources=onboarding_sources())
        print(f"== {mode}")
        for alias, principals in decryptors(synthesized).items():
            print(f"{alias}:")
            for principal in principals:
                print(f"  - {principal}")
