"""The access surface of a deployment: for each store of each engine, who can read it in clear, through which key
and under which conditions, and whether the service's operator holds a key.

A process's binding says which resources are its stores (:class:`StoreSpec`); this module evaluates them over the
synthesized templates (:class:`~comparison.access.evaluate.AccessModel`) and returns the report's
:class:`~comparison.access.model.AccessSurface`. Nothing here is written by hand per deployment: change a policy in
the templates and the readers change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from comparison.access.evaluate import AccessModel, Decision, Grant, Principal, pretty
from comparison.access.model import (
    AccessSurface,
    EngineAccess,
    KeyKind,
    Operator,
    PrincipalInfo,
    PrincipalKind,
    Reader,
    StoreAccess,
)
from comparison.access.services import RESOURCE_TYPES, KeyUse, ReadPath, StoreKind, read_path
from comparison.access.templates import Resource, TemplateSet
from comparison.models import Engine

Selector = Callable[[Resource, TemplateSet], bool]

LIMITS = (
    "Evaluated from the templates alone: service control policies, permissions boundaries, session policies and KMS "
    "grants created at run time (services create some for their own use) are not in them.",
    "Reads are assumed to use TLS 1.2 or later; conditions on anything else the templates cannot know (source IP, "
    "VPC endpoint, tags, time) are listed as conditions.",
    "A principal outside the templates (\"other IAM principals of the account\") reads only where its own IAM "
    "policy also allows it: the condition says so.",
    "A NotPrincipal naming a role is taken to exempt the role's sessions (AWS also wants the assumed-role session "
    "ARN listed): where they differ, the surface lists a reader AWS would refuse, never the reverse.",
)


@dataclass(frozen=True)
class StoreSpec:
    """Where a process's data can be read: ``store`` names it (``{name}`` is replaced by the resource's name when
    ``per_resource``), ``holds`` says what of the data it holds, ``select`` picks its resources of the kind's
    CloudFormation type, ``operator`` runs the service that holds it."""

    store: str
    holds: str
    kind: StoreKind
    engines: tuple[Engine, ...]
    select: Selector = lambda resource, templates: True
    per_resource: bool = False
    operator: str = "AWS"
    encryption_context: Mapping[str, str] = field(default_factory=dict)


_IAM_ACCOUNT = re.compile(r"arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")


def accounts_named(value: Any) -> frozenset[str]:
    """The account ids of every IAM ARN in ``value`` (strings, lists and mappings, e.g. a cdk.json context): the
    accounts a deployment's configuration names its own roles in."""
    if isinstance(value, str):
        return frozenset(_IAM_ACCOUNT.findall(value))
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, list | tuple) else ()
    return frozenset(account for item in items for account in accounts_named(item))


def access_surface(templates: TemplateSet, specs: Sequence[StoreSpec], operators: Mapping[Engine, str], *,
                   source: str, own_accounts: frozenset[str] = frozenset()) -> AccessSurface:
    """Evaluate every store of ``specs``; ``operators``: who runs each engine's own service; ``own_accounts``: literal
    account ids that are the deployment's own (see :class:`~comparison.access.evaluate.AccessModel`)."""
    model = AccessModel(templates, own_accounts)
    stores: dict[Engine, list[StoreAccess]] = {engine: [] for engine in operators}
    for spec in specs:
        resources = [r for r in templates.resources(RESOURCE_TYPES[spec.kind]) if spec.select(r, templates)]
        groups = [[r] for r in resources] if spec.per_resource else ([resources] if resources else [])
        for group in groups:
            item = _store(model, spec, group)
            for engine in spec.engines:
                if engine in stores:
                    stores[engine].append(item)
    used = {reader.principal_id for items in stores.values() for store in items for reader in store.readers}
    principals = [PrincipalInfo(id=p.id, label=p.label, kind=p.kind, detail=pretty(p.detail))
                  for p in model.principals if p.id in used]
    return AccessSurface(
        source=source, limits=list(LIMITS), principals=principals,
        engines={engine: EngineAccess(
            operator=operators[engine],
            operator_holds_key=any(s.operator.holds_key for s in stores[engine]
                                   if s.operator.name == operators[engine]),
            stores=stores[engine]) for engine in operators},
    )


def _store(model: AccessModel, spec: StoreSpec, resources: Sequence[Resource]) -> StoreAccess:
    t = model.templates
    paths = [(resource, read_path(spec.kind, resource, t, spec.encryption_context)) for resource in resources]
    readers: dict[str, tuple[Principal, list[Decision], list[str]]] = {}
    for resource, path in paths:
        for principal in model.principals:
            decision = _read(model, principal, path)
            if decision is not None:
                entry = readers.setdefault(principal.id, (principal, [], []))
                entry[1].append(decision)
                entry[2].append(t.name(resource))
    name = t.name(resources[0]) if len(resources) == 1 else f"{len(resources)} resources"
    keys = sorted({model.key_label(p.key) for _, p in paths if p.key is not None})
    first = paths[0][1]
    return StoreAccess(
        store=spec.store.replace("{name}", name),
        holds=spec.holds,
        resources=[r.id for r in resources],
        key=_key_text(first, keys),
        key_kind=first.key_kind,
        operator=_operator(model, spec, [p for _, p in paths]),
        readers=[_reader(principal, decisions, names, len(resources))
                 for principal, decisions, names in _ordered(readers.values())],
    )


