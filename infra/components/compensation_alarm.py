"""The alarm that tells an operator a saga could not undo itself: a Step Functions execution entered the
compensation-pending state (:data:`contract.process.COMPENSATION_PENDING_STATE`).

The state machine logs at level ALL without execution data, so each state it enters is a log event naming the state
and nothing else (``{"type": "PassStateEntered", "details": {"name": "CompensationPending"}, ...}``). A metric filter
on the state machine's log group counts those events; the alarm fires on the first one in a 5-minute period and
clears by itself (missing data is not breaching). The execution's output says which reason and that the compensation
is pending; the operator replays the remaining compensations (state_machines/README.md).

No action is attached: which pager it notifies (an SNS topic, an incident-response plan) is a deployment's choice,
and with none the blueprint sends nothing outside the account. The alarm state is visible in the CloudWatch console
and ``aws cloudwatch describe-alarms --state-value ALARM``.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from constructs import Construct

from contract.process import COMPENSATION_PENDING_STATE
from infra.compliance.acknowledgement import Acknowledgement, acknowledge, in_packs

METRIC_NAME = "CompensationPending"
PERIOD = Duration.minutes(5)


def compensation_pending_pattern(state_name: str = COMPENSATION_PENDING_STATE) -> logs.IFilterPattern:
    """Log events of an execution entering ``state_name`` (a Pass state)."""
    return logs.FilterPattern.all(
        logs.FilterPattern.string_value("$.type", "=", "PassStateEntered"),
        logs.FilterPattern.string_value("$.details.name", "=", state_name),
    )


class CompensationPendingAlarm(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, log_group: logs.ILogGroup, state_machine_name: str
                 ) -> None:
        super().__init__(scope, construct_id)
        entered = logs.MetricFilter(
            self, "Entered", log_group=log_group, filter_pattern=compensation_pending_pattern(),
            metric_namespace=state_machine_name, metric_name=METRIC_NAME, metric_value="1",
        )
        self.alarm = cloudwatch.Alarm(
            self, "Alarm",
            alarm_name=f"{state_machine_name}-compensation-pending",
            alarm_description=(
                f"An execution of {state_machine_name} could not finish its compensations: its output says "
                "compensation_pending. Replay the remaining compensations (state_machines/README.md)."),
            metric=entered.metric(statistic="Sum", period=PERIOD),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.acknowledgements: list[Acknowledgement] = acknowledge(
            self.alarm, in_packs("CloudWatchAlarmAction", "HIPAA.Security", "NIST.800.53.R5"), (
                f"The {state_machine_name} compensation-pending alarm is read in the CloudWatch console; the pager "
                "it notifies (an SNS topic, an incident-response plan) is each deployment's choice, so the blueprint "
                "attaches none and sends nothing outside the account."))
