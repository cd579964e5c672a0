"""Temporal workers: workflow, activities, payload codec and the worker entrypoint (``python -m workers``)."""
