"""The environment variables the runtimes read, and the builders that set them.

One place for every name: ``infra`` writes these variables into the deployed task Lambdas and the worker's task
definition, the local tooling sets the same ones for local runs, and the runtimes read them. The builders take
resource names (or CloudFormation tokens) and return the whole environment, so a deployment and a local run cannot
drift apart. Side-effect tables are named per process (``<ROLE>_TABLE``, see
:meth:`contract.process.ProcessDescription.table_variable`).
"""

from __future__ import annotations

from collections.abc import Mapping

from contract.process import ProcessDescription
from contract.profile import Profile

PROTECTION_PROFILE = "PROTECTION_PROFILE"  # "hardened" (default) or "baseline" (exposure comparison only)

# Task Lambdas.
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE"
CLAIM_CHECK_BUCKET = "CLAIM_CHECK_BUCKET"
CLAIM_CHECK_KEY_ARN = "CLAIM_CHECK_KEY_ARN"
STATE_MACHINE_ARN = "STATE_MACHINE_ARN"  # used by the entry function (every function gets the same environment)
REVIEW_TIMEOUT_SECONDS = "REVIEW_TIMEOUT_SECONDS"  # used by the entry function; optional
DEFAULT_REVIEW_TIMEOUT_SECONDS = 72 * 3600
POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"

# The Powertools idempotency table: partition key ``id`` (string), TTL attribute ``expiration``. These are
# Powertools' defaults, named here so infra and the local tooling create the same table.
IDEMPOTENCY_PARTITION_KEY = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"

# Temporal workers (and every other Temporal client: starter, codec server).
TEMPORAL_ADDRESS = "TEMPORAL_ADDRESS"
TEMPORAL_NAMESPACE = "TEMPORAL_NAMESPACE"
TEMPORAL_TASK_QUEUE = "TEMPORAL_TASK_QUEUE"
TEMPORAL_AUTH_MODE = "TEMPORAL_AUTH_MODE"
TEMPORAL_TLS = "TEMPORAL_TLS"
TEMPORAL_SECRET_ARN = "TEMPORAL_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
PAYLOAD_KEY_ID = "PAYLOAD_KEY_ID"
WORKER_GRACEFUL_SHUTDOWN_SECONDS = "WORKER_GRACEFUL_SHUTDOWN_SECONDS"
WORKER_HEALTH_FILE = "WORKER_HEALTH_FILE"
WORKER_HEALTH_MAX_AGE_SECONDS = "WORKER_HEALTH_MAX_AGE_SECONDS"

# The KMS encryption context of every data key the Temporal payload codec generates or unwraps. The payload key's
# policy allows its users these operations only with this context (``kms:EncryptionContext:purpose``), so the key
# cannot be used for anything but the codec's envelopes.
PAYLOAD_ENCRYPTION_CONTEXT: dict[str, str] = {"purpose": "temporal-payload-codec"}
# The same for the durable function's checkpoint envelopes (their own key, their own context): a data key wrapped for
# a checkpoint cannot unwrap a Temporal payload, nor the reverse.
CHECKPOINT_ENCRYPTION_CONTEXT: dict[str, str] = {"purpose": "durable-checkpoint"}
# The durable function's alias: clients start executions on it (infra publishes it, make audit calls it).
DURABLE_FUNCTION_ALIAS = "live"


def table_environment(process: ProcessDescription, tables: Mapping[str, str]) -> dict[str, str]:
    """``<ROLE>_TABLE`` for every side-effect table of the process; a missing or unknown role is an error."""
    missing = sorted(set(process.table_roles) - tables.keys())
    unknown = sorted(tables.keys() - set(process.table_roles))
    if missing or unknown:
        raise KeyError(f"tables for process {process.name}: missing {missing or 'none'}, unknown {unknown or 'none'}")
    return {process.table_variable(role): tables[role] for role in process.table_roles}


def task_environment(
    process: ProcessDescription,
    *,
    tables: Mapping[str, str],
    idempotency_table: str,
    claim_check_bucket: str,
    claim_check_key_arn: str,
    state_machine_arn: str,
    review_timeout_seconds: int,
    profile: Profile = Profile.HARDENED,
) -> dict[str, str]:
    """The environment of every task Lambda of ``process`` (the same for all; IAM decides what each may touch)."""
    return {
        **table_environment(process, tables),
        IDEMPOTENCY_TABLE: idempotency_table,
        CLAIM_CHECK_BUCKET: claim_check_bucket,
        CLAIM_CHECK_KEY_ARN: claim_check_key_arn,
        PROTECTION_PROFILE: profile.value,
        STATE_MACHINE_ARN: state_machine_arn,
        REVIEW_TIMEOUT_SECONDS: str(review_timeout_seconds),
    }


def worker_environment(
    process: ProcessDescription,
    *,
    address: str,
    namespace: str,
    task_queue: str,
    tables: Mapping[str, str],
    payload_key_id: str | None,
    auth_mode: str = "none",
    tls: bool | None = None,
    secret_arn: str | None = None,
    profile: Profile = Profile.HARDENED,
    graceful_shutdown_seconds: int | float | None = None,
) -> dict[str, str]:
    """The Temporal worker's configuration, as the container gets it (see ``workers.settings``).

    ``payload_key_id`` is the KMS key (ARN or alias) of the payload codec; ``None`` only for the baseline profile.
    """
    env = {
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: namespace,
        TEMPORAL_TASK_QUEUE: task_queue,
        TEMPORAL_AUTH_MODE: auth_mode,
        PROTECTION_PROFILE: profile.value,
        **table_environment(process, tables),
    }
    if tls is not None:
        env[TEMPORAL_TLS] = "true" if tls else "false"
    if secret_arn is not None:
        env[TEMPORAL_SECRET_ARN] = secret_arn
    if payload_key_id is not None:
        env[PAYLOAD_KEY_ID] = payload_key_id
    if graceful_shutdown_seconds is not None:
        env[WORKER_GRACEFUL_SHUTDOWN_SECONDS] = str(graceful_shutdown_seconds)
    return env


def durable_environment(
    process: ProcessDescription, *, tables: Mapping[str, str], payload_key_id: str | None,
    profile: Profile = Profile.HARDENED,
) -> dict[str, str]:
    """The environment of a process's durable function (see ``durable_functions.settings``): its tables, the KMS key
    its checkpoints are sealed under (``None`` only for the baseline profile) and the profile."""
    env = {**table_environment(process, tables), PROTECTION_PROFILE: profile.value}
    if payload_key_id is not None:
        env[PAYLOAD_KEY_ID] = payload_key_id
    return env
