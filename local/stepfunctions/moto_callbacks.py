"""A workaround for a race in moto's Step Functions interpreter, for local runs only.

moto's ``SendTaskSuccess`` / ``SendTaskFailure`` / ``SendTaskHeartbeat`` look for the task token in every
execution's callback pool, including executions whose worker thread has not started yet (their ``exec_worker.env``
is still ``None``). Under load (many executions submitted at once) a decision for one execution can then fail with
an ``AttributeError`` raised while moto inspects *another*, not-yet-started execution. AWS has no such race: an
execution that has not started holds no callbacks. While a ``SendTask*`` call runs, this hides unstarted executions
from moto's lookup (a thread-local flag, so concurrent ``ListExecutions`` calls see every execution as before).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

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
        _installed = True
