"""What deploys as code is a folder: the Lambda asset is the Lambda package, the packages it imports and its
dependencies; the worker image context is the worker package with the domain and contract, and no CDK."""

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

from contract.onboarding import ONBOARDING_FUNCTIONS
from infra.bundle import DURABLE_PACKAGES, LAMBDA_PACKAGES, WORKER_DOCKERFILE, WORKER_PACKAGES
from infra.paths import REPO_ROOT
from infra.synthesis import Synthesis
from tests.infra.template_queries import props, resources

NEVER_IN_CODE = {"temporalio", "aws-cdk-lib", "jsii", "constructs", "cdk-nag", "aws-cdk-asset-awscli-v1"}
NEVER_IN_LAMBDA_PACKAGES = {"temporalio", "aws_cdk", "jsii", "constructs", "cdk_nag", "infra", "workers",
                            "comparison", "tests", "local", "ops", "scenarios", "bench"}
NEVER_IN_WORKER_PACKAGES = {"aws_cdk", "jsii", "constructs", "cdk_nag", "infra", "lambdas", "comparison", "tests",
                            "local", "ops", "scenarios", "bench", "aws_lambda_powertools"}
PROJECT_PACKAGES = {"onboarding", "scenarios", "contract", "envelope", "workers", "lambdas", "durable_functions",
                    "infra", "ops", "local", "comparison", "bench", "tests"}


def _imported_roots(sources: list[Path]) -> dict[str, Path]:
    """Top-level module of every absolute import in ``sources`` -> one file that imports it."""
    imported: dict[str, Path] = {}
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            for name in names:
                imported.setdefault(name.split(".")[0], source)
    return imported


def _worker_context(synthesis: Synthesis) -> tuple[Path, dict[str, object]]:
    manifest = json.loads((synthesis.assembly_dir / "Workers.assets.json").read_text(encoding="utf-8"))
    (image,) = manifest["dockerImages"].values()
    return synthesis.assembly_dir / image["source"]["directory"], image["source"]


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


def _durable_asset(synthesis: Synthesis) -> tuple[Path, str]:
    ((key, handler),) = {(props(fn)["Code"]["S3Key"], props(fn)["Handler"])
                         for stack, _, fn in resources(synthesis, "AWS::Lambda::Function") if stack == "Durable"}
    manifest = json.loads((synthesis.assembly_dir / "Durable.assets.json").read_text(encoding="utf-8"))
    return synthesis.assembly_dir / str(manifest["files"][key.removesuffix(".zip")]["source"]["path"]), handler


def test_durable_asset_holds_only_the_durable_extra_its_packages_and_what_they_import(
        syntheses: dict[str, Synthesis]) -> None:
    asset, handler = _durable_asset(syntheses["nat"])
    assert (asset / (handler.rsplit(".", 1)[0].replace(".", "/") + ".py")).is_file()
    distributions = {canonicalize_name(p.name.split("-")[0]) for p in asset.glob("*.dist-info")}
    allowed = _closure(_extra("durable"))
    assert distributions, "the bundle carries no dependency metadata"
    assert distributions <= allowed, distributions - allowed
    assert not distributions & NEVER_IN_CODE
    top_level = {p.name.removesuffix(".py") for p in asset.iterdir() if not p.name.endswith(".dist-info")}
    assert top_level & PROJECT_PACKAGES == set(DURABLE_PACKAGES)
    available = top_level | set(sys.stdlib_module_names)
    imported = set(_imported_roots([path for package in DURABLE_PACKAGES
                                    for path in asset.joinpath(package).rglob("*.py")]))
    assert imported - available == set()
    assert not imported & NEVER_IN_LAMBDA_PACKAGES


def test_lambda_asset_holds_only_the_lambda_extra_and_the_handler_packages(syntheses: dict[str, Synthesis]) -> None:
    asset = _lambda_asset(syntheses["nat"])
    distributions = {canonicalize_name(p.name.split("-")[0]) for p in asset.glob("*.dist-info")}
    allowed = _closure(_extra("lambda"))
    assert distributions, "the bundle carries no dependency metadata"
    assert distributions <= allowed, distributions - allowed
    assert not distributions & NEVER_IN_CODE
    top_level = {p.name.removesuffix(".py") for p in asset.iterdir() if not p.name.endswith(".dist-info")}
    assert not top_level & NEVER_IN_LAMBDA_PACKAGES
    assert top_level & PROJECT_PACKAGES == set(LAMBDA_PACKAGES)  # whole packages, nothing else of the project
    assert not list(asset.rglob("__pycache__"))


def test_every_registry_handler_is_in_the_asset(syntheses: dict[str, Synthesis]) -> None:
    asset = _lambda_asset(syntheses["nat"])
    for entry in ONBOARDING_FUNCTIONS:
        module = entry.handler.rsplit(".", 1)[0]
        assert (asset / (module.replace(".", "/") + ".py")).is_file(), entry.name


def test_everything_the_handlers_import_is_in_the_asset_or_the_standard_library(
    syntheses: dict[str, Synthesis],
) -> None:
    asset = _lambda_asset(syntheses["nat"])
    available = {p.name.removesuffix(".py") for p in asset.iterdir()} | set(sys.stdlib_module_names)
    sources = [path for package in LAMBDA_PACKAGES for path in asset.joinpath(package).rglob("*.py")]
    imported = set(_imported_roots(sources))
    assert imported - available == set()
    assert not imported & NEVER_IN_LAMBDA_PACKAGES


def test_worker_image_context_is_the_worker_package_with_the_domain_and_contract(
    syntheses: dict[str, Synthesis],
) -> None:
    context, source = _worker_context(syntheses["nat"])
    assert source.get("dockerFile", "Dockerfile") == "Dockerfile"
    assert {p.name for p in context.iterdir()} == {"Dockerfile", "pyproject.toml", "constraints.txt",
                                                   *WORKER_PACKAGES}
    assert (context / "Dockerfile").read_bytes() == (REPO_ROOT / WORKER_DOCKERFILE).read_bytes()
    assert not list(context.rglob("__pycache__"))


def test_everything_the_worker_imports_is_in_its_image_context(syntheses: dict[str, Synthesis]) -> None:
    context, _ = _worker_context(syntheses["nat"])
    sources = [path for package in WORKER_PACKAGES for path in context.joinpath(package).rglob("*.py")]
    imported = _imported_roots(sources)
    project = {name: path for name, path in imported.items() if name in PROJECT_PACKAGES}
    missing = {name: str(path.relative_to(context)) for name, path in project.items() if name not in WORKER_PACKAGES}
    assert missing == {}, f"imported by the worker image but not in its context: {missing}"
    assert not set(imported) & NEVER_IN_WORKER_PACKAGES


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
    for excluded in ("local", "ops", "scenarios", "comparison", "tests"):
        assert not (asset / excluded).exists(), excluded
    for source in [path for package in LAMBDA_PACKAGES for path in asset.joinpath(package).rglob("*.py")]:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                    and node.module.split(".")[0] in LAMBDA_PACKAGES):
                path = asset / node.module.replace(".", "/")
                assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), (
                    f"{source.relative_to(asset)} imports {node.module}, missing from the asset")
