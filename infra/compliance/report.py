"""`reports/compliance.json`: every cdk-nag finding per egress mode, stack and pack, with its acknowledgement.

Run by `make synth` after `cdk synth` (which enforces the same gates): `python -m infra.compliance.report`.
Exits non-zero when any finding is unacknowledged or any acknowledgement matches nothing (stale).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infra.compliance.gates import PACKS, classify
from infra.onboarding import onboarding_sources
from infra.paths import REPO_ROOT
from infra.synthesis import Synthesis, project_context, synthesize

EGRESS_MODES = ("nat", "privatelink")


def mode_report(synthesis: Synthesis) -> dict[str, Any]:
    acks = synthesis.blueprint.acknowledgements()
    all_acks = [ack for stack_acks in acks.values() for ack in stack_acks]
    result = classify(synthesis.findings, all_acks)
    names = {stack.node.id: stack.stack_name for stack in synthesis.blueprint.stacks}
    stacks: dict[str, dict[str, dict[str, Any]]] = defaultdict(
        lambda: {pack: {"findings": 0, "acknowledged": [], "unacknowledged": []} for pack in PACKS}
    )
    for finding, ack in result.acknowledged:
        entry = stacks[names.get(finding.stack, finding.stack)][finding.pack]
        entry["findings"] += 1
        entry["acknowledged"].append({"rule": finding.rule_id, "resource": finding.path, "reason": ack.reason})
    for finding in result.unacknowledged:
        entry = stacks[names.get(finding.stack, finding.stack)][finding.pack]
        entry["findings"] += 1
        entry["unacknowledged"].append({"rule": finding.rule_id, "resource": finding.path,
                                        "description": finding.description})
    for name in names.values():
        stacks[name]
    return {
        "stacks": {name: stacks[name] for name in sorted(stacks)},
        "totals": {"findings": len(synthesis.findings), "acknowledged": len(result.acknowledged),
                   "unacknowledged": len(result.unacknowledged), "stale_acknowledgements": len(result.stale)},
        "stale_acknowledgements": [{"rule": ack.rule_id, "scope": ack.path} for ack in result.stale],
    }


def build_report(syntheses: dict[str, Synthesis]) -> dict[str, Any]:
    modes = {mode: mode_report(synthesis) for mode, synthesis in syntheses.items()}
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "packs": list(PACKS),
        # The summary `comparison/report/compliance.py` reads: one entry per stack and egress mode, where `findings`
        # counts the unacknowledged ones (the gate wants 0).
        "stacks": [
            {"stack": f"{name} ({mode})", "packs": [
                {"pack": pack, "findings": len(entry["unacknowledged"]), "acknowledged": len(entry["acknowledged"]),
                 "acknowledgements": entry["acknowledged"]}
                for pack, entry in packs.items()
            ]}
            for mode, detail in modes.items() for name, packs in detail["stacks"].items()
        ],
        "egress_modes": modes,
    }


def passed(report: dict[str, Any]) -> bool:
    return all(mode["totals"]["unacknowledged"] == 0 and mode["totals"]["stale_acknowledgements"] == 0
               for mode in report["egress_modes"].values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write the cdk-nag compliance report for both egress modes")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "reports" / "compliance.json")
    args = parser.parse_args(argv)
    syntheses = {}
    for mode in EGRESS_MODES:
        with tempfile.TemporaryDirectory(prefix=f"cdk-{mode}-") as outdir:
            syntheses[mode] = synthesize({**project_context(), "egress_mode": mode}, outdir=Path(outdir),
                                         sources=onboarding_sources())
    report = build_report(syntheses)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for mode, summary in report["egress_modes"].items():
        print(f"{mode}: {summary['totals']}")
    if not passed(report):
        print(f"compliance gate failed: see {args.out}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
