"""The cost assumptions that a deployment's synthesized CloudFormation templates state exactly.

Worker size, count and architecture (the ECS task definition, service and scalable target), Lambda memory and
architecture (every ``AWS::Lambda::Function`` of the templates' task functions), NAT gateways, interface endpoints and
availability zones. Each becomes an entry replacement for :meth:`comparison.cost.assumptions.Assumptions.replaced`
(origin ``deployment``); a figure the templates leave open (several task definitions, functions of different sizes,
an intrinsic value) is left to the assumptions file, never guessed.

Input: the templates of one synthesis, keyed by stack id (``{"Workers": {...}, ...}``).
:func:`report_assumptions` layers these over the assumptions file, with the overrides and measurements.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from comparison.cost.assumptions import (
    CONTEXT_KEY,
    AssumptionError,
    Assumptions,
    Origin,
    load_assumptions,
    overrides_from,
)

Templates = Mapping[str, Mapping[str, Any]]

_ARCH = {"X86_64": "x86_64", "ARM64": "arm64", "x86_64": "x86_64", "arm64": "arm64"}


def deployment_values(templates: Templates, *, functions: frozenset[str] | None = None) -> dict[str, dict[str, Any]]:
    """Entry name -> replacement (``{"value": ...}`` or cases), for what the templates fix.

    ``functions``: the Lambda ``FunctionName`` values priced as task invocations (default: every function with a
    literal name); CDK's own helper functions are not the process's.
    """
    values: dict[str, dict[str, Any]] = {}
    values.update(_worker(templates))
    values.update(_lambdas(templates, functions))
    values.update(_network(templates))
    return values


def _resources(templates: Templates, kind: str) -> Iterator[Mapping[str, Any]]:
    for template in templates.values():
        for resource in template.get("Resources", {}).values():
            if resource.get("Type") == kind:
                yield resource.get("Properties", {})


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None  # an intrinsic function or a missing value: not stated by the template


def _worker(templates: Templates) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    tasks = list(_resources(templates, "AWS::ECS::TaskDefinition"))
    if len(tasks) == 1:
        task = tasks[0]
        cpu, memory = _number(task.get("Cpu")), _number(task.get("Memory"))
        if cpu:
            result["temporal.worker_vcpu"] = {"value": cpu / 1024}
        if memory:
            result["temporal.worker_memory_gb"] = {"value": memory / 1024}
        arch = _ARCH.get(str(task.get("RuntimePlatform", {}).get("CpuArchitecture", "")))
        if arch:
            result["temporal.worker_arch"] = {"value": arch}
    services = list(_resources(templates, "AWS::ECS::Service"))
    targets = [t for t in _resources(templates, "AWS::ApplicationAutoScaling::ScalableTarget")
               if t.get("ScalableDimension") == "ecs:service:DesiredCount"]
    desired = _number(services[0].get("DesiredCount")) if len(services) == 1 else None
    if desired is not None:
        high = _number(targets[0].get("MaxCapacity")) if len(targets) == 1 else None
        result["temporal.worker_tasks"] = {"low": int(desired), "typical": int(desired),
                                           "high": int(high if high is not None else desired)}
    return result


def _lambdas(templates: Templates, functions: frozenset[str] | None) -> dict[str, dict[str, Any]]:
    named = [f for f in _resources(templates, "AWS::Lambda::Function")
             if isinstance(f.get("FunctionName"), str) and (functions is None or f["FunctionName"] in functions)]
    result: dict[str, dict[str, Any]] = {}
    # A function with a DurableConfig is the durable architecture's; the others are Step Functions' tasks.
    for engine, chosen in (("stepfunctions", [f for f in named if "DurableConfig" not in f]),
                           ("durable", [f for f in named if "DurableConfig" in f])):
        memories = [_number(f.get("MemorySize", 128)) for f in chosen]
        if chosen and all(m is not None for m in memories):
            result[f"{engine}.lambda_memory_mb"] = {"value": statistics.fmean(m for m in memories if m is not None)}
        arches = {_ARCH.get(str((f.get("Architectures") or ["x86_64"])[0])) for f in chosen}
        if len(arches) == 1 and None not in arches:
            result[f"{engine}.lambda_arch"] = {"value": arches.pop()}
    durable = [f for f in named if isinstance(f.get("DurableConfig"), dict)]
    retention = {_number(f["DurableConfig"].get("RetentionPeriodInDays", 14)) for f in durable}
    if len(retention) == 1 and None not in retention:
        result["durable.retention_days"] = {"value": retention.pop()}
    return result


def _network(templates: Templates) -> dict[str, dict[str, Any]]:
    nats = sum(1 for _ in _resources(templates, "AWS::EC2::NatGateway"))
    interfaces = {str(e.get("ServiceName")) for e in _resources(templates, "AWS::EC2::VPCEndpoint")
                  if e.get("VpcEndpointType") == "Interface"}
    subnets = list(_resources(templates, "AWS::EC2::Subnet"))
    if not subnets:
        return {}
    zones = {repr(s.get("AvailabilityZone")) for s in subnets}
    values = {"egress": "nat" if nats else "privatelink", "nat_gateways": nats,
              "interface_endpoints": len(interfaces), "azs": len(zones)}
    return {f"{engine}.network.{field}": {"value": value}
            for engine in ("temporal", "stepfunctions", "durable") for field, value in values.items()}


def report_assumptions(
    templates: Templates | None = None, *, templates_source: str = "the synthesized templates",
    context: Mapping[str, Any] | None = None, overrides_file: Path | None = None,
    measured: Mapping[str, Mapping[str, Any]] | None = None,
) -> Assumptions:
    """The assumptions a report prices, layered: the dated file, what ``templates`` fix (origin ``deployment``),
    the cdk.json ``context`` key :data:`~comparison.cost.assumptions.CONTEXT_KEY` and ``overrides_file``
    (``override``), then ``measured`` values (``make audit``). Raises :class:`AssumptionError` naming the entry."""
    result = load_assumptions()
    if templates is not None:
        result = result.replaced(deployment_values(templates), origin=Origin.DEPLOYMENT, source=templates_source)
    if context is not None and context.get(CONTEXT_KEY) is not None:
        result = result.replaced(overrides_from(context[CONTEXT_KEY], where=f"cdk.json context {CONTEXT_KEY}"),
                                 origin=Origin.OVERRIDE, source=f"cdk.json context {CONTEXT_KEY}")
    if overrides_file is not None:
        try:
            raw = json.loads(overrides_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise AssumptionError(f"--cost-assumptions {overrides_file.name}: not a readable JSON file "
                                  f"({type(error).__name__})") from None
        result = result.replaced(overrides_from(raw, where=overrides_file.name), origin=Origin.OVERRIDE,
                                 source=f"--cost-assumptions {overrides_file.name}")
    if measured:
        result = result.replaced(measured, origin=Origin.MEASURED, source="measured by make audit")
    return result
