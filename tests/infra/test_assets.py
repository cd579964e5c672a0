"""What deploys as code is a folder: the Lambda asset is the Lambda package, the packages it imports and its
dependencies; the worker image context is the worker package with the domain and contract, and no CDK."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from contract.onboarding import ONBOARDING_FUNCTIONS
from infra.bundle import (
    DURABLE_ASSET,
    DURABLE_PACKAGES,
    LAMBDA_PACKAGES,
    PYTHON_VERSION,
    WORKER_DOCKERFILE,
    WORKER_PACKAGES,
    RuntimeInterpreterMissingError,
    build_lambda_bundle,
    compile_bytecode,
    runtime_interpreter,
)
from infra.components.durable_function import RUNTIME as DURABLE_FUNCTION_RUNTIME
from infra.components.task_functions import RUNTIME as TASK_FUNCTION_RUNTIME
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


# Run by the Lambda runtime's own interpreter: only it knows its magic number and its source-hash key.
_CHECK_BYTECODE = """
import importlib.util, pathlib, sys
asset, tag = pathlib.Path(sys.argv[1]), sys.implementation.cache_tag
sources = {p.parent / "__pycache__" / f"{p.stem}.{tag}.pyc": p for p in asset.rglob("*.py")}
for cached in sorted(asset.rglob("*.pyc")):
    if cached not in sources:
        print("bytecode without its source or for another version:", cached.relative_to(asset))
for cached, source in sorted(sources.items()):
    header = cached.read_bytes()[:16] if cached.is_file() else b""
    if not header:
        print("no bytecode:", source.relative_to(asset))
    elif header[:4] != importlib.util.MAGIC_NUMBER or int.from_bytes(header[4:8], "little") != 0b01:
        print("not this version's unchecked-hash bytecode:", cached.relative_to(asset))
    elif header[8:16] != importlib.util.source_hash(source.read_bytes()):
        print("bytecode of another source:", cached.relative_to(asset))
"""


def test_lambda_asset_ships_the_runtimes_unchecked_hash_bytecode_of_every_source(
    syntheses: dict[str, Synthesis],
) -> None:
    asset = _lambda_asset(syntheses["nat"])
    interpreter = runtime_interpreter(PYTHON_VERSION)
    checked = subprocess.run([str(interpreter), "-I", "-c", _CHECK_BYTECODE, str(asset)], capture_output=True,
                             text=True, check=True)
    assert checked.stdout.splitlines()[:5] == []
    assert any(asset.joinpath("lambdas", "handlers", "__pycache__").glob("*.pyc"))  # the check saw the tree


def test_the_bytecode_is_compiled_for_the_functions_runtime() -> None:
    assert TASK_FUNCTION_RUNTIME.name == f"python{PYTHON_VERSION}"
    assert DURABLE_FUNCTION_RUNTIME.name == f"python{DURABLE_ASSET.python_version}"


def test_durable_asset_ships_its_runtimes_unchecked_hash_bytecode_of_every_source(
    syntheses: dict[str, Synthesis],
) -> None:
    asset, _ = _durable_asset(syntheses["nat"])
    interpreter = runtime_interpreter(DURABLE_ASSET.python_version)
    checked = subprocess.run([str(interpreter), "-I", "-c", _CHECK_BYTECODE, str(asset)], capture_output=True,
                             text=True, check=True)
    assert checked.stdout.splitlines()[:5] == []
    assert any(asset.joinpath("durable_functions", "__pycache__").glob("*.pyc"))  # the check saw the tree


def test_the_bundle_step_names_a_missing_runtime_interpreter(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    variable = "PYTHON" + PYTHON_VERSION.replace(".", "")
    monkeypatch.setenv(variable, str(tmp_path / "python"))
    with pytest.raises(RuntimeInterpreterMissingError, match=f"{variable}: no interpreter") as refused:
        build_lambda_bundle(repo_root=REPO_ROOT, out=tmp_path / "lambda")
    assert f"Python {PYTHON_VERSION}" in str(refused.value)
    assert not (tmp_path / "lambda").exists() and not (tmp_path / "lambda-deps").exists()  # nothing built
    with pytest.raises(RuntimeInterpreterMissingError, match="interpreter not found"):
        compile_bytecode(tmp_path, tmp_path / "python")


def test_a_bytecode_prefix_in_the_callers_shell_does_not_empty_the_asset(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "asset").mkdir()
    (tmp_path / "asset" / "handler.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", str(tmp_path / "elsewhere"))
    compile_bytecode(tmp_path / "asset", runtime_interpreter(PYTHON_VERSION))
    assert list((tmp_path / "asset" / "__pycache__").glob("handler.*.pyc"))
    assert not (tmp_path / "elsewhere").exists()


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
