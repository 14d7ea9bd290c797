"""A function's parameter is bound by its definition: ``s(x) = 1/(1 + e^{-x})`` in a post whose data is the
array x (x_i, one vector per sample) defines s of a number, and s(w^T x_i) is s of the number Σ_j w_j x_ij.
A function of numbers applied to a whole array is not read; it is never a derivative by a different symbol.
(The logistic-regression answer of the real corpus, post 07, is written this way.)"""

from __future__ import annotations

from derive.audit.post import StepStatus, audit_text

DATA = "<!-- derive: vector w d; vector x d per sample; samples N i -->\n\n"
SIGMOID = "$$ s(x) = \\frac{1}{e^{-x}+1} $$\n\n"


def _statuses(text: str) -> list[tuple[StepStatus, str]]:
    return [(s.status, s.reason) for s in audit_text(text).steps]


def test_the_parameter_named_like_the_data_is_a_number() -> None:
    steps = _statuses(DATA + SIGMOID
                      + "$$ \\frac{\\partial s(w^Tx_i)}{\\partial w} = x_i(1 - s(w^Tx_i))s(w^Tx_i) $$\n\n"
                      "$$ \\frac{\\partial s(w^Tx_i)}{\\partial w} = x_i(1 + s(w^Tx_i))s(w^Tx_i) $$\n")
    assert [s for s, _ in steps] == [StepStatus.DEFINITION, StepStatus.VALID, StepStatus.WRONG], steps


def test_the_declared_definition_reads_too() -> None:
    text = "<!-- derive: vector w d; vector x d per sample; samples N i; define s(x) = \\frac{1}{e^{-x}+1} -->\n\n"
    steps = _statuses(text + "$$ \\frac{\\partial s(w^T x_i)}{\\partial w_j} = x_{ij} s(w^T x_i)(1 - s(w^T x_i)) $$\n")
    assert [s for s, _ in steps] == [StepStatus.VALID], steps


def test_a_function_of_numbers_of_the_whole_array_is_not_read() -> None:
    # ∂s(x)/∂x with x the per-sample data: before, s(x) kept the symbol x and the derivative was by the entry
    # x_j, so the left side was 0 and the step was called wrong.
    for definition in ("define s(x) = \\frac{1}{e^{-x}+1}", "define s(u) = \\frac{1}{e^{-u}+1}"):
        text = f"<!-- derive: vector x d per sample; samples N i; {definition} -->\n\n"
        steps = _statuses(text + "$$ \\frac{\\partial s(x)}{\\partial x} = s(x)(1 - s(x)) $$\n")
        assert [s for s, _ in steps] == [StepStatus.NOT_READ], steps
        assert "sample index" in steps[0][1]


def test_a_body_that_uses_the_vector_keeps_it_a_vector() -> None:
    # logsumexp(x) = log Σ_i exp(x_i): the parameter is the declared vector, its entries the body's.
    text = ("<!-- derive: vector x n -->\n\n$$ \\mathrm{lse}(x) = \\log \\sum_{i=1}^{n} \\exp(x_i) $$\n\n"
            "$$ \\frac{\\partial \\mathrm{lse}(x)}{\\partial x_j}"
            " = \\frac{\\exp(x_j)}{\\sum_{i=1}^{n} \\exp(x_i)} $$\n")
    steps = _statuses(text)
    assert [s for s, _ in steps] == [StepStatus.DEFINITION, StepStatus.VALID], steps


def test_wide_space_parts_two_equations_of_one_line() -> None:
    # Three facts on one line, parted by runs of \ (as wide as a \quad): three steps, not one chain.
    text = ("<!-- derive: scalar x y -->\n\n"
            "$$ \\frac{d}{dx} x^2 = 2x \\ \\ \\ \\ \\frac{d}{dy} y^3 = 3y^2 \\ \\ \\ \\ \\frac{d}{dx} x^3 = 2x^2 $$\n")
    report = audit_text(text)
    assert [(s.status, s.lhs) for s in report.steps] == [
        (StepStatus.VALID, "\\frac{d}{dx} x^2"), (StepStatus.VALID, "\\frac{d}{dy} y^3"),
        (StepStatus.WRONG, "\\frac{d}{dx} x^3")]
    # One small space between factors is a product's: x \, y is x·y.
    one = audit_text("<!-- derive: scalar x y -->\n\n$$ x \\, y = y x $$\n")
    assert [s.status for s in one.steps] == [StepStatus.VALID]


