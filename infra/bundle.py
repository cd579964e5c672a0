"""Build what deploys as code, locally and without Docker: the task Lambdas' bundle and the worker image context.

Each deployable is a folder, made of whole packages:

- ``build/lambda`` (the Lambda asset): the ``lambda`` extra's dependencies installed for the Lambda platform
  (manylinux x86_64, CPython 3.12, binary wheels only, pinned by constraints.txt) plus :data:`LAMBDA_PACKAGES`;
- ``build/worker`` (the worker image's build context): ``workers/Dockerfile``, ``pyproject.toml``,
  ``constraints.txt`` and :data:`WORKER_PACKAGES`; the image installs the ``worker`` extra from them.

The scenario corpora, the local tooling, the operator commands and the CDK app live in other packages, so they never
deploy; a test checks that every module the handlers and the worker import is inside their folder. Dependencies are
cached by a hash of the requirements, so rebuilding after a code change only recopies the sources.

Run: ``python -m infra.bundle`` (what ``make bundle`` does).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from infra.paths import LAMBDA_BUNDLE, REPO_ROOT, WORKER_CONTEXT

PLATFORM = "manylinux2014_x86_64"
PYTHON_VERSION = "3.12"
EXTRA = "lambda"
# The Lambda package and the packages it imports; the worker package likewise.
LAMBDA_PACKAGES = ("lambdas", "contract", "onboarding")
WORKER_PACKAGES = ("workers", "envelope", "contract", "onboarding")
WORKER_DOCKERFILE = Path("workers/Dockerfile")
_CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
_STAMP = ".requirements-hash"


class BundleMissingError(FileNotFoundError):
    """Synth needs the bundle built first."""


def lambda_requirements(repo_root: Path) -> list[str]:
    project = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"][EXTRA]]


def build_lambda_bundle(*, repo_root: Path = REPO_ROOT, out: Path | None = None) -> Path:
    out = out if out is not None else repo_root / LAMBDA_BUNDLE
    deps = out.with_name(out.name + "-deps")
    requirements = lambda_requirements(repo_root)
    constraints = repo_root / "constraints.txt"
    digest = hashlib.sha256(
        "\n".join([PLATFORM, PYTHON_VERSION, *requirements, constraints.read_text(encoding="utf-8")]).encode()
    ).hexdigest()
    stamp = deps / _STAMP
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != digest:
        shutil.rmtree(deps, ignore_errors=True)
        subprocess.run(  # noqa: S603 - fixed arguments, the interpreter running this module
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
             "--target", str(deps), "--platform", PLATFORM, "--implementation", "cp",
             "--python-version", PYTHON_VERSION, "--only-binary=:all:", "-c", str(constraints), *requirements],
            check=True,
        )
        shutil.rmtree(deps / "bin", ignore_errors=True)  # console scripts are useless in a Lambda
        stamp.write_text(digest, encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(deps, out, ignore=shutil.ignore_patterns(_STAMP))
    _copy_packages(repo_root, out, LAMBDA_PACKAGES)
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
    print(build_worker_context(out=args.worker_out))


if __name__ == "__main__":
    main()
