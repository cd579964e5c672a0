"""``python -m comparison.demo`` (``make demo``): the whole comparison on this machine, no AWS account needed.

1. start the local stack: a moto server (:mod:`local.aws`) and a Temporal dev server on 127.0.0.1, then one
   ``python -m workers`` process per profile (:mod:`local.temporal`);
2. synthesize the CDK app in process (the ``cdk.json`` egress mode) and take from it the state machine definition
   (what deploys), the access surface (:mod:`comparison.access`), the deployment's cost figures, and the cdk-nag
   results; cfn-lint and checkov start on its templates in the background (:mod:`comparison.report.gates`);
3. run the scenario corpus through every engine in both profiles, each run under fresh application ids, printing
   a line per execution (the engines side by side: Step Functions and the durable functions in background threads;
   the durable function on AWS's durable-execution emulator, :mod:`local.durable`);
4. audit what each orchestrator stores, price the usage counted in the hardened histories with the dated
   assumptions (:mod:`comparison.cost.assumptions`), decide parity (facts through the onboarding binding,
   :mod:`comparison.onboarding`), collect the gates, and write ``comparison.json``, ``comparison.md`` and
   ``comparison.html`` (default ``reports/``), then print the side-by-side table.

Every process it starts is stopped when it ends, fails or is interrupted (Ctrl-C, SIGTERM, SIGHUP):
see :mod:`local.processes`. Exit status: 0 done, 1 a parity, exposure or stack failure, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import moto

from comparison.access.model import AccessSurface
from comparison.access.surface import access_surface, accounts_named
from comparison.access.templates import TemplateSet
from comparison.audit.evidence import StepFunctionsEvidence, TemporalEvidence
from comparison.cost.assumptions import AssumptionError, Assumptions
from comparison.cost.compare import observed_timings
from comparison.cost.deployment import report_assumptions
from comparison.engines.local import ENGINES, Plans, durable_side, stepfunctions_side, task_queue, temporal_side
from comparison.engines.runs import ProgressPrinter, in_background, plan
from comparison.onboarding import ACCESS_STORES, ENGINE_OPERATORS, corpus, pii_from_scenarios
from comparison.report.assemble import COMPLIANCE_REPORT, ProfileRun, assemble, publish, verdict
from comparison.report.compliance import ComplianceSummary, MissingGate, ToolResult, load_compliance
from comparison.report.gates import start_gates
from comparison.report.write import ComparisonReport
from contract.definition import DefinitionTemplate
from contract.onboarding import ONBOARDING
from contract.profile import Profile
from infra.paths import REPO_ROOT
from local.aws import moto_server
from local.processes import stop_on_signals
from local.temporal import StackError, temporal_dev_server, temporal_stack, wait_for_temporal, worker_processes
from scenarios import SCENARIOS

if TYPE_CHECKING:
    from infra.synthesis import Synthesis

CHECKOV = REPO_ROOT / ".tools" / "checkov" / "bin" / "checkov"  # `make checkov` installs it there

# The CDK's jsii runtime warns about Node 20 on every start; the pinned CLI works with it (the Makefile does the same).
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass(frozen=True)
class Options:
    out: Path
    compliance: Path
    ui: bool
    cost_assumptions: Path | None = None


@dataclass(frozen=True)
class Deployment:
    """What the demo reads from its synthesis of the blueprint."""

    definition: DefinitionTemplate
    egress_mode: str
    access: AccessSurface
    assumptions: Assumptions
    cdk_nag: dict[str, Any]  # infra.compliance.report.build_report of this synthesis


def run_demo(options: Options, progress: ProgressPrinter) -> ComparisonReport:
    values = pii_from_scenarios(SCENARIOS)
    plans: Plans = {(engine, profile): plan(SCENARIOS) for engine in ENGINES for profile in Profile}
    with ExitStack() as stack:
        stack.callback(progress, "stopped the local stack")
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="comparison-demo-")))
        aws = stack.enter_context(moto_server())
        progress(f"AWS emulation: moto server at {aws.endpoint}")
        server = stack.enter_context(temporal_dev_server(workdir, ui=options.ui))
        connection = asyncio.run(wait_for_temporal(server))
        progress(f"Temporal: dev server at {server.address}" + (f", UI at {server.ui_url}" if server.ui_url else ""))
        temporal = temporal_stack(ONBOARDING, aws, connection, workdir, prefix="demo-temporal")
        started = stack.enter_context(worker_processes(
            {profile.value: temporal.worker_env(profile, task_queue(profile)) for profile in Profile}, workdir))
        workers = {profile: started[profile.value] for profile in Profile}
        stack.callback(progress, "stopping the local stack")
        progress("Temporal: workers polling (python -m workers): hardened with the KMS codec, baseline without")
        progress("Step Functions: synthesizing the CDK app for the state machine definition")
        deployment = _deployment(options)
        definition = deployment.definition
        gates = start_gates(_synthesis().templates, workdir / f"cdk.out-{deployment.egress_mode}", checkov=CHECKOV)
        stack.callback(gates.stop)
        progress(f"Step Functions: running the definition from {definition.source}; cfn-lint and checkov started "
                 f"on the {deployment.egress_mode} templates")
        progress(f"running {len(SCENARIOS)} scenarios x {len(ENGINES)} engines x {len(Profile)} profiles")
        cancel = threading.Event()
        sfn, thread = in_background(lambda: stepfunctions_side(aws, definition, plans, progress, cancel),
                                    name="stepfunctions")
        durable, durable_thread = in_background(lambda: durable_side(aws, workdir, plans, progress, cancel),
                                                name="durable")
        try:
            profile_runs: list[ProfileRun] = asyncio.run(temporal_side(temporal, workers=workers, plans=plans,
                                                                       progress=progress))
            profile_runs += sfn.result()
            profile_runs += durable.result()
        finally:
            cancel.set()
            for name, background in (("Step Functions", thread), ("durable-function", durable_thread)):
                if background.is_alive():  # interrupted: let it abort its executions and stop its processes
                    progress(f"stopping the {name} executions")
                    background.join(timeout=15)
        progress("auditing what each orchestrator stores, pricing the counted usage, deciding parity")
        tools, missing = gates.results()
        report = assemble(profile_runs, values, corpus=corpus(SCENARIOS),
                          notes=[*_notes(definition), _timed_note(profile_runs)],
                          assumptions=deployment.assumptions, access=deployment.access,
                          compliance=_compliance(deployment, tools, missing, options.compliance))
        paths = publish(report, options.out, values)
        progress(f"wrote {paths.json}, {paths.markdown} and {paths.html}")
        if server.ui_url:
            progress(f"Temporal UI at {server.ui_url} (payloads are ciphertext for hardened runs); Ctrl-C stops")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(1)
    return report


def _synthesis() -> Synthesis:
    from local.onboarding import onboarding_synthesis  # noqa: PLC0415 - loads the CDK (jsii) only now

    return onboarding_synthesis()


def _deployment(options: Options) -> Deployment:
    from infra.compliance.report import build_report  # noqa: PLC0415 - loads the CDK (jsii) only now
    from infra.synthesis import project_context  # noqa: PLC0415
    from local.onboarding import onboarding_definition  # noqa: PLC0415

    definition = onboarding_definition()
    synthesis = _synthesis()
    context = project_context()
    mode = synthesis.config.egress_mode
    source = f"synthesized templates (egress mode {mode})"
    return Deployment(
        definition=definition,
        egress_mode=mode,
        # The roles cdk.json names (an operator role, break-glass roles) are the deployment's own, in its account.
        access=access_surface(TemplateSet(synthesis.templates), ACCESS_STORES, ENGINE_OPERATORS, source=source,
                              own_accounts=accounts_named(context)),
        assumptions=report_assumptions(synthesis.templates, templates_source=source, context=context,
                                       overrides_file=options.cost_assumptions),
        cdk_nag=build_report({mode: synthesis}),
    )


def _compliance(deployment: Deployment, tools: list[ToolResult], missing: list[MissingGate], synthed: Path
                ) -> ComplianceSummary:
    """The gates the demo ran on its synthesis, completed by ``make synth``'s summary for the other egress mode(s)
    when there is one; whatever did not run is named with the command that runs it."""
    from infra.compliance.report import EGRESS_MODES  # noqa: PLC0415 - the modes `make synth` checks

    mode = deployment.egress_mode
    own = ComplianceSummary.model_validate({**deployment.cdk_nag, "tools": tools})
    source = (f"cdk-nag (4 packs), cfn-lint and checkov run by this demo on its own synthesis (egress mode {mode}, "
              "cdk.json context).")
    stacks = list(own.stacks)
    others = [m for m in EGRESS_MODES if m != mode]
    earlier = load_compliance(synthed)
    if earlier is not None:
        added = [s for s in earlier.stacks if s.stack not in own.stack_names() and any(
            s.stack.endswith(f"({m})") for m in others)]
        stacks += added
        covered = {m for m in others if any(s.stack.endswith(f"({m})") for s in added)}
        others = [m for m in others if m not in covered]
        if covered:
            when = f", generated {earlier.generated_at:%Y-%m-%d %H:%M} UTC" if earlier.generated_at else ""
            source += (f" cdk-nag for {', '.join(sorted(covered))} from `{synthed}` (`make synth`{when}; cfn-lint "
                       "and checkov results of that run are not recorded there).")
    missing = [*missing, *(MissingGate(gate=f"cdk-nag, cfn-lint and checkov on egress mode {m}",
                                       why="the demo synthesizes the cdk.json egress mode only",
                                       how="make synth (both egress modes; writes reports/compliance.json, which the "
                                           "next demo includes)") for m in others)]
    return ComplianceSummary(generated_at=own.generated_at, source=source, stacks=stacks, tools=tools,
                             missing=missing)


def _notes(definition: DefinitionTemplate) -> list[str]:
    return [
        "Local run: Temporal `temporal server start-dev` with one `python -m workers` process per profile (hardened: "
        "KMS envelope codec and encoded failures; baseline: no codec); histories read without any codec.",
        f"Step Functions: the definition from {definition.source}, executed by moto {moto.__version__}'s ASL "
        "interpreter with the task Lambdas' real handlers in process; AWS APIs on a moto server.",
        "Step Functions `logs` channel: the state machine's log group was read for every execution, but moto emits "
        "no execution log events, so its 0 proves nothing locally. In AWS it logs at level ALL without execution "
        "data; `make audit` reads the real log group.",
        "Lambda durable functions: the durable function's real handler behind a local Lambda Invoke endpoint, "
        "checkpointing to AWS's durable-execution emulator (`dex-local-runner`, aws-durable-execution-sdk-python-"
        "testing); its history read through the `GetDurableExecutionHistory` API shape, without any key.",
        "Every engine and profile ran the corpus under its own fresh application ids. The baseline profiles exist "
        "only to prove the audit sees leaks.",
        "Cost: the usage counted in this run's hardened histories (Actions, transitions, retries, invocations, "
        "history bytes: the same on every run) priced with the dated assumptions (durations, sizes, counts of "
        "workers, retention) and the dated prices; nothing timed on this machine is priced. `make audit` replaces "
        "the Lambda duration and memory with what a deployment's REPORT lines billed.",
    ]


def _timed_note(profile_runs: Sequence[ProfileRun]) -> str:
    """What this machine timed, said so that nobody mistakes it for a cost input."""
    hardened = [e for item in profile_runs if item.profile is Profile.HARDENED for e in item.evidence or ()]
    timed = observed_timings([e.history for e in hardened if isinstance(e, TemporalEvidence)],
                             [e.history for e in hardened if isinstance(e, StepFunctionsEvidence)])
    return (f"Timed on this machine, not priced: a Temporal execution stayed open "
            f"{timed['temporal_open_seconds']:.1f} s on average, a task Lambda ran "
            f"{timed['lambda_ms_per_invocation']:.0f} ms per invocation in process (the assumptions table says what "
            "is priced instead).")


def _parse(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m comparison.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("reports"), help="report directory (default: reports)")
    parser.add_argument("--compliance", type=Path, default=COMPLIANCE_REPORT,
                        help="`make synth`'s compliance summary, for the egress mode the demo does not synthesize "
                             "(default: %(default)s, used when present)")
    parser.add_argument("--cost-assumptions", type=Path, default=None, metavar="FILE",
                        help="JSON object of cost assumptions to override (entry name -> value, or -> "
                             "{low, typical, high}); see comparison/cost/assumptions.json")
    parser.add_argument("--ui", action="store_true",
                        help="start the Temporal UI on a free port and keep the stack up until Ctrl-C")
    args = parser.parse_args(argv)
    return Options(out=args.out, compliance=args.compliance, ui=args.ui, cost_assumptions=args.cost_assumptions)


def main(argv: Sequence[str] | None = None) -> int:
    options = _parse(argv)
    progress = ProgressPrinter(sys.stdout)
    try:
        # SIGINT too: asyncio.run's own Ctrl-C handling only cancels its task, which a client library may turn into
        # an ordinary error (the run would then go on); a KeyboardInterrupt stops the demo wherever it is.
        with stop_on_signals((signal.SIGINT, signal.SIGTERM, signal.SIGHUP)):
            report = run_demo(options, progress)
    except KeyboardInterrupt:
        progress("interrupted: every process the demo started has been stopped")
        return 130
    except (StackError, AssumptionError) as error:
        progress(f"error: {error}")
        return 1
    problems = verdict(report)
    for problem in problems:
        progress(f"FAILED: {problem}")
    progress(f"{'failed' if problems else 'done'} in {progress.elapsed:.0f}s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
