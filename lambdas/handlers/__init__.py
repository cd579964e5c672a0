"""One module per task Lambda of the onboarding process (``contract.registry.task_functions``): each exposes
``handler``. ``events`` holds the events the state machine sends them."""
