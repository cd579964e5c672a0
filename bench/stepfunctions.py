"""The Step Functions side of ``make bench``: what one execution costs in billed units, and what a cold start of
each task Lambda costs in imports and package size.

- ``stepfunctions``: the scenario corpus on moto's interpreter with the real handlers (hardened profile); per
  scenario, state transitions and Lambda invocations counted from its history by the rule the cost model uses
  (:mod:`comparison.cost.usage`), and their mean per execution (:func:`comparison.cost.compare.measure_stepfunctions`).
- ``lambda.cold_import``: each handler module imported in a fresh interpreter, as the Lambda runtime does at init,
  with the function's environment (so Powertools' tracer patches as deployed), timed around the import; the
  median of several runs. Two bytecode situations: ``bundle_as_built`` (the bundle ships no ``.pyc`` and
  ``/var/task`` is read-only, so the bundle's code compiles at every cold start; the standard library is
  precompiled, as in the runtime image) and ``with_bytecode`` (everything precompiled). Private caches under
  ``-X pycache_prefix`` reproduce both without touching the tree. It runs on this interpreter and the project's
  virtualenv (same pinned versions as the bundle, whose binary wheels target CPython 3.12 on Lambda), so the
  figures compare handlers and bytecode situations; they are not Lambda's absolute init durations. One more run
  with ``-X importtime`` says where the time goes (share of self time per top-level package).
- ``lambda.asset``: the bundle in ``build/lambda`` (``make bundle``) that every task function deploys: bytes, files,
  bytes per top-level package, and its zipped size (deflate, as the asset is uploaded).

``python -m bench --only stepfunctions`` runs just this half; the sizes follow :class:`bench.Size`.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import subprocess
import tempfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import Sections, Size
from bench.progress import SILENT, Progress, Step
from comparison.cost.compare import measure_stepfunctions
from comparison.cost.usage import count_lambda_usage, count_state_transitions
from contract.onboarding import ONBOARDING_FUNCTIONS
from contract.profile import Profile
from contract.registry import TaskFunction
from infra.bundle import PYTHON_VERSION, require_bundle, runtime_interpreter
from infra.paths import LAMBDA_BUNDLE, REPO_ROOT
from local.onboarding import OnboardingStepFunctions
from scenarios import DEMO_REVIEW_TIMEOUT_SECONDS, SCENARIOS, Scenario

DEFAULT_REPETITIONS = 5
METADATA = "*.dist-info"
_MARK = "--bench-import-starts--"
# Run in the child: time the import alone (interpreter start-up and site are not part of the handler's cost).
_TIMED_IMPORT = (
    "import importlib, sys, time\n"
    f"sys.stderr.write({_MARK!r} + '\\n'); sys.stderr.flush()\n"
    "started, cpu = time.perf_counter(), time.process_time()\n"
    "importlib.import_module(sys.argv[1])\n"
    "print(time.perf_counter() - started, time.process_time() - cpu)\n"
)


# -- Step Functions: transitions and Lambda invocations per execution ------------------------------------------


def measure_executions(scenarios: Sequence[Scenario] = SCENARIOS) -> dict[str, Any]:
    """Run the scenarios once; refuse to report a run whose outcomes are not the corpus's."""
    decisions = {scenario.application_id: scenario.review_decision for scenario in scenarios}
    with OnboardingStepFunctions(profile=Profile.HARDENED, review_timeout_seconds=DEMO_REVIEW_TIMEOUT_SECONDS,
                                 prefix="bench") as sfn:
        results = sfn.run_onboardings([scenario.application() for scenario in scenarios],
                                      reviewer=decisions.__getitem__)
        routed = Counter(invocation.function for invocation in sfn.router.invocations)
        intake = sfn.resources.function_name("intake")
    per_scenario: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        result = results[scenario.application_id]
        outcome = result.outcome
        reached = (outcome.status, outcome.reason) if outcome else None
        if reached != (scenario.expected.status, scenario.expected.reason):
            raise RuntimeError(f"scenario {scenario.name}: outcome {reached}, not the corpus's; nothing measured")
        transitions = count_state_transitions(result.history)
        per_scenario[scenario.name] = {
            "outcome": "/".join(str(part) for part in reached if part is not None),
            "state_transitions": transitions.total,
            "states_entered": transitions.states_entered,
            "retries": transitions.retries,
            "lambda_invocations": count_lambda_usage(result.history).invocations,
            "history_events": len(result.history),
        }
    mean = measure_stepfunctions([results[s.application_id].history for s in scenarios])
    return {
        "profile": Profile.HARDENED.value,
        "rule": "a transition per *StateEntered event plus one per task retry; a Lambda invocation per "
                "TaskScheduled of a lambda resource (comparison.cost.usage)",
        "scenarios": per_scenario,
        "per_execution_mean": {
            "state_transitions": mean.transitions_per_execution,
            "retries": mean.retries_per_execution,
            "lambda_invocations": mean.lambda_invocations_per_execution,
        },
        # The client's call to intake starts the execution: a Lambda request outside the state machine's history.
        "intake_invocations_per_execution": routed[intake] / len(scenarios),
        "lambda_invocations_routed": sum(routed.values()) - routed[intake],
    }


