"""Child processes that never outlive the demo: own process groups, stopped in ``finally``, with two backstops.

Each child starts in its own session (so a terminal's Ctrl-C reaches only the demo, which then stops the children
in order: workers drain, the server shuts down) and is stopped by signalling its whole process group: SIGTERM,
then SIGKILL after a grace period. Backstops for paths that skip ``finally``: an ``atexit`` hook kills whatever is
still registered, and on Linux each child gets ``PR_SET_PDEATHSIG`` so the kernel sends it SIGTERM if the demo
dies, even by SIGKILL. :func:`stop_on_signals` turns SIGTERM and SIGHUP into ``KeyboardInterrupt``, so every way
of stopping the demo takes the same cleanup path.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType

_PR_SET_PDEATHSIG = 1
_live: set[subprocess.Popen[bytes]] = set()
_lock = threading.Lock()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the child binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _death_signal() -> Callable[[], None] | None:
    """A pre-exec hook asking the kernel to SIGTERM the child when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    prctl = libc.prctl  # resolved before fork: the hook itself only calls it

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


def spawn(argv: Sequence[str], *, env: dict[str, str], log_file: Path,
          cwd: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session (in ``cwd``, default this process's), output to ``log_file``; registered
    until :func:`stop` reaps it."""
    with log_file.open("ab") as log, _lock:
        process = subprocess.Popen(  # noqa: S603 - fixed argv built by the caller from known executables
            list(argv), env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_death_signal(),  # noqa: PLW1509 - resolved before fork, see above
        )
        _live.add(process)
    return process


def stop(*processes: subprocess.Popen[bytes], grace_seconds: float = 10.0) -> None:
    """SIGTERM each child's process group at once, SIGKILL what is left after ``grace_seconds``."""
    try:
        for process in processes:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for process in processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
            # Anything the child left in its group (it was the group leader) goes too.
            _signal_group(process, signal.SIGKILL)
    finally:
        with _lock:
            _live.difference_update(processes)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)  # start_new_session: the child's pid is its process group id


@atexit.register
def _kill_leftovers() -> None:
    with _lock:
        leftovers = list(_live)
    stop(*leftovers, grace_seconds=2.0)


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


@contextlib.contextmanager
def stop_on_signals(signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGHUP)) -> Iterator[None]:
    """While active, ``signals`` raise ``KeyboardInterrupt`` in the main thread, as Ctrl-C does."""
    previous = {sig: signal.signal(sig, _interrupt) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
