"""The engine: claims under hypotheses, mechanical differentiation, and the decision.

Everything else (the library, the audit, the renderers, the test helpers) hands the engine
a :class:`~derive.engine.claims.Claim` and reads the :class:`~derive.engine.verdict.Verdict`
it returns. Nothing in here imports from the other subpackages.

- :mod:`~derive.engine.space`: sizes, indices, arrays and their roles
- :mod:`~derive.engine.sums`: index calculus, normal forms of sums over symbolic ranges
- :mod:`~derive.engine.memo`: SymPy's ``Sum.free_symbols`` memoized while derive computes
- :mod:`~derive.engine.differentiate`: SymPy's derivatives, through shared atoms at fixed sizes
- :mod:`~derive.engine.hypotheses`: index ranges, cases, one-hot and soft labels
- :mod:`~derive.engine.claims`: a claim, ``lhs == rhs`` under hypotheses
- :mod:`~derive.engine.evaluate`: points that honor the hypotheses; high-precision evaluation
- :mod:`~derive.engine.decide`: proved, refuted or undecided
- :mod:`~derive.engine.verdict`: the verdict and its evidence
- :mod:`~derive.engine.crosscheck`: central differences, an independent numeric path
- :mod:`~derive.engine.budget`: time budgets that work from any thread
"""
