"""Calling a user's gradient function: a time limit on each call, and one clear message for odd results."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["GradientCallError", "as_real_array", "call_with_timeout"]


class GradientCallError(AssertionError):
    """The user's gradient function could not be compared: it hung, raised, or returned no numbers."""


def call_with_timeout(fn: Callable[..., Any], args: list[Any], seconds: float, total: float | None = None) -> Any:
    """fn(*args) in a daemon thread; a call that takes longer than ``seconds`` fails (the thread is left behind).

    ``total``: the timeout of the whole check that ``seconds`` is what is left of (for the message).
    """
    __tracebackhide__ = True
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as error:
            box["error"] = error

    worker = threading.Thread(target=run, name="derive-gradient-call", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        budget = f"{seconds:g} s (timeout={seconds:g})" if total is None else \
            f"the {seconds:.3g} s left of the check's timeout={total:g} s"
        raise GradientCallError(f"your gradient function {getattr(fn, '__name__', 'fn')} did not return within "
                                f"{budget}; look for an endless loop, or pass a larger timeout")
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
