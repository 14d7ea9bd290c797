"""Rendering verdicts and proofs for people: LaTeX, PDF and Markdown documents, Jupyter display.

Renderers only read verdicts; they never decide anything.

- :mod:`~derive.render.latex`: proofs as a LaTeX document, an ``align*`` fragment or Markdown; latexmk
- :mod:`~derive.render.display`: claims, verdicts and theorems as math and tables in Jupyter
"""