LOGISTIC = ("<!-- derive: vector \\theta d; vector x d per sample; samples n i; "
            "define g(z) = \\frac{1}{1 + e^{-z}} -->\n\nThe model is $h_{\\theta}(x) = g(\\theta^T x)$.\n\n")


def test_a_function_of_one_samples_vector_is_applied_to_a_sample() -> None:
    # CS229's notation: h_θ(x) = g(θ^T x) with x the data; h_θ(x^{(i)}) is g(Σ_j θ_j x_ij).
    steps = _statuses(LOGISTIC + "$$\\frac{\\partial h_{\\theta}(x^{(i)})}{\\partial \\theta_j} = "
                      "g(\\theta^T x^{(i)})(1 - g(\\theta^T x^{(i)}))x_j^{(i)}$$\n\n"
                      "$$\\frac{\\partial h_{\\theta}(x^{(i)})}{\\partial \\theta_j} = "
                      "g(\\theta^T x^{(i)})(1 + g(\\theta^T x^{(i)}))x_j^{(i)}$$\n")
    assert [s for s, _ in steps] == [StepStatus.DEFINITION, StepStatus.VALID, StepStatus.WRONG], steps


def test_an_exercise_stipulates_and_a_used_fact_is_claimed() -> None:
    # "With A and B, show that": A names what the exercise uses (z is defined after it), it claims nothing.
    exercise = LOGISTIC + "With $h_{\\theta}(x^{(i)}) = g(z)$ and $z = \\theta^T x^{(i)}$, show that ...\n"
    assert [s for s, _ in _statuses(exercise)][1:] == [StepStatus.UNDECIDED, StepStatus.DEFINITION]
    # "With a fact, we get": the fact is a claim, and a false one is wrong.
    fact = "<!-- derive: scalar x -->\n\nWith $\\frac{d}{dx} x^2 = 3x$, we get the rest.\n"
    assert [s for s, _ in _statuses(fact)] == [StepStatus.WRONG]
    # "Let": a stipulation wherever it is.
    let = "<!-- derive: scalar x y -->\n\nLet $x^2 = 3y$ be given.\n"
    assert [s for s, _ in _statuses(let)] == [StepStatus.UNDECIDED]


def test_a_function_defined_before_the_function_its_body_uses() -> None:
    # h_θ(x) = g(θ^T x) written before g's definition (aman.ai's primer): θ^T x is written out when h is
    # read, so that h_θ(x^{(i)}) reads once g is known.
    text = ("<!-- derive: vector \\theta d; vector x d per sample; samples m i -->\n\n"
            "$$\\begin{array}{l} h_{\\theta}(x)=g(\\theta^{T} x) \\\\ g(z)=\\frac{1}{1+e^{-z}} \\end{array}$$\n\n"
            "$$ \\log h_{\\theta}\\left(x^{(i)}\\right)=\\log \\frac{1}{1+e^{-\\theta^T x^{(i)}}} $$\n\n"
            "$$ \\log h_{\\theta}\\left(x^{(i)}\\right)=\\log \\frac{1}{1-e^{-\\theta^T x^{(i)}}} $$\n")
    assert [s for s, _ in _statuses(text)] == [StepStatus.DEFINITION, StepStatus.DEFINITION, StepStatus.VALID,
                                                 StepStatus.WRONG]


def test_a_function_defined_later_is_applied_before_its_definition() -> None:
    # aman.ai's primer writes ∂J(θ)/∂θ_j before J(θ) = ...: J(θ) is J applied (undecided until J is known),
    # never refused as "a product or a function application".
    text = ("<!-- derive: scalar t -->\n\n$$ \\frac{d J(t)}{d t} = 2t $$\n\n$$ J(t) = t^2 $$\n\n"
            "$$ \\frac{d J(t)}{d t} = 2t $$\n")
    steps = _statuses(text)
    assert [s for s, _ in steps] == [StepStatus.UNDECIDED, StepStatus.DEFINITION, StepStatus.VALID], steps
    assert "J" in steps[0][1]
