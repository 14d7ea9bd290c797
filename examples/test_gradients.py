"""The pytest plugin's example (docs/pytest.md): one theorem proved, one wrong step caught."""

import sympy as sp
from derive import Claim
from derive.testing import theorem

@theorem
def test_soft_label_gradient():
    return "cross_entropy_gradient_soft"

@theorem(expect="refuted")
def test_sign_slip_is_caught():
    x = sp.Symbol("x", real=True)
    return Claim("sign", sp.exp(x), -sp.exp(x))
