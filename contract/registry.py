"""The task Lambdas of a process, derived from its description: one per step, plus the entry function.

``infra`` creates one function per entry; the local runner routes each function's ARN to the same handler in
process. The handler of a function is ``<handlers package>.<name>.handler`` (``lambdas.handlers.validate.handler``);
a step without a handler module fails the bundle test and synth naming the module.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract.process import ProcessDescription, pascal_case

HANDLERS_PACKAGE = "lambdas.handlers"


@dataclass(frozen=True, kw_only=True)
class TaskFunction:
    name: str  # snake_case, stable: construct ids, function names (``<env>-<name>``), the handler module
    handler: str  # "module.function" inside the bundle
    substitution_key: str  # the ${...} placeholder in the state machine definition
    # False for the submission entry point: a client calls it, the state machine does not, and it needs the state
    # machine's ARN, so wiring its ARN into the definition would be a cycle.
    in_state_machine: bool = True


def task_function(name: str, *, handlers_package: str = HANDLERS_PACKAGE,
                  in_state_machine: bool = True) -> TaskFunction:
    return TaskFunction(name=name, handler=f"{handlers_package}.{name}.handler",
                        substitution_key=f"{pascal_case(name)}FunctionArn", in_state_machine=in_state_machine)


def task_functions(process: ProcessDescription, *,
                   handlers_package: str = HANDLERS_PACKAGE) -> tuple[TaskFunction, ...]:
    """The entry function, then one function per step of the process (compensations included), in order."""
    entry = task_function(process.entry_function, handlers_package=handlers_package, in_state_machine=False)
    steps = (task_function(step.name, handlers_package=handlers_package) for step in process.all_steps)
    return (entry, *steps)


def state_machine_functions(functions: tuple[TaskFunction, ...]) -> tuple[TaskFunction, ...]:
    """The functions the definition references, i.e. the DefinitionSubstitutions infra must pass."""
    return tuple(function for function in functions if function.in_state_machine)


def find_function(functions: tuple[TaskFunction, ...], name: str) -> TaskFunction:
    for function in functions:
        if function.name == name:
            return function
    raise KeyError(f"unknown task function {name!r}")
