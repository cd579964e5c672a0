"""The modules ``make mutation`` mutates, each with the fast tests that cover it.

Each target runs mutmut on its own: its package is copied (mutmut imports the copy, whose functions carry the
mutants), the other packages import from the repository as usual, and only the target's tests run against each
mutant. A test listed here must be fast (seconds) and need no server: mutmut runs the covering ones once per mutant.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    path: str  # the module mutated, relative to the repository root
    tests: tuple[str, ...]  # pytest arguments selecting its tests

    @property
    def package(self) -> str:
        return self.path.split("/", 1)[0]

    @property
    def slug(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")


_ENVELOPE_TESTS = ("tests/envelope", "tests/workers/test_codec.py", "tests/workers/test_codec_kms.py")

# The audit's unit tests; test_collect.py runs the engines, too slow to repeat for each mutant.
_AUDIT_TESTS = ("tests/comparison/audit/test_textscan.py", "tests/comparison/audit/test_stepfunctions.py",
                "tests/comparison/audit/test_temporal.py")

TARGETS: tuple[Target, ...] = (
    Target("workers/codec.py", _ENVELOPE_TESTS),
    Target("envelope/seal.py", _ENVELOPE_TESTS),
    Target("envelope/key_cache.py", _ENVELOPE_TESTS),
    Target("envelope/keys.py", _ENVELOPE_TESTS),
    Target("onboarding/validation.py", ("tests/onboarding/test_validation.py", "tests/onboarding/test_boundaries.py")),
    Target("onboarding/risk.py", ("tests/onboarding/test_risk.py",)),
    Target("lambdas/claim_check.py", ("tests/lambdas/test_claim_check.py", "tests/lambdas/test_intake.py")),
    Target("lambdas/errors.py",
           ("tests/lambdas/test_errors.py", "tests/lambdas/test_handlers.py", "tests/contract/test_definition.py")),
    Target("comparison/audit/textscan.py", _AUDIT_TESTS),
    Target("comparison/audit/pii.py", _AUDIT_TESTS),
    Target("contract/definition.py", ("tests/contract/test_definition.py",)),
)


def target(path: str) -> Target:
    for candidate in TARGETS:
        if path in {candidate.path, candidate.slug}:
            return candidate
    raise KeyError(f"not a mutation target: {path} (targets: {', '.join(t.path for t in TARGETS)})")
