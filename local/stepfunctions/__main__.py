"""``python -m local.stepfunctions [--profile hardened|baseline] [--definition template|asl]``: run the onboarding
scenario corpus on the local Step Functions interpreter and print one JSON line per scenario (expected vs actual
outcome). Exit status 1 on a mismatch.

The definition is the synthesized CDK template's (``template``, the default: what deploys; needs ``make bundle``)
or the ASL file (``asl``: no synthesis, e.g. while editing the definition)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from contract.onboarding import onboarding_asl
from contract.profile import Profile
from local.onboarding import OnboardingStepFunctions, onboarding_definition
from scenarios import DEMO_REVIEW_TIMEOUT_SECONDS, SCENARIOS


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.stepfunctions", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=[p.value for p in Profile], default=Profile.HARDENED.value)
    parser.add_argument("--review-timeout", type=int, default=DEMO_REVIEW_TIMEOUT_SECONDS, metavar="SECONDS")
    parser.add_argument("--definition", choices=["template", "asl"], default="template")
    args = parser.parse_args(argv)
    logging.getLogger("moto").setLevel(logging.ERROR)  # the interpreter logs every caught task failure
    definition = onboarding_definition() if args.definition == "template" else onboarding_asl()

    decisions = {scenario.application_id: scenario.review_decision for scenario in SCENARIOS}
    with OnboardingStepFunctions(profile=Profile(args.profile), review_timeout_seconds=args.review_timeout,
                                 definition=definition) as sfn:
        results = sfn.run_onboardings([scenario.application() for scenario in SCENARIOS],
                                      reviewer=decisions.__getitem__)
    mismatches = 0
    for scenario in SCENARIOS:
        result = results[scenario.application_id]
        outcome, wanted = result.outcome, scenario.expected
        actual = [outcome.status, outcome.reason] if outcome else None
        expected = [wanted.status, wanted.reason]
        mismatches += actual != expected
        line = {"scenario": scenario.name, "expected": expected, "actual": actual, "status": result.status,
                "history_events": len(result.history)}
        print(json.dumps(line), file=sys.stderr if actual != expected else sys.stdout)
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
