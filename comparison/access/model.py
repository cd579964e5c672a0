"""The access surface as the report keeps it (``access`` in ``reports/comparison.json``)::

    access
      source                   which templates were read ("synthesized templates, egress mode nat")
      limits[]                 what the evaluation cannot see (SCPs, permissions boundaries, grants made at run time)
      principals[]             {id, label, kind, detail}: every principal that reads some store
      <engine>                 one per engine, e.g. "temporal", "stepfunctions"
        operator               who runs the engine's service ("Temporal Cloud", "AWS")
        operator_holds_key     whether that operator can decrypt any store of the engine
        stores[]
          store                the place ("claim-check objects", "execution history", ...)
          holds                what of an applicant's data it holds
          resources[]          the template resources (Stack/LogicalId)
          key                  the key that protects it ("customer managed key alias/x/data", "AWS owned key")
          key_kind             customer_managed | aws_managed | aws_owned | client_side | none
          operator             {name, holds_key, how}
          readers[]            {principal, principal_id, kind, via, conditions[]}: who can read it in clear

``kind`` of a principal: ``role`` (a role of the templates), ``external`` (an ARN a policy names that no template
defines), ``account`` (every other IAM principal of the account, as far as their own IAM policies allow),
``service`` (an AWS service principal), ``anyone`` (``"*"``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_serializer, model_validator

from comparison.models import Engine


class PrincipalKind(StrEnum):
    ROLE = "role"
    EXTERNAL = "external"
    ACCOUNT = "account"
    SERVICE = "service"
    ANYONE = "anyone"


class KeyKind(StrEnum):
    CUSTOMER_MANAGED = "customer_managed"
    AWS_MANAGED = "aws_managed"
    AWS_OWNED = "aws_owned"
    CLIENT_SIDE = "client_side"  # encrypted before it reaches the service, with a key the service never holds
    NONE = "none"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Reader(_Frozen):
    principal: str  # its label
    principal_id: str  # PrincipalInfo.id
    kind: PrincipalKind
    via: str
    conditions: list[str] = []

    @property
    def conditional(self) -> bool:
        return bool(self.conditions)


class Operator(_Frozen):
    name: str
    holds_key: bool
    how: str


class StoreAccess(_Frozen):
    store: str
    holds: str
    resources: list[str]
    key: str
    key_kind: KeyKind
    operator: Operator
    readers: list[Reader]


class EngineAccess(_Frozen):
    operator: str
    operator_holds_key: bool
    stores: list[StoreAccess]


class PrincipalInfo(_Frozen):
    id: str
    label: str
    kind: PrincipalKind
    detail: str = ""


class AccessSurface(_Frozen):
    """Who can read each store of each engine, computed from templates (:func:`comparison.access.evaluate`).
    Serialized with the engines as keys beside ``source``, ``limits`` and ``principals``."""

    source: str
    limits: list[str]
    principals: list[PrincipalInfo]
    engines: dict[Engine, EngineAccess]

    @model_serializer(mode="wrap")
    def _flat(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        engines = data.pop("engines")
        return {**data, **engines}

    @model_validator(mode="before")
    @classmethod
    def _unflatten(cls, data: Any) -> Any:
        if isinstance(data, dict) and "engines" not in data:
            known = {"source", "limits", "principals"}
            return {**{k: v for k, v in data.items() if k in known},
                    "engines": {k: v for k, v in data.items() if k not in known}}
        return data

    def principal_label(self, principal_id: str) -> str:
        return next((p.label for p in self.principals if p.id == principal_id), principal_id)
