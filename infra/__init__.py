"""CDK constructs and stacks for both architectures, typed configuration and compliance gates."""
