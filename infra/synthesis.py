"""Synthesize the blueprint in process, without the gates applied, for tests and the compliance report.

The tree built here carries no acknowledgements, so running the packs over it yields every raw finding; the
templates are identical to what `cdk synth` writes (acknowledgements are construct metadata, not template
content). Callers pass the context explicitly: only `app.py` and the tooling entry points read `cdk.json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App

from infra.blueprint import Blueprint, Sources, build_blueprint
from infra.compliance.gates import Finding, raw_findings
from infra.config import BlueprintConfig, load_config
from infra.paths import REPO_ROOT


@dataclass(frozen=True, kw_only=True)
class Synthesis:
    config: BlueprintConfig
    blueprint: Blueprint
    assembly_dir: Path
    templates: dict[str, dict[str, Any]]  # stack id -> template
    findings: list[Finding]


def project_context(repo_root: Path = REPO_ROOT) -> dict[str, Any]:
    """The context block of `cdk.json` (configuration and feature flags)."""
    context: dict[str, Any] = json.loads((repo_root / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


def synthesize(context: Mapping[str, Any], *, outdir: Path, sources: Sources) -> Synthesis:
    app = App(outdir=str(outdir), context=dict(context))
    config = load_config(context)
    blueprint = build_blueprint(app, config=config, sources=sources, env=None)
    app.synth()
    templates = {
        stack.node.id: json.loads((outdir / f"{stack.artifact_id}.template.json").read_text(encoding="utf-8"))
        for stack in blueprint.stacks
    }
    return Synthesis(config=config, blueprint=blueprint, assembly_dir=outdir, templates=templates,
                     findings=raw_findings(app))
