"""Who can read each store: every principal the templates define or name, evaluated against every policy that
decides a read (identity policies, the resource's policy, the KMS key policy), in three-valued logic.

A read is allowed when the data call is allowed (an identity policy, or a resource policy naming the principal)
and, where the store needs it, ``kms:Decrypt`` is allowed by the key policy (naming the principal, or delegating to
its account when an identity policy also allows it); an explicit ``Deny`` anywhere stops it. A condition the
templates cannot decide keeps the reader, with the condition listed. Principals:

- every ``AWS::IAM::Role`` (identity policies: inline, ``AWS::IAM::Policy``, customer and known AWS managed policies);
- every ARN a policy names (``Principal`` or an ``aws:PrincipalArn`` condition) that no template defines;
- the account's other IAM principals, whose own policies are outside the templates (a condition says so);
- service principals and ``*`` named by resource or key policies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from comparison.access.managed import managed_policy_statements
from comparison.access.model import PrincipalKind
from comparison.access.policy import (
    ABSENT,
    Context,
    ContextValue,
    Opaque,
    PrincipalRef,
    Statement,
    statements,
)
from comparison.access.services import DataRead, KeyUse
from comparison.access.templates import ACCOUNT, REGION, Resource, TemplateSet

_ACCOUNT = r"\d{12}|\$\{AWS::AccountId\}"
_ACCOUNT_ROOT = re.compile(rf"^(?:arn:aws[a-z-]*:iam::(?P<arn>{_ACCOUNT}):root|(?P<bare>{_ACCOUNT}))$")
_ARN_ACCOUNT = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(?P<account>[^:]+):")
_CDK_SUFFIX = re.compile(r"[0-9A-F]{8}$")


@dataclass(frozen=True)
class Principal:
    id: str
    kind: PrincipalKind
    label: str
    detail: str = ""
    arn: str | None = None
    account: str | None = None
    service: str | None = None
    policies: tuple[Statement, ...] = ()  # identity policies (roles of the templates)
    unevaluated: tuple[str, ...] = ()  # managed policies attached but not known
    assumed_by: tuple[str, ...] = ()  # the principals its trust policy allows (roles)


@dataclass(frozen=True)
class Grant:
    """One way a principal gets a permission: what allows it, and the conditions it still depends on."""

    via: str
    conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """``grant`` is the least conditional way the request is allowed (``None``: not allowed); ``unless`` lists the
    conditions of denies that may apply (the request is allowed only where they do not hold)."""

    grant: Grant | None
    unless: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.grant is not None

    def conditions(self) -> tuple[str, ...]:
        assert self.grant is not None
        return (*self.grant.conditions, *(f"not ({text})" for text in self.unless))


class AccessModel:
    """The principals and policies of a set of templates, ready to decide reads. ``own_accounts``: literal account
    ids that are the deployment's own (a policy naming ``arn:aws:iam::<id>:role/x`` for one of them names a principal
    of this account), e.g. the account ``make audit`` runs in, or the one the configuration names its roles in."""

    def __init__(self, templates: TemplateSet, own_accounts: frozenset[str] = frozenset()) -> None:
        self.templates = templates
        self.own_accounts = own_accounts
        self.key_policies = {
            key.id: tuple(statements(templates.resolve(key.stack, key.properties.get("KeyPolicy")),
                                     f"key policy of {self.key_label(key)}"))
            for key in templates.resources("AWS::KMS::Key")
        }
        self.roles = self._roles()
        self.principals = self._principals()

    # -- principals ----------------------------------------------------------------------------------------------

    def key_label(self, key: Resource) -> str:
        aliases = sorted(self.templates.name(alias) for alias in self.templates.resources("AWS::KMS::Alias")
                         if self.templates.resolve(alias.stack, alias.properties.get("TargetKeyId"))
                         in (self.templates.ref(key), self.templates.arn(key)))
        return aliases[0] if aliases else key.id

    def account(self, value: str | None) -> str | None:
        """An account id as the evaluation compares it: this account's placeholder for one of ``own_accounts``."""
        return ACCOUNT if value in self.own_accounts else value

    def inside(self, principal: Principal) -> bool:
        """Whether the principal belongs to this deployment's account (``anyone`` and other accounts do not)."""
        return principal.kind is not PrincipalKind.ANYONE and principal.account in (None, ACCOUNT)

    def _roles(self) -> list[Principal]:
        t = self.templates
        attached: dict[str, list[Statement]] = {}
        for policy in t.resources("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            document = t.resolve(policy.stack, policy.properties.get("PolicyDocument"))
            found = statements(document, f"IAM policy {_short(policy.logical_id)}")
            for role_name in t.resolve(policy.stack, policy.properties.get("Roles") or []):
                attached.setdefault(str(role_name), []).extend(found)
        managed = {t.ref(policy): policy for policy in t.resources("AWS::IAM::ManagedPolicy")}
        roles = []
        for role in t.resources("AWS::IAM::Role"):
            policies = list(attached.get(t.ref(role), []))
            for inline in role.properties.get("Policies") or []:
                policies += statements(t.resolve(role.stack, inline.get("PolicyDocument")),
                                       f"inline policy {inline.get('PolicyName', '')} of {_short(role.logical_id)}")
            unevaluated = []
            for arn in t.resolve(role.stack, role.properties.get("ManagedPolicyArns") or []):
                if str(arn) in managed:
                    continue  # its statements came with the AWS::IAM::ManagedPolicy's Roles
                known = managed_policy_statements(str(arn))
                if known is None:
                    unevaluated.append(str(arn))
                else:
                    policies += known
            trust = statements(t.resolve(role.stack, role.properties.get("AssumeRolePolicyDocument")), "trust")
            assumers = tuple(sorted({ref.value for s in trust if s.effect == "Allow" for ref in s.principals or ()}))
            label = self._role_label(role)
            detail = f"role {_short(role.logical_id)}, assumed by {', '.join(assumers) or 'nobody'}"
            roles.append(Principal(id=t.arn(role), kind=PrincipalKind.ROLE, label=label, detail=detail,
                                   arn=t.arn(role), account=ACCOUNT, policies=tuple(policies),
                                   unevaluated=tuple(unevaluated), assumed_by=assumers))
        return roles

    def _role_label(self, role: Resource) -> str:
        t = self.templates
        users = []
        for user in t.referrers(role):
            name = t.name(user) if "{" not in t.name(user) else _short(user.logical_id)
            if user.type == "AWS::Lambda::Function":
                users.append(f"Lambda {name}")
            elif user.type == "AWS::ECS::TaskDefinition":
                which = "task role" if _refers(user.properties.get("TaskRoleArn"), role.logical_id) else \
                    "task execution role"
                users.append(f"ECS task {_short(str(user.properties.get('Family', name)))} ({which})")
            elif user.type == "AWS::StepFunctions::StateMachine":
                users.append(f"state machine {name}")
            elif user.type == "AWS::EC2::FlowLog":
                users.append("VPC flow logs")
        return " and ".join(sorted(set(users))) or f"role {_short(role.logical_id)}"

    def _all_statements(self) -> Iterable[Statement]:
        for policies in self.key_policies.values():
            yield from policies
        for role in self.roles:
            yield from role.policies
        for policy in self.templates.resources("AWS::S3::BucketPolicy"):
            yield from statements(self.templates.resolve(policy.stack, policy.properties.get("PolicyDocument")), "")

    def _principals(self) -> list[Principal]:
        role_arns = {role.arn for role in self.roles}
        named: set[str] = set()
        services: set[str] = set()
        anyone = False
        for statement in self._all_statements():
            for ref in statement.principals or ():
                if ref.kind == "*":
                    anyone = anyone or statement.effect == "Allow"
                elif ref.kind == "Service":
                    services.add(ref.value)
                elif ref.kind == "AWS" and not _ACCOUNT_ROOT.match(ref.value) and ref.value not in role_arns:
                    named.add(ref.value)
            for condition in statement.conditions:
                if condition.key.lower() == "aws:principalarn":
                    named.update(v for v in condition.values if "*" not in v and "?" not in v
                                 and v not in role_arns and v.startswith("arn:"))
        externals = [Principal(id=arn, kind=PrincipalKind.EXTERNAL, label=pretty(arn), arn=arn,
                               account=self.account(_account_of(arn)),
                               detail="named by a policy, defined outside these templates")
                     for arn in sorted(named)]
        account = Principal(id="account", kind=PrincipalKind.ACCOUNT, account=ACCOUNT,
                            label="other IAM principals of the account",
                            detail="users and roles not defined by these templates (administrators, CI, break-glass)")
        result = [*self.roles, *externals, account]
        result += [Principal(id=f"service:{name}", kind=PrincipalKind.SERVICE, label=pretty(name), service=name)
                   for name in sorted(services)]
        if anyone:
            result.append(Principal(id="*", kind=PrincipalKind.ANYONE, label="anyone (*)"))
        return result

    # -- decisions -----------------------------------------------------------------------------------------------

    def context(self, principal: Principal, extra: Mapping[str, ContextValue]) -> dict[str, ContextValue]:
        """What a request of ``principal`` carries: TLS, its ARN and account as far as known, plus ``extra``."""
        context: dict[str, ContextValue] = {"aws:securetransport": ("true",)}
        if principal.kind is PrincipalKind.ACCOUNT:  # some principal of the account that no policy names
            context["aws:principalarn"] = Opaque(frozenset(p.arn for p in self.principals if p.arn))
        elif principal.arn:
            context["aws:principalarn"] = (principal.arn,)
        elif principal.kind is PrincipalKind.SERVICE:
            context["aws:principalarn"] = ABSENT
        if principal.account:
            context["aws:principalaccount"] = (principal.account,)
        if principal.kind is not PrincipalKind.ANYONE:
            context["aws:principalisawsservice"] = ("true" if principal.kind is PrincipalKind.SERVICE else "false",)
        if principal.service:
            context["aws:principalservicename"] = (principal.service,)
        elif principal.kind is not PrincipalKind.ANYONE:
            context["aws:principalservicename"] = ABSENT
        context.update(extra)
        return context

    def data_read(self, principal: Principal, read: DataRead) -> Decision:
        """Whether ``principal`` may make any of the read's calls; labelled with the calls it may make."""
        context = self.context(principal, read.context)
        if principal.kind in (PrincipalKind.ACCOUNT, PrincipalKind.EXTERNAL):  # their own policies are unknown
            decision = self._decide(principal, read.actions, read.arns, read.resource_policy, context,
                                    resource_policy_required=False)
            return _labelled(decision, actions_text(read.actions))
        allowed = [(action, decision) for action in read.actions
                   if (decision := self._decide(principal, (action,), read.arns, read.resource_policy, context,
                                                resource_policy_required=False)).allowed]
        if not allowed:
            return Decision(None)
        best = min((decision for _, decision in allowed), key=lambda d: len(d.conditions()))
        return _labelled(best, actions_text([action for action, _ in allowed]))

    def key_use(self, principal: Principal, use: KeyUse, action: str = "kms:Decrypt") -> Decision:
        extra: dict[str, ContextValue] = {
            "kms:viaservice": (f"{use.via_service}.{REGION}.amazonaws.com",) if use.via_service else ABSENT,
            "kms:calleraccount": (principal.account,) if principal.account else ABSENT,
            "kms:encryptioncontextkeys": tuple(use.encryption_context),
            **{f"kms:encryptioncontext:{k}".lower(): (v,) for k, v in use.encryption_context.items()},
        }
        context = self.context(principal, extra)
        decision = self._decide(principal, (action,), (self.templates.arn(use.key),), self.key_policies[use.key.id],
                                context, resource_policy_required=True)
        return _labelled(decision, action)

    def _decide(self, principal: Principal, actions: Sequence[str], arns: Sequence[str],
                resource_policy: Sequence[Statement], context: Context, *, resource_policy_required: bool
                ) -> Decision:
        unless: list[str] = []
        for statement in (*principal.policies, *resource_policy):
            if statement.effect != "Deny" or not self._covers(statement, principal, actions, arns):
                continue
            if statement.principals is not None and self._match(statement, principal) is None:
                continue
            holds = statement.conditions_hold(context)
            if holds is True:
                return Decision(None)
            if holds is None:
                unless.append(" and ".join(pretty(c.text()) for c in statement.unknown_conditions(context)))
        identity = self._identity(principal, actions, arns, context)
        grants: list[Grant] = []
        for statement in resource_policy:
            if statement.effect != "Allow" or not self._covers(statement, principal, actions, arns):
                continue
            match = self._match(statement, principal)
            holds = statement.conditions_hold(context) if match else False
            if holds is False:
                continue
            own = tuple(pretty(c.text()) for c in statement.unknown_conditions(context))
            if match == "direct":
                grants.append(Grant(statement.label, own))
            else:  # delegated to the account: an identity policy must allow it too
                grants += [Grant(f"{statement.label} delegates to the account, {g.via} allows", (*own, *g.conditions))
                           for g in identity]
        if not resource_policy_required:
            grants += identity
        if not grants:
            return Decision(None)
        best = min(grants, key=lambda g: (len(g.conditions), g.via))
        return Decision(best, tuple(dict.fromkeys(unless)))

    def _identity(self, principal: Principal, actions: Sequence[str], arns: Sequence[str], context: Context
                  ) -> list[Grant]:
        if principal.kind in (PrincipalKind.ACCOUNT, PrincipalKind.EXTERNAL):
            return [Grant("their own IAM policy (outside these templates)",
                          (f"their IAM policy allows {actions_text(actions)}",))]
        grants = []
        for statement in principal.policies:
            if statement.effect != "Allow" or not self._covers(statement, principal, actions, arns):
                continue
            holds = statement.conditions_hold(context)
            if holds is not False:
                grants.append(Grant(statement.label, tuple(pretty(c.text())
                                                           for c in statement.unknown_conditions(context))))
        grants += [Grant(f"managed policy {pretty(arn)} (not evaluated)", (f"managed policy {pretty(arn)} "
                                                                             "allows it",))
                   for arn in principal.unevaluated]
        return grants

    @staticmethod
    def _covers(statement: Statement, principal: Principal, actions: Sequence[str], arns: Sequence[str]) -> bool:
        return any(statement.matches_action(action) for action in actions) and statement.matches_resource(arns)

    def _match(self, statement: Statement, principal: Principal) -> str | None:
        """``direct`` when the statement names the principal (or everyone), ``account`` when it names its account
        (delegation to IAM), ``None`` otherwise; inverted for ``NotPrincipal``."""
        found: str | None = None
        for ref in statement.principals or ():
            kind = _ref_match(ref, principal, self.account)
            if kind == "direct" or (kind == "account" and found is None):
                found = kind
        if statement.not_principal:
            return None if found == "direct" else "direct"
        return found

    def holders(self, use: KeyUse) -> list[tuple[Principal, Decision]]:
        """Every principal that may decrypt with the key of ``use``."""
        return [(p, d) for p in self.principals if (d := self.key_use(p, use)).allowed]


def actions_text(actions: Sequence[str]) -> str:
    """``dynamodb:GetItem/Query/Scan`` for actions of one service."""
    services = {action.split(":", 1)[0] for action in actions}
    if len(services) != 1:
        return " or ".join(actions)
    return f"{services.pop()}:" + "/".join(action.split(":", 1)[1] for action in actions)


def _labelled(decision: Decision, what: str) -> Decision:
    if decision.grant is None:
        return decision
    return Decision(Grant(f"{what} by {decision.grant.via}", decision.grant.conditions), decision.unless)


def _ref_match(ref: PrincipalRef, principal: Principal, account_of: Callable[[str | None], str | None]
               ) -> str | None:
    if ref.kind == "*":
        return "direct"
    if ref.kind == "Service":
        return "direct" if principal.service == ref.value else None
    if ref.kind != "AWS":
        return None
    root = _ACCOUNT_ROOT.match(ref.value)
    if root:
        account = account_of(root.group("arn") or root.group("bare"))
        return "account" if principal.account == account and principal.kind is not PrincipalKind.SERVICE else None
    return "direct" if principal.arn == ref.value else None


def _refers(value: object, logical_id: str) -> bool:
    return isinstance(value, dict) and (value.get("Ref") == logical_id or (value.get("Fn::GetAtt") or [None])[0]
                                        == logical_id)


def _account_of(arn: str) -> str | None:
    match = _ARN_ACCOUNT.match(arn)
    return match.group("account") if match else None


def _short(logical_id: str) -> str:
    """A CDK logical id without its hash suffix (``TasksIntakeServiceRole5D01B1F4`` -> ``TasksIntakeServiceRole``)."""
    return _CDK_SUFFIX.sub("", logical_id) or logical_id


def pretty(text: str) -> str:
    """Placeholders made readable: ``<account>``, ``<region>``; a generated name stays ``{Stack/LogicalId}``."""
    return text.replace(ACCOUNT, "<account>").replace(REGION, "<region>")