# -- Lambda: cold import of each handler module ----------------------------------------------------------------


def measure_cold_imports(functions: Sequence[TaskFunction] = ONBOARDING_FUNCTIONS, *,
                         repetitions: int = DEFAULT_REPETITIONS, bundle: Path = REPO_ROOT / LAMBDA_BUNDLE,
                         progress: Step | None = None) -> dict[str, Any]:
    """Each handler's cold import with the runtime's Python version, median of ``repetitions`` fresh interpreters,
    as built (the asset's bytecode) and without bytecode (a copy of the asset without ``__pycache__``), alternating.
    Raises :class:`infra.bundle.BundleMissingError` without a bundle and
    :class:`infra.bundle.RuntimeInterpreterMissingError` without the runtime's interpreter."""
    if repetitions < 1:
        raise ValueError("repetitions: at least 1")
    require_bundle(bundle)
    interpreter = runtime_interpreter(PYTHON_VERSION)
    handlers: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-sources-only-") as scratch:
        sources_only = Path(scratch, "task")
        shutil.copytree(bundle, sources_only, ignore=shutil.ignore_patterns("__pycache__"))
        trees = {"as_built": bundle, "without_bytecode": sources_only}
        for function in functions:
            module = function.handler.rpartition(".")[0]
            samples: dict[str, list[tuple[float, float]]] = {mode: [] for mode in trees}
            for _ in range(repetitions):  # alternating, so a change in machine load hits both alike
                for mode, tree in trees.items():
                    samples[mode].append(_import_seconds(interpreter, module, _function_environment(function, tree),
                                                         tree))
            handlers[function.name] = {
                "module": module,
                **{f"{mode}_ms": _ms(statistics.median(wall for wall, _ in values))
                   for mode, values in samples.items()},
                **{f"{mode}_cpu_ms": _ms(statistics.median(cpu for _, cpu in values))
                   for mode, values in samples.items()},
                "samples_ms": {mode: [_ms(wall) for wall, _ in values] for mode, values in samples.items()},
                "as_built_self_time_share": _import_shares(interpreter, module,
                                                           _function_environment(function, bundle), bundle),
            }
            if progress is not None:
                progress.advance(f"{function.name}: {handlers[function.name]['as_built_ms']:.0f} ms")
    as_built = statistics.median(h["as_built_ms"] for h in handlers.values())
    without = statistics.median(h["without_bytecode_ms"] for h in handlers.values())
    return {
        "method": "fresh interpreter per import (the runtime's Python version, the function's environment, the "
                  "asset as the working directory as /var/task is), wall and process CPU time around "
                  "importlib.import_module, median of repetitions",
        "python": _version(interpreter),
        "interpreter": str(interpreter),
        "repetitions": repetitions,
        "handlers": handlers,
        "median_over_handlers_ms": {"as_built": as_built, "without_bytecode": without},
        "without_bytecode_vs_as_built": round(without / as_built, 2) if as_built else None,
    }


