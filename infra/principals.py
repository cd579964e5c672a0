"""Every IAM principal of a deployment, named before any of them exists, and which of them each key serves.

The keys live in the foundation stack, which every other stack depends on, so their policies cannot reference the
roles the other stacks create. Instead every role gets a fixed name (``<environment_name>-<purpose>``) and the key
policies name the roles by ARN in ``aws:PrincipalArn`` conditions, which need no role to exist yet.

Who may decrypt with which key (the only principals of the account that may; the key policies deny everyone else):

- ``payload`` (Temporal payload codec): the worker task role; the operator role (starter, codec server, audit);
- ``data`` (tables, claim-check objects, the Temporal secret, the Lambda environment): every task function role
  (each reads or writes at least one of those, and Lambda decrypts the environment with the function's role); the
  worker task role; the durable function's role (its tables and environment); the operator role; the deployer, only
  through Secrets Manager (creating the secret);
- ``state_machine`` (execution history and definition): the state machine role; the entry function's role
  (StartExecution); the operator role (reviewer, audit); the deployer, only through Step Functions;
- ``logs`` (log groups, S3 access logs, the audit trail's files): the operator role (reading the access logs and the
  trail); the services that write them are bound by their own conditions in the key policy;
- ``checkpoint`` (the durable function's checkpoint envelopes, sealed in the function before the service stores them):
  the durable function's role; the operator role (it seals submissions and review answers, and reads checkpoints for
  the audit); only with the encryption context ``purpose=durable-checkpoint``;
- ``durable_execution`` (``DurableConfig.KMSKeyArn``: the service's own encryption of the execution data): the durable
  function's role and the operator role, each only through Lambda (``kms:ViaService``) for that one function; the
  deployer, only through Lambda (CreateFunction validates the key); the Lambda service bound to the function.

Each list also holds the configured break-glass roles (``break_glass_role_arns``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_cdk import Aws, DefaultStackSynthesizer, Fn

from contract.process import ProcessDescription
from contract.registry import TaskFunction
from infra.config import BlueprintConfig

KeyName = Literal["payload", "data", "state_machine", "logs", "checkpoint", "durable_execution"]
KEY_NAMES: tuple[KeyName, ...] = ("payload", "data", "state_machine", "logs", "checkpoint", "durable_execution")

# What the deployer (CloudFormation's execution role) does with a key, and through which service only: it creates the
# Temporal secret with a generated value (Secrets Manager encrypts it with the data key under the deployer's
# credentials), creates and reads the state machine (Step Functions encrypts the definition with its key) and creates
# the durable function (Lambda validates its DurableConfig key with the deployer's credentials: DescribeKey and dry-run
# GenerateDataKey and Decrypt, AWS Lambda Developer Guide, "Encrypting AWS Lambda durable execution data").
DEPLOYER_SERVICES: dict[KeyName, str] = {"data": "secretsmanager", "state_machine": "states",
                                         "durable_execution": "lambda"}


@dataclass(frozen=True, kw_only=True)
class Principals:
    environment_name: str
    process: ProcessDescription
    functions: tuple[TaskFunction, ...]
    operator_role_arn: str
    break_glass_role_arns: tuple[str, ...]

    @classmethod
    def of(cls, config: BlueprintConfig, process: ProcessDescription,
           functions: tuple[TaskFunction, ...]) -> Principals:
        return cls(environment_name=config.environment_name, process=process, functions=functions,
                   operator_role_arn=config.operator_role_arn, break_glass_role_arns=config.break_glass_role_arns)

    # -- role names (IAM allows 64 characters: 20 for the environment, the rest for the purpose) ------------------

    def task_role_name(self, function: str) -> str:
        return f"{self.environment_name}-{function.replace('_', '-')}"

    @property
    def worker_task_role_name(self) -> str:
        return f"{self.environment_name}-worker-task"

    @property
    def worker_execution_role_name(self) -> str:
        return f"{self.environment_name}-worker-execution"

    @property
    def state_machine_role_name(self) -> str:
        return f"{self.environment_name}-{self.process.name.replace('_', '-')}-machine"

    @property
    def durable_function_name(self) -> str:
        """The process's durable function (``<environment_name>-<process>-durable``); its role has the same name."""
        return f"{self.environment_name}-{self.process.name.replace('_', '-')}-durable"

    @property
    def durable_role_name(self) -> str:
        return self.durable_function_name

    @staticmethod
    def role_arn(name: str) -> str:
        return f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/{name}"

    @property
    def deployer_role_arn(self) -> str:
        """CloudFormation's execution role from the CDK bootstrap (default qualifier)."""
        qualifier = DefaultStackSynthesizer.DEFAULT_QUALIFIER
        return Fn.sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-{qualifier}-cfn-exec-role-"
                      "${AWS::AccountId}-${AWS::Region}")

    # -- who may decrypt -----------------------------------------------------------------------------------------

    def key_users(self, key: KeyName) -> tuple[str, ...]:
        """The role ARNs that may use ``key`` for decryption, data keys and re-encryption (besides the deployer)."""
        people = (self.operator_role_arn, *self.break_glass_role_arns)
        if key == "payload":
            roles = [self.worker_task_role_name]
        elif key == "data":
            roles = [*(self.task_role_name(f.name) for f in self.functions), self.worker_task_role_name,
                     self.durable_role_name]
        elif key == "state_machine":
            roles = [self.state_machine_role_name, self.task_role_name(self.process.entry_function)]
        elif key in ("checkpoint", "durable_execution"):
            roles = [self.durable_role_name]
        else:
            roles = []
        return (*(self.role_arn(name) for name in roles), *people)
