"""Build the task Lambdas' code bundle locally, without Docker.

The bundle is the `lambda` extra's dependencies installed for the Lambda platform (manylinux x86_64, CPython
3.12, binary wheels only, pinned by constraints.txt) plus the two packages the handlers import: `onboarding`
and `lambdas`. Nothing else: no temporalio, no aws-cdk-lib, no tests. Dependencies are cached by a hash of the
requirements, so rebuilding after a code change only recopies the sources.

Run: `python -m infra.bundle` (what `make bundle` does).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from infra.paths import LAMBDA_BUNDLE, REPO_ROOT

PLATFORM = "manylinux2014_x86_64"
PYTHON_VERSION = "3.12"
EXTRA = "lambda"
SOURCE_PACKAGES = ("onboarding", "lambdas")
# Operator-side tools (the moto-backed local runner, the reviewer CLI, definition rendering) and the test corpora
# run outside Lambda; shipping them would put moto imports and synthetic PII fixtures into every function.
_IGNORED = shutil.ignore_patterns(
    "__pycache__", "*.pyc", ".pytest_cache", "local", "reviewer.py", "definition.py", "scenarios",
    "process.py",
)
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
    for package in SOURCE_PACKAGES:
        shutil.copytree(repo_root / package, out / package, ignore=_IGNORED)
    return out


def require_bundle(path: Path) -> Path:
    if not (path / "lambdas" / "registry.py").is_file():
        raise BundleMissingError(f"Lambda bundle not found at {path}: run `make bundle` first")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / LAMBDA_BUNDLE)
    args = parser.parse_args(argv)
    print(build_lambda_bundle(out=args.out))


if __name__ == "__main__":
    main()
