"""What the runtimes, the infrastructure and the tooling agree on, one of each: the process description
(``process``), the environment variables and their builders (``environment``), the task registry (``registry``), the
definition renderer (``definition``) and the protection profile (``profile``). ``onboarding`` describes the one
process this repository runs; nothing else here knows it."""
