"""Step Functions task Lambdas: thin handlers over ``onboarding``. Never imports temporalio or aws-cdk-lib."""