def _function_environment(function: TaskFunction, task_root: Path) -> dict[str, str]:
    """What a deployed function's init sees that changes what gets imported: the runtime's reserved variables
    (``LAMBDA_TASK_ROOT`` makes the X-Ray SDK sample locally instead of building an X-Ray client, as in Lambda) and
    the function's own, not this process's settings."""
    name = f"onboarding-{function.name.replace('_', '-')}"
    return {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{PYTHON_VERSION}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "_HANDLER": function.handler,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": f"onboarding-{function.name}",
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only: nothing compiled at one start helps the next
    }


def _run_import(interpreter: Path, module: str, env: dict[str, str], tree: Path, *,
                importtime: bool = False) -> subprocess.CompletedProcess[str]:
    options = ["-s", *(["-X", "importtime"] if importtime else [])]  # -s: no user site-packages
    done = subprocess.run(  # noqa: S603 - the runtime's interpreter, fixed code, a module name from the registry
        [str(interpreter), *options, "-c", _TIMED_IMPORT, module],
        cwd=tree, env=env, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:  # an import's own error (no input is involved): its last line says what failed
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"cold import of {module} in {tree} failed (exit {done.returncode}): {last}")
    return done


def _import_seconds(interpreter: Path, module: str, env: dict[str, str], tree: Path) -> tuple[float, float]:
    """(wall, process CPU) seconds of one cold import."""
    wall, cpu = _run_import(interpreter, module, env, tree).stdout.split()
    return float(wall), float(cpu)


def _import_shares(interpreter: Path, module: str, env: dict[str, str], tree: Path, *,
                   top: int = 8) -> dict[str, float]:
    """Share of self import time per top-level package (one ``-X importtime`` run): the ``top`` largest, and the
    rest as ``other``. Shares, not times: the tracing itself slows every import down."""
    stderr = _run_import(interpreter, module, env, tree, importtime=True).stderr
    by_package: Counter[str] = Counter()
    for line in stderr.partition(_MARK)[2].splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header or a foreign line
        by_package[fields[2].strip().partition(".")[0]] += int(fields[0])
    total = sum(by_package.values()) or 1
    largest = dict(by_package.most_common(top))
    rest = total - sum(largest.values())
    return {**{name: round(us / total, 3) for name, us in largest.items()}, "other": round(rest / total, 3)}


