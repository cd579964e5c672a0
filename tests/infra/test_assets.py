"""What deploys as code: the Lambda bundle holds only what the handlers import; the worker image no CDK."""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from contract.registry import TASK_FUNCTIONS
from infra.components.worker_task_definition import WORKER_DOCKERFILE
from infra.paths import REPO_ROOT
from infra.synthesis import Synthesis
from tests.infra.template_queries import props, resources

NEVER_IN_CODE = {"temporalio", "aws-cdk-lib", "jsii", "constructs", "cdk-nag", "aws-cdk-asset-awscli-v1"}
NEVER_IN_LAMBDA_PACKAGES = {"temporalio", "aws_cdk", "jsii", "constructs", "cdk_nag", "infra", "workers",
                            "comparison", "tests"}


def _closure(requirements: list[str]) -> set[str]:
    """Every distribution an install of these requirements pulls in (from the installed metadata)."""
    seen: set[str] = set()
    pending = [Requirement(r) for r in requirements]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        for child in metadata.requires(requirement.name) or []:
            parsed = Requirement(child)
            if parsed.marker is None or any(parsed.marker.evaluate({"extra": extra})
                                            for extra in requirement.extras or {""}):
                pending.append(parsed)
    return seen


def _extra(name: str) -> list[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"][name]]


def _lambda_asset(synthesis: Synthesis) -> Path:
    keys = {props(fn)["Code"]["S3Key"] for _, _, fn in resources(synthesis, "AWS::Lambda::Function")
            if props(fn).get("Handler", "").startswith("lambdas.")}
    (key,) = keys  # one bundle for every task function
    manifest = json.loads((synthesis.assembly_dir / "StepFunctions.assets.json").read_text(encoding="utf-8"))
    return synthesis.assembly_dir / str(manifest["files"][key.removesuffix(".zip")]["source"]["path"])


def test_lambda_asset_holds_only_the_lambda_extra_and_the_handler_packages(syntheses: dict[str, Synthesis]) -> None:
    asset = _lambda_asset(syntheses["nat"])
    distributions = {canonicalize_name(p.name.split("-")[0]) for p in asset.glob("*.dist-info")}
    allowed = _closure(_extra("lambda"))
    assert distributions, "the bundle carries no dependency metadata"
    assert distributions <= allowed, distributions - allowed
    assert not distributions & NEVER_IN_CODE
    top_level = {p.name.removesuffix(".py") for p in asset.iterdir() if not p.name.endswith(".dist-info")}
    assert not top_level & NEVER_IN_LAMBDA_PACKAGES
    assert {"onboarding", "lambdas"} <= top_level
    assert not list(asset.rglob("__pycache__"))


def test_every_registry_handler_is_in_the_asset(syntheses: dict[str, Synthesis]) -> None:
    asset = _lambda_asset(syntheses["nat"])
    for entry in TASK_FUNCTIONS:
        module = entry.handler.rsplit(".", 1)[0]
        assert (asset / (module.replace(".", "/") + ".py")).is_file(), entry.name


def test_everything_the_handlers_import_is_in_the_asset_or_the_standard_library(
    syntheses: dict[str, Synthesis],
) -> None:
    asset = _lambda_asset(syntheses["nat"])
    available = {p.name.removesuffix(".py") for p in asset.iterdir()} | set(sys.stdlib_module_names)
    imported: set[str] = set()
    for source in [*asset.joinpath("lambdas").rglob("*.py"), *asset.joinpath("onboarding").rglob("*.py")]:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    assert imported - available == set()
    assert not imported & NEVER_IN_LAMBDA_PACKAGES


def test_worker_image_context_holds_only_the_worker_sources(syntheses: dict[str, Synthesis]) -> None:
    synthesis = syntheses["nat"]
    manifest = json.loads((synthesis.assembly_dir / "Workers.assets.json").read_text(encoding="utf-8"))
    (image,) = manifest["dockerImages"].values()
    assert image["source"]["dockerFile"] == WORKER_DOCKERFILE
    context = synthesis.assembly_dir / image["source"]["directory"]
    assert {p.name for p in context.iterdir()} <= {"pyproject.toml", "constraints.txt", "onboarding", "workers",
                                                   "lambdas"}
    if (context / "lambdas").exists():
        assert {p.name for p in (context / "lambdas").iterdir()} <= {"__init__.py", "registry.py"}
    assert (context / WORKER_DOCKERFILE).is_file()
    assert not list(context.rglob("__pycache__"))


def test_worker_image_installs_the_worker_extra_which_holds_no_cdk(syntheses: dict[str, Synthesis]) -> None:
    lines = (REPO_ROOT / WORKER_DOCKERFILE).read_text(encoding="utf-8").splitlines()
    dockerfile = "\n".join(line for line in lines if not line.lstrip().startswith("#"))  # instructions only
    assert "aws-cdk" not in dockerfile and "cdk-nag" not in dockerfile
    extras = {extra.strip() for group in re.findall(r"\.\[([^\]]+)\]", dockerfile) for extra in group.split(",")}
    assert "worker" in extras
    assert "cdk" not in extras and "dev" not in extras
    closure = set().union(*(_closure(_extra(extra)) for extra in extras))
    assert not closure & NEVER_IN_CODE - {"temporalio"}
    assert "temporalio" in closure


def test_the_asset_ships_no_operator_tool_or_corpus_and_lacks_no_imported_project_module(
    syntheses: dict[str, Synthesis],
) -> None:
    asset = _lambda_asset(syntheses["nat"])
    for excluded in ("lambdas/local", "ops/reviewer.py", "contract/definition.py", "onboarding/scenarios",
                     "scenarios/bad_inputs.py"):
        assert not (asset / excluded).exists(), excluded
    for source in [*asset.joinpath("lambdas").rglob("*.py"), *asset.joinpath("onboarding").rglob("*.py")]:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                    and node.module.split(".")[0] in {"lambdas", "onboarding"}):
                path = asset / node.module.replace(".", "/")
                assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), (
                    f"{source.relative_to(asset)} imports {node.module}, missing from the asset")
