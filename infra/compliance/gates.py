"""The four cdk-nag packs as synth-time gates, and the raw findings behind the compliance report.

`enforce` registers the packs as CDK policy-validation plugins and records each stack's acknowledgements, so a
finding nobody acknowledged fails synth. `raw_findings` runs the same packs on a tree that carries no
acknowledgements; `classify` then matches every finding to the acknowledgement that covers it, which is how the
report lists what was accepted, why, and which acknowledgements no longer match anything (stale).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aws_cdk import Acknowledgment, App, IPolicyValidationPlugin, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import IConstruct

from infra.compliance.acknowledgement import Acknowledgement

PACKS: dict[str, Callable[[], IPolicyValidationPlugin]] = {
    "AwsSolutions": AwsSolutionsChecks,
    "HIPAA.Security": HIPAASecurityChecks,
    "NIST.800.53.R5": NIST80053R5Checks,
    "PCI.DSS.321": PCIDSS321Checks,
}


def enforce(app: App, acknowledgements: Iterable[Acknowledgement]) -> None:
    Validations.of(app).add_plugins(*(pack() for pack in PACKS.values()))
    for ack in acknowledgements:
        Validations.of(ack.scope).acknowledge(Acknowledgment(id=ack.rule_id, reason=ack.reason))


@dataclass(frozen=True, kw_only=True)
class Finding:
    pack: str
    rule_id: str
    path: str  # construct path of the offending CfnResource
    description: str

    @property
    def stack(self) -> str:
        return self.path.split("/", 1)[0]


def raw_findings(scope: IConstruct) -> list[Finding]:
    """Every finding of every pack, ignoring acknowledgements (run it on a tree that has none)."""
    findings: list[Finding] = []
    for pack_name, pack in PACKS.items():
        report = pack().validate_scope(scope)  # type: ignore[attr-defined]
        for violation in report.violations:
            for resource in violation.violating_resources:
                findings.append(Finding(pack=pack_name, rule_id=violation.rule_name,
                                        path=resource.construct_path or "", description=violation.description))
    return findings


@dataclass(kw_only=True)
class Classification:
    acknowledged: list[tuple[Finding, Acknowledgement]] = field(default_factory=list)
    unacknowledged: list[Finding] = field(default_factory=list)
    stale: list[Acknowledgement] = field(default_factory=list)


def classify(findings: Iterable[Finding], acknowledgements: Iterable[Acknowledgement]) -> Classification:
    acks = list(acknowledgements)
    used: set[int] = set()
    result = Classification()
    for finding in findings:
        match = next((i for i, ack in enumerate(acks) if ack.covers(finding.rule_id, finding.path)), None)
        if match is None:
            result.unacknowledged.append(finding)
        else:
            used.add(match)
            result.acknowledged.append((finding, acks[match]))
    result.stale = [ack for i, ack in enumerate(acks) if i not in used]
    return result