def _version(interpreter: Path) -> str:
    return subprocess.run(  # noqa: S603 - the runtime's interpreter, fixed code
        [str(interpreter), "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# -- Lambda: the asset ---------------------------------------------------------------------------------------


def measure_asset(bundle: Path = REPO_ROOT / LAMBDA_BUNDLE,
                  functions: Sequence[TaskFunction] = ONBOARDING_FUNCTIONS) -> dict[str, Any]:
    require_bundle(bundle)
    packages: Counter[str] = Counter()
    files = 0
    with tempfile.TemporaryFile() as archive:
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
            for path in sorted(bundle.rglob("*")):
                if path.is_file():
                    relative = path.relative_to(bundle)
                    packages[_package_of(relative.parts[0], is_dir=len(relative.parts) > 1)] += path.stat().st_size
                    files += 1
                    zipped.write(path, relative.as_posix())
        zip_bytes = archive.tell()
    return {
        "path": _display(bundle),
        "functions": [function.name for function in functions],  # one asset, deployed by each of them
        "bytes": sum(packages.values()),
        "files": files,
        "zip_bytes": zip_bytes,
        "packages_bytes": dict(packages.most_common()),
    }


def _package_of(top: str, *, is_dir: bool) -> str:
    if is_dir:
        return METADATA if top.endswith(".dist-info") else top
    return top.partition(".")[0]  # a top-level module file: six.py, _cffi_backend.cpython-312-...so


def _display(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


# -- the sections and the command -------------------------------------------------------------------------------


def run(*, repetitions: int = DEFAULT_REPETITIONS, scenarios: Sequence[Scenario] = SCENARIOS,
        functions: Sequence[TaskFunction] = ONBOARDING_FUNCTIONS,
        bundle: Path = REPO_ROOT / LAMBDA_BUNDLE, progress: Progress = SILENT) -> Sections:
    """The Step Functions sections of ``reports/bench.json``: ``stepfunctions`` and ``lambda`` (whose
    ``cold_import_ms`` is the as-built median per function, the headline of ``cold_import``)."""
    progress(f"step functions: {len(scenarios)} scenarios on moto's interpreter with the real handlers")
    executions = measure_executions(scenarios)
    cold = measure_cold_imports(functions, repetitions=repetitions, bundle=bundle, progress=progress.step(
        f"lambda cold imports ({repetitions} x 2 fresh interpreters each)", len(functions), "handlers"))
    progress(f"lambda asset: sizing and zipping {_display(bundle)}")
    return {
        "stepfunctions": executions,
        "lambda": {
            "cold_import_ms": {name: row["as_built_ms"] for name, row in cold["handlers"].items()},
            "cold_import": cold,
            "asset": measure_asset(bundle, functions),
        },
    }


def summary(sections: dict[str, Any]) -> list[str]:
    sfn, cold, asset = sections["stepfunctions"], sections["lambda"]["cold_import"], sections["lambda"]["asset"]
    lines = [f"{'scenario':<42} {'transitions':>11} {'retries':>7} {'lambdas':>7}"]
    for name, row in sfn["scenarios"].items():
        lines.append(f"{name:<42} {row['state_transitions']:>11} {row['retries']:>7} {row['lambda_invocations']:>7}")
    mean = sfn["per_execution_mean"]
    lines.append(f"{'mean per execution':<42} {mean['state_transitions']:>11.2f} {mean['retries']:>7.2f} "
                 f"{mean['lambda_invocations']:>7.2f}  (+{sfn['intake_invocations_per_execution']:.0f} intake)")
    medians = cold["median_over_handlers_ms"]
    slowest = max(cold["handlers"].items(), key=lambda item: item[1]["as_built_ms"])
    lines.append(f"cold import, median over {len(cold['handlers'])} handlers ({cold['repetitions']} runs each, "
                 f"Python {cold['python']}): {medians['as_built']:.0f} ms as built (with its bytecode), "
                 f"{medians['without_bytecode']:.0f} ms without bytecode ({cold['without_bytecode_vs_as_built']}x); "
                 f"slowest {slowest[0]} {slowest[1]['as_built_ms']:.0f} ms")
    lines.append(f"lambda asset {asset['path']}: {asset['bytes'] / 1e6:.1f} MB in {asset['files']} files, "
                 f"{asset['zip_bytes'] / 1e6:.1f} MB zipped, shared by {len(asset['functions'])} functions")
    return lines


# The tiny size runs every code path on one clean and one retried scenario, with one import per handler.
_TINY_SCENARIOS = tuple(case for case in SCENARIOS
                        if case.name in {"approved_low_risk", "identity_transient_then_approved"})


class StepFunctionsBench:
    name = "stepfunctions"

    async def run(self, size: Size, workdir: Path, progress: Progress = SILENT) -> Sections:
        logging.getLogger("moto").setLevel(logging.ERROR)  # the interpreter logs every caught task failure
        if size is Size.TINY:
            return run(repetitions=1, scenarios=_TINY_SCENARIOS, functions=ONBOARDING_FUNCTIONS[:2],
                       progress=progress)
        return run(progress=progress)

    def summary(self, sections: Sections) -> list[str]:
        return summary(sections)


BENCH = StepFunctionsBench()
