"""Mutation testing of the security core (``make mutation``): see tests/README.md#mutation-testing-make-mutation."""