def _read(model: AccessModel, principal: Principal, path: ReadPath) -> Decision | None:
    """The decision for one principal on one store, ``None`` when it cannot read it."""
    parts: list[Decision] = []
    if path.data is not None:
        parts.append(model.data_read(principal, path.data))
    if path.key_use is not None:
        parts.append(model.key_use(principal, path.key_use))
    if not parts or any(not part.allowed for part in parts):
        return None
    vias = [part.grant.via for part in parts if part.grant]
    conditions = [c for part in parts for c in part.conditions()]
    return Decision(Grant("; ".join(vias), tuple(dict.fromkeys(conditions))))


def _reader(principal: Principal, decisions: Sequence[Decision], names: Sequence[str], total: int) -> Reader:
    best = min(decisions, key=lambda d: len(d.conditions()))
    via = pretty(best.grant.via if best.grant else "")
    if total > 1:
        via += f" ({len(names)} of {total})" if len(names) < total else f" (all {total})"
    return Reader(principal=principal.label, principal_id=principal.id, kind=principal.kind, via=via,
                  conditions=[pretty(c) for c in best.conditions()])


_KIND_ORDER = {PrincipalKind.ROLE: 0, PrincipalKind.EXTERNAL: 1, PrincipalKind.ACCOUNT: 2, PrincipalKind.SERVICE: 3,
               PrincipalKind.ANYONE: 4}


Found = tuple[Principal, list[Decision], list[str]]


def _ordered(items: Iterable[Found]) -> list[Found]:
    return sorted(items, key=lambda item: (_KIND_ORDER[item[0].kind], item[0].label))


def _key_text(path: ReadPath, keys: Sequence[str]) -> str:
    if path.key_kind is KeyKind.CLIENT_SIDE:
        return f"client-side envelope under customer managed key {', '.join(keys)}"
    if path.key_kind is KeyKind.CUSTOMER_MANAGED and keys:
        return f"customer managed key {', '.join(keys)}"
    return path.key_note


def _operator(model: AccessModel, spec: StoreSpec, paths: Sequence[ReadPath]) -> Operator:
    path = paths[0]
    if path.key_kind is KeyKind.CLIENT_SIDE:
        assert path.key_use is not None
        holders = model.holders(path.key_use)
        outside = [p.label for p, _ in holders if not model.inside(p)]
        if outside:
            return Operator(name=spec.operator, holds_key=True,
                            how=f"possibly: {', '.join(outside)} may decrypt with {model.key_label(path.key_use.key)}")
        return Operator(name=spec.operator, holds_key=False, how=(
            f"payloads are encrypted before they leave the account; {spec.operator} is no principal of "
            f"{model.key_label(path.key_use.key)}: only {len(holders)} principal(s) of this account may decrypt "
            f"({', '.join(sorted(p.label for p, _ in holders))})"))
    if path.key_kind is not KeyKind.CUSTOMER_MANAGED or path.key is None:
        return Operator(name=spec.operator, holds_key=True, how=f"{spec.operator} holds the key: {path.key_note}")
    return Operator(name=spec.operator, holds_key=True, how=_service_paths(model, path))


def _service_paths(model: AccessModel, path: ReadPath) -> str:
    """How the AWS service that holds the data uses the customer managed key."""
    assert path.key is not None
    key = model.key_label(path.key)
    ways = []
    for statement in model.key_policies[path.key.id]:
        services = [ref.value for ref in statement.principals or () if ref.kind == "Service"]
        if statement.effect == "Allow" and services and statement.matches_action("kms:Decrypt"):
            ways.append(f"the key policy lets {', '.join(pretty(s) for s in services)} decrypt")
    if path.key_use is not None and path.key_use.via_service:
        ways.append(f"{path.key_use.via_service} decrypts with it for every caller allowed kms:Decrypt through it")
    if path.key_use is not None and path.key_use.via_service:
        service = f"{path.key_use.via_service}.amazonaws.com"
        direct = KeyUse(path.key_use.key, None, path.key_use.encryption_context)
        roles = sorted(p.label for p in model.principals
                       if service in p.assumed_by and model.key_use(p, direct).allowed)
        if roles:
            names = ", ".join(roles) if len(roles) <= 2 else f"{len(roles)} roles ({roles[0]}, ...)"
            ways.append(f"{service} assumes {names}, which may decrypt with it")
    return f"AWS operates the store and KMS; {key}: " + ("; ".join(ways) or "used by the service on callers' behalf")
