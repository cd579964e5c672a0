"""CDK constructs, one per module, each configured through keyword-only typed props."""
