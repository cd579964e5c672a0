"""The end-to-end stack: moto (KMS + DynamoDB) on 127.0.0.1, the Temporal dev server, and ``python -m workers``
as a subprocess. Shared by the end-to-end tests, the reliability tests and ``make bench``.

The worker process is configured exactly as in a container: environment variables only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from onboarding.adapters.dynamodb import TableNames, create_tables, dynamodb_adapters
from onboarding.ports import Adapters
from tests.workers.support import TEMPORAL_CLI, require
from workers.client import profile_client
from workers.codec import EnvelopeCodec
from workers.converter import Profile
from workers.keys import KmsKeyProvider

REGION = "us-east-1"
# moto keeps one state per process, whatever the number of servers: each emulator gets its own alias and tables,
# so several can live in one process (one per test module, the bench next to the tests).
PAYLOAD_ALIAS_PREFIX = "alias/temporal-payloads"


@dataclass(frozen=True)
class AwsEmulator:
    endpoint: str
    tables: TableNames
    key_arn: str
    alias: str  # points at key_arn; what workers and clients are configured with

    @property
    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "LEDGER_TABLE": self.tables.ledger,
            "CHARGES_TABLE": self.tables.charges,
            "OUTBOX_TABLE": self.tables.outbox,
            "REVIEWS_TABLE": self.tables.reviews,
        }

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def resource(self, service: str) -> Any:
        return boto3.resource(service, endpoint_url=self.endpoint, region_name=REGION,
                              aws_access_key_id="testing", aws_secret_access_key="testing")

    def adapters(self) -> Adapters:
        return dynamodb_adapters(self.tables, resource=self.resource("dynamodb"))

    def with_new_tables(self) -> AwsEmulator:
        """The same emulator with a fresh, empty set of tables (so a test can count every item it caused)."""
        tables = TableNames.with_prefix(f"e2e-{uuid.uuid4().hex[:8]}")
        create_tables(self.client("dynamodb"), tables)
        return replace(self, tables=tables)

    def codec(self, key_id: str | None = None) -> EnvelopeCodec:
        """A KMS codec as a client process builds one (its own data-key cache); by default under the alias."""
        return EnvelopeCodec.for_provider(KmsKeyProvider(key_id or self.alias, kms_client=self.client("kms")))


@contextmanager
def aws_emulator() -> Iterator[AwsEmulator]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        name = uuid.uuid4().hex[:8]
        emulator = AwsEmulator(endpoint, TableNames.with_prefix(f"e2e-{name}"), "", f"{PAYLOAD_ALIAS_PREFIX}-{name}")
        create_tables(emulator.client("dynamodb"), emulator.tables)
        kms = emulator.client("kms")
        key_arn = kms.create_key(Description="temporal payload key (test)")["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=emulator.alias, TargetKeyId=key_arn)
        yield replace(emulator, key_arn=key_arn)
    finally:
        server.stop()


@dataclass(frozen=True)
class Stack:
    """moto plus a dev server: clients per profile, and the environment of a worker process that uses both."""

    aws: AwsEmulator
    env: WorkflowEnvironment
    address: str
    workdir: Path

    def client(self, profile: Profile, *, key_id: str | None = None) -> Client:
        codec = self.aws.codec(key_id) if profile is Profile.HARDENED else None
        return profile_client(self.env.client.service_client, profile=profile, codec=codec)

    def raw_client(self) -> Client:
        """No codec at all: sees exactly what the Temporal service stores."""
        return Client(self.env.client.service_client, namespace="default")

    def worker_env(self, profile: Profile, task_queue: str, *, key_id: str | None = None) -> dict[str, str]:
        env = {**self.aws.env, "TEMPORAL_ADDRESS": self.address, "TEMPORAL_TASK_QUEUE": task_queue,
               "PROTECTION_PROFILE": profile.value}
        if profile is Profile.HARDENED:
            env["PAYLOAD_KEY_ID"] = key_id or self.aws.alias
        return env

    def with_new_tables(self) -> Stack:
        return replace(self, aws=self.aws.with_new_tables())


@asynccontextmanager
async def local_stack(aws: AwsEmulator, workdir: Path) -> AsyncIterator[Stack]:
    """A dev server (in memory, random port) next to ``aws``; always shut down."""
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=require(TEMPORAL_CLI))
    try:
        yield Stack(aws, env, env.client.service_client.config.target_host, workdir)
    finally:
        await env.shutdown()


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_file: Path
    health_file: Path
    env: dict[str, str] = field(repr=False)

    def log_lines(self) -> list[str]:
        return self.log_file.read_text(encoding="utf-8").splitlines()

    def wait_healthy(self, attempts: int = 600) -> None:
        for _ in range(attempts):
            if self.health_file.exists():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited with {self.process.returncode}:\n{self.log_file.read_text()}")
            time.sleep(0.05)
        raise RuntimeError(f"worker never became healthy:\n{self.log_file.read_text()}")

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, as ECS sends it; returns the exit code (kills only if the graceful stop hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode


def clean_environment() -> dict[str, str]:
    prefixes = ("TEMPORAL_", "WORKER_", "PAYLOAD_", "AWS_", "PROTECTION_")
    return {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}


@contextmanager
def worker_process(env: dict[str, str], workdir: Path) -> Iterator[WorkerProcess]:
    """Start ``python -m workers`` with exactly ``env`` (plus PATH etc.); always stopped on exit."""
    name = uuid.uuid4().hex[:8]
    log_file, health_file = workdir / f"worker-{name}.log", workdir / f"worker-{name}.health"
    full_env = {
        **clean_environment(),
        "WORKER_HEALTH_FILE": str(health_file),
        "WORKER_HEALTH_INTERVAL_SECONDS": "0.5",
        "WORKER_HEALTH_MAX_AGE_SECONDS": "10",
        "WORKER_GRACEFUL_SHUTDOWN_SECONDS": "5",
        **env,
    }
    with log_file.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "workers"], env=full_env, stdout=log,
                                   stderr=subprocess.STDOUT)
    worker = WorkerProcess(process, log_file, health_file, full_env)
    try:
        worker.wait_healthy()
        yield worker
    finally:
        worker.terminate()
