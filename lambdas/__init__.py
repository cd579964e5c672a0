"""Step Functions task Lambdas: the generic task runtime (``task``, ``intake``, ``claim_check``, ``events``, ``errors``,
``runtime``, ``settings``, ``observability``) and onboarding's thin handlers (``handlers``, ``registration``). The
Lambda asset is this package with ``contract`` and ``onboarding``; it never imports temporalio or aws-cdk-lib."""
