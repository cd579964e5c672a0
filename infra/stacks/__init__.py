"""Stacks: each composes constructs; stateful resources live in the foundation stack."""
