"""The library: building blocks (softmax, cross-entropy, the two-layer model), theorems and proofs.

- :mod:`~derive.library.functions`: the functions claims are about, built in a Space
- :mod:`~derive.library.theorems`: the named theorems, each a claim for every size and at fixed sizes
- :mod:`~derive.library.verification`: a theorem checked three ways
- :mod:`~derive.library.notation`: names that stand for definitions, shared by proofs and the audit
- :mod:`~derive.library.rules`: named rewrite rules that propose a proof's next line
- :mod:`~derive.library.proofs`: each theorem as a chain of steps, every step decided by the engine
"""
