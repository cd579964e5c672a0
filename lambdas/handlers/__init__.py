"""One module per task Lambda, named as in :data:`lambdas.registry.TASK_FUNCTIONS`; each exposes ``handler``."""
