"""One module per task Lambda, named as in :data:`contract.registry.TASK_FUNCTIONS`; each exposes ``handler``."""
