"""Build what deploys as code, locally and without Docker: the Lambda assets and the worker image context.

Each deployable is a folder, made of whole packages:

- ``build/lambda`` (the task Lambdas' asset): the ``lambda`` extra's dependencies installed for the Lambda platform
  (manylinux x86_64, CPython 3.12, binary wheels only, pinned by constraints.txt) plus :data:`LAMBDA_PACKAGES`;
- ``build/durable`` (the durable function's asset): the ``durable`` extra's dependencies for CPython 3.13 (the
  runtimes durable functions support start there) plus :data:`DURABLE_PACKAGES`;
- ``build/worker`` (the worker image's build context): ``workers/Dockerfile``, ``pyproject.toml``,
  ``constraints.txt`` and :data:`WORKER_PACKAGES`; the image installs the ``worker`` extra from them.

The scenario corpora, the local tooling, the operator commands and the CDK app live in other packages, so they never
deploy; a test checks that every module the handlers and the worker import is inside their folder. Dependencies are
cached by a hash of the requirements, so rebuilding after a code change only recopies the sources.

Each Lambda asset ships bytecode compiled by its runtime's own Python version (3.12 for the task functions,
3.13 for the durable function) (:func:`compile_bytecode`, with
:func:`runtime_interpreter` finding that interpreter): ``/var/task`` is read-only, so without it every cold start
compiles the bundle's sources again (about 2.6x the import time, ``make bench``). The ``.pyc`` files are
unchecked-hash (PEP 552): valid whatever the files' timestamps become in the zipped asset, never checked against
the source, which in a deployed asset never changes.

Run: ``python -m infra.bundle`` (what ``make bundle`` does).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from infra.paths import DURABLE_BUNDLE, LAMBDA_BUNDLE, REPO_ROOT, WORKER_CONTEXT

PLATFORM = "manylinux2014_x86_64"
# The Lambda package and the packages it imports; the worker package likewise.
LAMBDA_PACKAGES = ("lambdas", "contract", "onboarding")
DURABLE_PACKAGES = ("durable_functions", "envelope", "contract", "onboarding")
WORKER_PACKAGES = ("workers", "envelope", "contract", "onboarding")
WORKER_DOCKERFILE = Path("workers/Dockerfile")
_CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
_STAMP = ".requirements-hash"
_BYTECODE = "unchecked-hash pyc"  # in the dependencies' cache key: a cache built without bytecode is rebuilt


class BundleMissingError(FileNotFoundError):
    """Synth needs the bundle built first."""


@dataclass(frozen=True, kw_only=True)
class LambdaAsset:
    """One Lambda asset: the extra whose dependencies it installs, for which CPython, and the project's packages."""

    extra: str
    python_version: str  # the Lambda runtime's Python ("3.12" for python3.12)
    packages: tuple[str, ...]
    folder: Path  # relative to the repository root


TASK_ASSET = LambdaAsset(extra="lambda", python_version="3.12", packages=LAMBDA_PACKAGES, folder=LAMBDA_BUNDLE)
DURABLE_ASSET = LambdaAsset(extra="durable", python_version="3.13", packages=DURABLE_PACKAGES, folder=DURABLE_BUNDLE)
PYTHON_VERSION = TASK_ASSET.python_version  # the task functions' runtime (infra: lambda_.Runtime.PYTHON_3_12)


class RuntimeInterpreterMissingError(FileNotFoundError):
    """The bundle step needs the Lambda runtime's Python version to compile the asset's bytecode."""


def runtime_interpreter(version: str) -> Path:
    """The interpreter for Python ``version`` (``"3.12"``): ``$PYTHON<major><minor>`` (e.g. ``PYTHON312``) if set,
    else pyenv's newest ``<version>.*``, else ``python<version>`` on ``PATH`` (not a pyenv shim, which fails for a
    version that is not selected). Raises
    :class:`RuntimeInterpreterMissingError` naming the version and where it looked."""
    variable = "PYTHON" + version.replace(".", "")
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    if os.environ.get(variable) and not Path(os.environ[variable]).is_file():
        raise RuntimeInterpreterMissingError(f"{variable}: no interpreter at that path (Python {version} is needed to "
                                             "compile the Lambda asset's bytecode)")
    on_path = shutil.which(f"python{version}")
    candidates = [os.environ.get(variable),
                  *sorted(glob.glob(str(pyenv_root / "versions" / f"{version}.*" / "bin" / "python")), key=_patch_level,
                         reverse=True),
                  on_path if on_path and "shims" not in Path(on_path).parts else None]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise RuntimeInterpreterMissingError(
        f"Python {version} interpreter not found (the Lambda runtime's version, needed to compile the asset's "
        f"bytecode): install it (e.g. `pyenv install {version}`) or set {variable} to its path")


def _patch_level(path: str) -> int:
    level = Path(path).parent.parent.name.rpartition(".")[2]
    return int(level) if level.isdigit() else -1


