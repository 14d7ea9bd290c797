"""Worker processes that can be killed: budgets that hold even when SymPy holds the GIL.

A thread budget (:mod:`derive.engine.budget`) cannot stop SymPy building a huge integer: the
computation holds the GIL and ignores the request to stop, and memory grows until the machine
swaps. A worker process can be killed. Each worker

- has its address space bounded (``RLIMIT_AS``: :data:`MEMORY_LIMIT`, or half of it more than its
  size at start when it starts larger, as a fork of a process that loaded torch does), so a runaway
  allocation is a ``MemoryError`` inside the worker, never the machine's memory;
- is reused for job after job (forking or spawning one costs 10 ms to a second), and replaced
  when it is killed;
- ignores Ctrl-C: the caller decides, and kills its workers on the way out;
- dies with its parent: on Linux the kernel sends it SIGKILL when the process that started it
  ends (``PR_SET_PDEATHSIG``), however that process ends (SIGKILL, the OOM killer, a CI runner
  cancelling the job); elsewhere a watcher thread ends it once its parent is gone. Otherwise an
  orphan would compute on, then wait forever under PID 1.

Workers are forked when this process runs a single thread (the CLI: cheap, the imports come
along); otherwise (a Jupyter kernel, a web server, pytest-xdist) they come from a fork server,
since forking a process with threads can deadlock the child. The caller only waits on a pipe, so
its other threads keep running while a worker computes or is killed.

Examples:
    >>> run_isolated(pow, 6, 2, seconds=30)
    36
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import mmap
import multiprocessing as mp
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from derive.engine.budget import BudgetExceeded

__all__ = ["MEMORY_LIMIT", "Worker", "WorkerDied", "acquire", "portable", "release", "run_isolated", "shutdown"]

#: The address space of a worker (bytes); one that starts larger may grow by half of this.
MEMORY_LIMIT = 1 << 30

#: Modules a fork server imports once, so that each worker it forks starts warm.
PRELOAD = ["sympy", "derive.engine.decide"]


class WorkerDied(RuntimeError):
    """A worker process ended without answering (killed from outside, or out of memory in C code)."""

    def __init__(self, exitcode: int | None, what: str = "computation") -> None:
        how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit status {exitcode}"
        super().__init__(f"the worker process running the {what} stopped ({how}); "
                         f"it may have needed more than its memory limit of {MEMORY_LIMIT >> 20} MB")
        self.exitcode = exitcode


def _context() -> Any:
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return mp.get_context("fork")
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _vm_size() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit_memory(extra: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not a POSIX system: no limit to set
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = max(extra, _vm_size() + extra // 2)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


#: In a worker: what it is doing, in memory shared with the caller, so that telling costs no message
#: (a message wakes the caller; under load each wake-up costs milliseconds). Slots: the index of the
#: step being decided (-1: none), when it began, its budget, and when the worker last made progress
#: (time.monotonic(), one clock for every process of the machine).
_state: Any = None
BUSY, BEGAN, SECONDS, ACTIVE = range(4)


def busy(index: int, seconds: float) -> None:
    """In a worker: step ``index`` begins, with a budget of ``seconds``."""
    if _state is not None:
        now = time.monotonic()
        _state[SECONDS], _state[BEGAN], _state[ACTIVE] = seconds, now, now
        _state[BUSY] = index


def idle() -> None:
    """In a worker: no step is being decided (the worker is reading, or done)."""
    if _state is not None:
        _state[BUSY] = -1
        _state[ACTIVE] = time.monotonic()


#: prctl(2) option: the signal this process receives when its parent ends.
PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None) -> None:
    """End this process when process ``parent`` (the one that started it; None: the current parent) ends.

    Linux: ``PR_SET_PDEATHSIG`` with SIGKILL. The kernel sends it when the thread that forked
    this process ends, so workers are only forked from the main thread (:func:`_context`) or by
    the fork server. Where prctl is missing, a daemon thread polls the parent's id. Either way,
    a parent already gone before the call ends this process at once.
    """
    if parent is None:
        parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # the parent ended before prctl: no signal will come
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="derive-parent-watch").start()


def _serve(conn: Connection, memory: int, state: Any, parent: int | None) -> None:
    """The worker's loop: receive ``(fn, args)``, run ``fn(send, *args)``, answer; until told to stop."""
    global _state
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_memory(memory)
    _state = state

    def send(message: object) -> None:
        conn.send(("progress", message))

    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        fn, args = job
        idle()
        try:
            answer: tuple[str, object] = ("result", fn(send, *args))
        except BaseException as exc:  # the caller re-raises it; the worker lives on
            answer = ("error", portable(exc))
        try:
            conn.send(answer)
        except Exception as exc:  # an answer that cannot be pickled
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


def portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (the other process can raise it), else a RuntimeError that says it."""
    try:
        copy = pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return copy if isinstance(copy, BaseException) else RuntimeError(f"{type(exc).__name__}: {exc}")


class Worker:
    """One worker process and the pipe to it."""

    def __init__(self, *, memory: int = MEMORY_LIMIT) -> None:
        ctx = _context()
        self.conn, child = ctx.Pipe()
        if ctx.get_start_method() == "fork":
            # An anonymous shared mapping, inherited by the child: 30 ms cheaper than a RawArray's arena.
            self._mapping = mmap.mmap(-1, 4 * ctypes.sizeof(ctypes.c_double))
            self.state: Any = (ctypes.c_double * 4).from_buffer(self._mapping)
        else:
            self.state = ctx.RawArray("d", 4)
        self.state[BUSY], self.state[ACTIVE] = -1.0, time.monotonic()
        # The fork server forks the worker: it is the parent then (and it ends when this process does).
        parent = None if ctx.get_start_method() == "forkserver" else os.getpid()
        self.process = ctx.Process(target=_serve, args=(child, memory, self.state, parent), daemon=True,
                                   name="derive-worker")
        # Objects the collector has frozen are not written to by it in the child, so a forked worker
        # shares more of this process's pages instead of copying them (the gc.freeze documentation).
        gc.freeze()
        try:
            self.process.start()
        finally:
            gc.unfreeze()
        child.close()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Start ``fn(send, *args)`` in the worker; its messages and answer come through :attr:`conn`."""
        self.conn.send((fn, args))

    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(2)
        self.conn.close()

    def stop(self) -> None:
        """Ask an idle worker to end (it finishes its loop), then make sure it has."""
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(1)
        self.kill()


_idle: list[Worker] = []
_lock = threading.Lock()


def acquire() -> Worker:
    """A warm idle worker, or a new one."""
    with _lock:
        while _idle:
            worker = _idle.pop()
            if worker.alive():
                return worker
    return Worker()


def release(worker: Worker) -> None:
    """Give back a worker that finished its job (it stays warm for the next one)."""
    with _lock:
        _idle.append(worker)


@atexit.register
def shutdown() -> None:
    """End the idle workers (they also end with this process: they are daemons)."""
    with _lock:
        workers = list(_idle)
        _idle.clear()
    for worker in workers:
        worker.stop()


def _call(send: Callable[[object], None], fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def run_isolated(fn: Callable[..., Any], *args: Any, seconds: float, what: str = "computation") -> Any:
    """``fn(*args)`` computed in a worker process killed after ``seconds`` (:class:`BudgetExceeded`).

    ``fn`` and its arguments must pickle (a module-level function, SymPy expressions, claims).
    Exceptions raised by ``fn`` propagate; a worker that dies raises :class:`WorkerDied`.
    """
    if not seconds > 0:
        raise BudgetExceeded(seconds, what)
    worker = acquire()
    end = time.monotonic() + seconds
    try:
        worker.submit(_call, fn, *args)
        while True:
            left = end - time.monotonic()
            if left <= 0 or not worker.conn.poll(left):
                worker.kill()
                raise BudgetExceeded(seconds, what)
            try:
                kind, value = worker.conn.recv()
            except (EOFError, OSError):
                worker.kill()
                raise WorkerDied(worker.process.exitcode, what) from None
            if kind == "progress":
                continue
            release(worker)
            if kind == "error":
                raise value
            return value
    except BaseException:
        if worker.alive() and worker not in _idle:
            worker.kill()  # interrupted while it computes: never leave a busy worker behind
        raise


def pid_of_idle() -> list[int]:
    """Process ids of the idle workers (for tests)."""
    with _lock:
        return [w.process.pid for w in _idle if w.process.pid is not None]


os.register_at_fork(after_in_child=lambda: _idle.clear())
