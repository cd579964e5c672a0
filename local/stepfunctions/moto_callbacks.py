"""Workarounds for two races in moto's Step Functions interpreter, for local runs only.

moto's ``SendTaskSuccess`` / ``SendTaskFailure`` / ``SendTaskHeartbeat`` look for the task token in every
execution's callback pool, including executions whose worker thread has not started yet (their ``exec_worker.env``
is still ``None``). Under load (many executions submitted at once) a decision for one execution can then fail with
an ``AttributeError`` raised while moto inspects *another*, not-yet-started execution. AWS has no such race: an
execution that has not started holds no callbacks. While a ``SendTask*`` call runs, this hides unstarted executions
from moto's lookup (a thread-local flag, so concurrent ``ListExecutions`` calls see every execution as before).

Second: a ``.waitForTaskToken`` task with ``HeartbeatSeconds`` (the review step) creates its heartbeat endpoint only
after its Lambda has returned, and then waits on that endpoint alone. A decision sent in between (the Lambda stored
the token, the reviewer answered at once) is recorded on the callback but wakes nothing, so the task sleeps until
its timeout and the review ends ``REVIEW_TIMEOUT`` though the decision was accepted. AWS delivers such a decision.
Here a heartbeat endpoint created after the answer starts signalled, so the task reads the answer at once.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, HeartbeatEndpoint
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

_CALLBACK_METHODS = ("send_task_success", "send_task_failure", "send_task_heartbeat")
_in_callback = threading.local()
_installed = False
_lock = threading.Lock()


def _started(execution: Any) -> bool:
    worker = getattr(execution, "exec_worker", None)
    return worker is not None and getattr(worker, "env", None) is not None


def _flagged(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        _in_callback.active = True
        try:
            return method(self, *args, **kwargs)
        finally:
            _in_callback.active = False

    return wrapper


def _filtered(get_executions: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    @functools.wraps(get_executions)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> list[Any]:
        executions = get_executions(self, *args, **kwargs)
        if getattr(_in_callback, "active", False):
            return [execution for execution in executions if _started(execution)]
        return executions

    return wrapper


def _answered_first(setup: Callable[..., HeartbeatEndpoint]) -> Callable[..., HeartbeatEndpoint]:
    @functools.wraps(setup)
    def wrapper(self: CallbackEndpoint, *args: Any, **kwargs: Any) -> HeartbeatEndpoint:
        endpoint = setup(self, *args, **kwargs)
        if self.get_outcome() is not None:  # the answer came before the task began to wait for it
            endpoint.notify()  # type: ignore[no-untyped-call]  # moto leaves it unannotated
        return endpoint

    return wrapper


def install() -> None:
    """Idempotent; called by the local runner before it starts executions."""
    global _installed  # noqa: PLW0603 - a process-wide, once-only patch of moto's class
    with _lock:
        if _installed:
            return
        backend: Any = StepFunctionsParserBackend
        backend._get_executions = _filtered(backend._get_executions)
        for name in _CALLBACK_METHODS:
            setattr(backend, name, _flagged(getattr(backend, name)))
        CallbackEndpoint.setup_heartbeat_endpoint = _answered_first(  # type: ignore[method-assign]
            CallbackEndpoint.setup_heartbeat_endpoint)
        _installed = True
