"""A base commit's source tree, for the Temporal bench's fifth lane (``make bench BENCH_BASE=<commit>``).

The base's worker runs from its own tree (``git archive``, extracted into the bench's scratch directory) with this
checkout's virtualenv and settings, in the same rounds as the new code's: worker CPU per onboarding, base over new,
from one run on one machine. The base must read the worker settings this checkout gives it (``contract.environment``)
and speak the same envelope format: a base worker that rejects its settings never becomes healthy (the bench stops
with the worker's log), and one whose codec cannot read this checkout's payloads stops the bench when its first
batch does not finish in time (``bench.temporal.BATCH_TIMEOUT_SECONDS``).
"""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

from infra.paths import REPO_ROOT


class BaseRefError(ValueError):
    """``--base`` does not name a commit of this repository; the message names the ref."""


def resolve(ref: str, *, repo: Path = REPO_ROOT) -> str:
    """The full commit id ``ref`` names (a branch, tag, ``HEAD~1`` or an id). Raises :class:`BaseRefError`."""
    if not ref or ref.startswith("-"):  # never let a ref read as an option of git
        raise BaseRefError(f"--base {ref!r}: not a commit (empty, or starting with '-')")
    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],  # noqa: S603, S607 - checked ref
                           cwd=repo, capture_output=True, text=True, check=False)
    if found.returncode != 0:
        raise BaseRefError(f"--base {ref!r}: not a commit in {repo}")
    return found.stdout.strip()


def extract(commit: str, into: Path, *, repo: Path = REPO_ROOT) -> Path:
    """Write ``commit``'s tracked files under ``into`` (created); returns ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    with subprocess.Popen(["git", "archive", "--format=tar", commit], cwd=repo,  # noqa: S603, S607 - a resolved id
                          stdout=subprocess.PIPE) as archive:
        assert archive.stdout is not None
        with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
            tar.extractall(into, filter="data")
    if archive.returncode != 0:
        raise BaseRefError(f"git archive {commit} failed (exit {archive.returncode})")
    return into
