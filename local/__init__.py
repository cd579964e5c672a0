"""Local tooling that never deploys, shared by the demo, the bench and the tests: ``processes`` (children that never
outlive their parent), ``aws`` (moto server and resources), ``temporal`` (dev server, worker processes, the stack),
``stepfunctions`` (moto's interpreter with the real handlers) and ``onboarding`` (the onboarding process on them)."""
