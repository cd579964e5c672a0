"""The worker process: connect, poll, keep the health file fresh, and stop cleanly on SIGTERM.

Generic: what it runs comes from a :class:`WorkerRegistration` (the process's description, its workflows, its
activities and its stores); ``workers.registration`` is onboarding's. Every step of the description must have an
activity of the same name, or the worker refuses to start, naming the missing step (a missing registration would
otherwise surface only as a workflow task failing its retries).

Shutdown: ECS sends SIGTERM, waits ``stopTimeout`` (set above ``WORKER_GRACEFUL_SHUTDOWN_SECONDS``), then
SIGKILLs. On SIGTERM the worker stops polling, gives running activities up to the graceful period to finish,
then cancels the rest (Temporal retries them elsewhere); the health file is removed first, so a health check
never reports a stopping worker as healthy.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.worker import Worker

from contract.process import ProcessDescription
from contract.profile import Profile
from workers.client import build_codec, connect
from workers.settings import WorkerSettings

log = logging.getLogger("workers")


class StartupError(Exception):
    """The worker could not start (its message is about transport and configuration, never payloads)."""


class RegistrationError(StartupError):
    """The registered activities do not match the process description; the message names the step."""


_HEALTH_PROBE_TIMEOUT = timedelta(seconds=5)


@dataclass(frozen=True, kw_only=True)
class WorkerRegistration:
    """What a worker runs for one process.

    - ``activities(stores, profile)`` returns an object whose ``@activity.defn`` methods implement the steps
      (``stores`` as built by ``stores``); the activity name of each is a step name of ``process``, or one of
      ``engine_activities`` (Temporal-only helpers, e.g. recording a review decision);
    - ``stores(tables)`` builds the process's side-effect stores: DynamoDB for a role -> table name mapping,
      in memory for ``None`` (local development only; the settings enforce it).
    """

    process: ProcessDescription
    workflows: Sequence[type]
    activities: Callable[[Any, Profile], object]
    stores: Callable[[Mapping[str, str] | None], Any]
    engine_activities: tuple[str, ...] = ()


def activities_for(registration: WorkerRegistration, implementation: object) -> list[Callable[..., Any]]:
    """The activities of ``implementation``, checked against the process: one per step, no unknown name."""
    found: dict[str, Callable[..., Any]] = {}
    for attribute in dir(implementation):
        method = getattr(implementation, attribute)
        definition = activity_definition(method)
        if definition is not None:
            found[definition] = method
    process = registration.process
    missing = [step.name for step in process.all_steps if step.name not in found]
    if missing:
        raise RegistrationError(
            f"no activity registered for step(s) {', '.join(missing)} of process {process.name}: add an "
            f"@activity.defn(name=...) method to {type(implementation).__name__}")
    known = {step.name for step in process.all_steps} | set(registration.engine_activities)
    unknown = sorted(set(found) - known)
    if unknown:
        raise RegistrationError(
            f"activities {', '.join(unknown)} of {type(implementation).__name__} are no step of process "
            f"{process.name}: describe the step, or list the activity in engine_activities")
    return list(found.values())


def activity_definition(method: object) -> str | None:
    """The activity name of an ``@activity.defn`` callable, or None for anything else."""
    definition = getattr(method, "__temporal_activity_definition", None)
    name = getattr(definition, "name", None)
    return name if isinstance(name, str) else None


def build_worker(
    client: Client,
    registration: WorkerRegistration,
    *,
    task_queue: str,
    stores: Any,
    executor: ThreadPoolExecutor,
    max_concurrent_activities: int | None = None,
    max_concurrent_workflow_tasks: int | None = None,
    graceful_shutdown: timedelta = timedelta(),
    profile: Profile = Profile.HARDENED,
) -> Worker:
    """The process's worker; also what tests and the local tooling run in process, with their own stores.
    ``profile`` must match the client's converter (baseline: the exposure comparison's leaky variant)."""
    implementation = registration.activities(stores, profile)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(registration.workflows),
        activities=activities_for(registration, implementation),
        activity_executor=executor,
        max_concurrent_activities=max_concurrent_activities,
        max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=graceful_shutdown,
    )


def forwarding_runtime() -> Runtime:
    """Route the SDK core's (Rust) logs through Python logging, so they come out as JSON too."""
    logging_config = LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )
    return Runtime(telemetry=TelemetryConfig(logging=logging_config))


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


async def run(settings: WorkerSettings, registration: WorkerRegistration, *,
              stop_signals: Sequence[signal.Signals] = STOP_SIGNALS) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in stop_signals:
        loop.add_signal_handler(sig, stop.set)
    codec = build_codec(settings)
    try:
        client = await connect(settings, codec=codec, runtime=forwarding_runtime())
    except RuntimeError as error:
        # Transport errors (DNS, TLS, auth) carry no payload data; their text is what the operator needs.
        raise StartupError(f"could not connect to Temporal at {settings.address}: {error}") from None
    with ThreadPoolExecutor(settings.max_concurrent_activities, thread_name_prefix="activity") as executor:
        worker = build_worker(
            client, registration, task_queue=settings.queue, stores=registration.stores(settings.table_names),
            executor=executor,
            max_concurrent_activities=settings.max_concurrent_activities,
            max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
            graceful_shutdown=timedelta(seconds=settings.graceful_shutdown_seconds), profile=settings.profile,
        )
        log.info("worker starting", extra={"event": _describe(settings)})
        polling = asyncio.create_task(worker.run())
        health = asyncio.create_task(_keep_healthy(client, worker, settings))
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopped}, return_when=asyncio.FIRST_COMPLETED)
        health.cancel()
        settings.health_file.unlink(missing_ok=True)
        if not polling.done():
            grace = {"grace_seconds": settings.graceful_shutdown_seconds}
            log.info("stop signal received: draining", extra={"event": grace})
            await worker.shutdown()
        stopped.cancel()
        await polling  # re-raises a fatal worker error (the process then exits non-zero)
    log.info("worker stopped")


async def _keep_healthy(client: Client, worker: Worker, settings: WorkerSettings) -> None:
    while True:
        if worker.is_running and not worker.is_shutdown and await _service_answers(client):
            try:
                settings.health_file.touch()
            except OSError as error:  # e.g. /tmp not mounted writable: say so, or the task just looks unhealthy
                log.error("cannot write the health file", extra={"event": {"path": str(settings.health_file),
                                                                           "error_type": type(error).__name__}})
        await asyncio.sleep(settings.health_interval_seconds)


async def _service_answers(client: Client) -> bool:
    try:
        await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=_HEALTH_PROBE_TIMEOUT)
    except Exception as error:  # any failure means unhealthy; the type is enough to diagnose
        log.warning("temporal service health probe failed", extra={"event": {"error_type": type(error).__name__}})
        return False
    return True


def _describe(settings: WorkerSettings) -> dict[str, Any]:
    """Start-up facts worth logging: no secrets, no key material (ARNs of keys and tables are fine)."""
    return {
        "address": settings.address,
        "namespace": settings.namespace,
        "task_queue": settings.queue,
        "auth_mode": settings.auth_mode.value,
        "tls": settings.tls,
        "profile": settings.profile.value,
        "payload_key_id": settings.payload_key_id,
        "storage": "memory" if settings.table_names is None else "dynamodb",
        "max_concurrent_activities": settings.max_concurrent_activities,
        "max_concurrent_workflow_tasks": settings.max_concurrent_workflow_tasks,
    }
