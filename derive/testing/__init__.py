"""derive in a test suite: assertion helpers, the gradient check, and the pytest plugin.

    >>> from derive.testing import assert_proved
    >>> _ = assert_proved("softmax_jacobian")

The plugin (:mod:`derive.testing.plugin`) is registered through the ``pytest11`` entry point.
"""

from derive.testing.assertions import (
    LOSSES,
    assert_equivalent,
    assert_gradient,
    assert_proved,
    assert_refuted,
    theorem,
)

__all__ = ["LOSSES", "assert_equivalent", "assert_gradient", "assert_proved", "assert_refuted", "theorem"]
