#!/usr/bin/env python3
"""CDK app entry point: the only place that reads the CDK context and the environment.

`cdk synth` (see `make synth`) builds all five stacks for the configured egress mode with the compliance gates
on; override any configuration key with `-c key=value`, e.g. `-c egress_mode=privatelink`.
"""

from __future__ import annotations

import os
import sys

from aws_cdk import App, Environment

from infra.blueprint import build_blueprint
from infra.compliance.gates import enforce
from infra.config import ConfigurationError, load_config
from infra.onboarding import onboarding_sources


def main() -> None:
    app = App()
    try:
        config = load_config(app.node.get_all_context())
    except ConfigurationError as error:
        sys.exit(str(error))
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    try:  # a few rules span the configuration and the process (the durable function's execution timeout)
        blueprint = build_blueprint(
            app,
            config=config,
            sources=onboarding_sources(),
            env=Environment(account=account, region=region) if account and region else None,
        )
    except ConfigurationError as error:
        sys.exit(str(error))
    enforce(app, (ack for acks in blueprint.acknowledgements().values() for ack in acks))
    app.synth()


if __name__ == "__main__":
    main()
