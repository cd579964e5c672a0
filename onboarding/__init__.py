"""Shared business logic for the account-onboarding process.

Both orchestrators (Temporal workers and the Step Functions task Lambdas) call the same step
functions in :mod:`onboarding.steps`; side effects go through the ports in :mod:`onboarding.ports`.
Nothing in this package imports Temporal, CDK or (outside ``onboarding.adapters``) boto3.
"""