def compile_bytecode(asset: Path, interpreter: Path, *, only: tuple[str, ...] = (),
                     deployed_at: str = "/var/task") -> None:
    """Compile every ``.py`` under ``asset`` (or only under its folders ``only``) with ``interpreter`` (the runtime's
    Python version) into unchecked-hash ``__pycache__/*.pyc``; tracebacks name the files as deployed
    (``deployed_at``). Raises
    :class:`RuntimeInterpreterMissingError` if ``interpreter`` is missing, ``CalledProcessError`` if a file does not
    compile."""
    if not interpreter.is_file():
        raise RuntimeInterpreterMissingError(f"interpreter not found: {interpreter} (needed to compile {asset})")
    subprocess.run(  # noqa: S603 - the runtime's interpreter, fixed arguments
        [str(interpreter), "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
         "-s", str(asset), "-p", deployed_at, *[str(asset / name) for name in only or ("",)]],
        check=True, stdout=subprocess.DEVNULL,
        # A prefix in the caller's shell would send the .pyc files there, and the asset would ship without them.
        env={key: value for key, value in os.environ.items() if key != "PYTHONPYCACHEPREFIX"},
    )


def requirements_of(extra: str, repo_root: Path = REPO_ROOT) -> list[str]:
    project = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"][extra]]


def lambda_requirements(repo_root: Path) -> list[str]:
    return requirements_of(TASK_ASSET.extra, repo_root)


def build_lambda_bundle(*, repo_root: Path = REPO_ROOT, out: Path | None = None, deps: Path | None = None) -> Path:
    """The task Lambdas' asset (``build/lambda``)."""
    return build_asset(TASK_ASSET, repo_root=repo_root, out=out, deps=deps)


def build_durable_bundle(*, repo_root: Path = REPO_ROOT, out: Path | None = None, deps: Path | None = None) -> Path:
    """The durable function's asset (``build/durable``)."""
    return build_asset(DURABLE_ASSET, repo_root=repo_root, out=out, deps=deps)


def build_asset(asset: LambdaAsset, *, repo_root: Path = REPO_ROOT, out: Path | None = None,
                deps: Path | None = None) -> Path:
    """Build ``asset`` into ``out`` (default: its folder under ``repo_root``). ``deps``: the dependency cache (default:
    ``<out>-deps``), rebuilt only when the requirements change; a build elsewhere can share the repository's."""
    out = out if out is not None else repo_root / asset.folder
    deps = deps if deps is not None else out.with_name(out.name + "-deps")
    interpreter = runtime_interpreter(asset.python_version)  # before anything is built: fail fast, with its name
    requirements = requirements_of(asset.extra, repo_root)
    constraints = repo_root / "constraints.txt"
    key = [PLATFORM, asset.python_version, _BYTECODE, *requirements, constraints.read_text(encoding="utf-8")]
    digest = hashlib.sha256("\n".join(key).encode()).hexdigest()
    stamp = deps / _STAMP
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != digest:
        shutil.rmtree(deps, ignore_errors=True)
        subprocess.run(  # noqa: S603 - fixed arguments, the interpreter running this module
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             "--target", str(deps), "--platform", PLATFORM, "--implementation", "cp",
             "--python-version", asset.python_version, "--only-binary=:all:", "-c", str(constraints),
             *requirements],
            check=True,
        )
        shutil.rmtree(deps / "bin", ignore_errors=True)  # console scripts are useless in a Lambda
        compile_bytecode(deps, interpreter)  # once per requirements: copied along with them
        stamp.write_text(digest, encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(deps, out, ignore=shutil.ignore_patterns(_STAMP))
    _copy_packages(repo_root, out, asset.packages)
    compile_bytecode(out, interpreter, only=asset.packages)  # the dependencies' bytecode came with them
    return out


def build_worker_context(*, repo_root: Path = REPO_ROOT, out: Path | None = None) -> Path:
    out = out if out is not None else repo_root / WORKER_CONTEXT
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy2(repo_root / name, out / name)
    shutil.copy2(repo_root / WORKER_DOCKERFILE, out / "Dockerfile")
    _copy_packages(repo_root, out, WORKER_PACKAGES)
    return out


def _copy_packages(repo_root: Path, out: Path, packages: tuple[str, ...]) -> None:
    for package in packages:
        shutil.copytree(repo_root / package, out / package, ignore=_CACHES)


def require_bundle(path: Path) -> Path:
    if not (path / "lambdas" / "__init__.py").is_file():
        raise BundleMissingError(f"Lambda bundle not found at {path}: run `make bundle` first")
    return path


def require_durable_bundle(path: Path) -> Path:
    if not (path / "durable_functions" / "__init__.py").is_file():
        raise BundleMissingError(f"durable function bundle not found at {path}: run `make bundle` first")
    return path


def require_worker_context(path: Path) -> Path:
    if not (path / "Dockerfile").is_file():
        raise BundleMissingError(f"worker image context not found at {path}: run `make bundle` first")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / LAMBDA_BUNDLE, help="the Lambda bundle's folder")
    parser.add_argument("--worker-out", type=Path, default=REPO_ROOT / WORKER_CONTEXT,
                        help="the worker image context's folder")
    args = parser.parse_args(argv)
    print(build_lambda_bundle(out=args.out))
    print(build_durable_bundle())
    print(build_worker_context(out=args.worker_out))


if __name__ == "__main__":
    main()
