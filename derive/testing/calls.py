"""Calling a user's gradient function: a time limit on each call, and one clear message for odd results."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["GradientCallError", "as_real_array", "call_with_timeout"]


class GradientCallError(AssertionError):
    """The user's gradient function could not be compared: it hung, raised, or returned no numbers."""


class _Stopped(BaseException):
    """Raised inside a gradient call that ran out of time, to end it (a BaseException: ``except Exception`` in the
    user's code does not swallow it)."""


#: Seconds a call that ran out of time gets to end once it is told to stop.
STOP_GRACE = 1.0


def _stop(thread: threading.Thread) -> bool:
    """Raise :class:`_Stopped` in ``thread`` and wait for it to end; False when it does not (it is in C code)."""
    ident = thread.ident
    if ident is None:
        return not thread.is_alive()
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(_Stopped))
    thread.join(STOP_GRACE)
    if thread.is_alive():
        return False
    return True


def call_with_timeout(fn: Callable[..., Any], args: list[Any], seconds: float, total: float | None = None) -> Any:
    """fn(*args) in a daemon thread; a call that takes longer than ``seconds`` is stopped and fails.

    ``total``: the timeout of the whole check that ``seconds`` is what is left of (for the message).

    Stopping raises an exception inside the call (``PyThreadState_SetAsyncExc``), which ends
    Python code at its next instruction: an endless loop stops, and does not go on using a core
    while the rest of the tests run. Code inside one long C call (a huge numpy product, a
    ``time.sleep(3600)``) sees it only when that call returns; the failure then says so.
    """
    __tracebackhide__ = True
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args)
        except _Stopped:
            box["stopped"] = True
        except BaseException as error:
            box["error"] = error

    worker = threading.Thread(target=run, name="derive-gradient-call", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        name = getattr(fn, "__name__", "fn")
        fate = ("it was stopped" if _stop(worker) else
                "it could not be stopped (it is inside a call to C code) and runs on in a background thread "
                "until that call returns")
        # The user set the timeout, so the message names it; what was left of it when the call began is detail.
        budget = f"timeout={seconds:g} s" if total is None else \
            f"the check's timeout={total:g} s ({seconds:.3g} s of it were left for the call)"
        raise GradientCallError(f"your gradient function {name} did not return within {budget}; {fate}; look for "
                                "an endless loop, or pass a larger timeout")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def as_real_array(value: Any, what: str) -> np.ndarray:
    """A float array from a numpy array, a torch tensor, a list or a number; anything else fails clearly."""
    __tracebackhide__ = True
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if value is None or isinstance(value, (str, bytes, dict, set)):
        raise GradientCallError(f"{what} must be a numpy array (or a torch tensor, a list of numbers); your "
                                f"function returned {type(value).__name__}: {value!r:.60}")
    try:
        array = np.asarray(value)
    except Exception as error:
        raise GradientCallError(f"{what} is not an array of numbers: {error}") from None
    if np.iscomplexobj(array):
        raise GradientCallError(f"{what} is complex-valued (dtype {array.dtype}); the gradient of a real loss is "
                                "real: take the real part only if the imaginary part is exactly 0, or look for "
                                "a sqrt or log of a negative number")
    if array.dtype.kind not in "biuf":
        raise GradientCallError(f"{what} must hold numbers; got an array of dtype {array.dtype}")
    return array.astype(float)
