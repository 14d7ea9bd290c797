"""``derive grad``: the gradients of a loss that a Python file builds with :mod:`derive.model`, in matrix form.

The file is run as Python (as ``python model.py`` would run it, with ``__name__`` set to
``"derive_model"``); the loss and the variables are then looked up by name among its
top-level variables, which also name the intermediates the forms use (``h = tanh(W @ x)``).
"""

from __future__ import annotations

import argparse
import runpy
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the model layer (SymPy) is imported when a gradient is asked for, not by --help
    from derive.model import Tensor
    from derive.model.matrix_gradient import Gradient

__all__ = ["GradientRequest", "ModelFileError", "add_parser", "gradients", "proof_latex", "proof_markdown",
           "read_back", "render", "run", "write_proofs"]


class ModelFileError(Exception):
    """The file cannot be run, or does not define the names asked for (the message says which)."""


@dataclass(frozen=True)
class GradientRequest:
    path: str
    loss: str
    wrt: tuple[str, ...]


def add_parser(sub: Any) -> None:
    """The ``grad`` subcommand's arguments."""
    grad = sub.add_parser("grad", help="the gradient of a model's loss in matrix form, proved for every size",
                          description="Run FILE (Python that builds a loss with derive.model) and print "
                          "dLOSS/dW for each --wrt in matrix form, proved; exit 1 if one is not proved.")
    grad.add_argument("file", metavar="FILE", help="a Python file that builds the loss with derive.model")
    grad.add_argument("loss", metavar="LOSS", help="the name of the loss in FILE")
    grad.add_argument("--wrt", nargs="+", required=True, metavar="NAME", help="the declared arrays to differentiate by")
    grad.add_argument("--latex", action="store_true", help="print LaTeX")
    grad.add_argument("--numpy", action="store_true", help="print a numpy function of the model's arrays")
    grad.add_argument("--prove", metavar="OUT", help="also write the gradients as proofs: Markdown (OUT.md), "
                      "a standalone LaTeX document (OUT.tex) or that document compiled with latexmk and read "
                      "back (OUT.pdf); none is written if one is not proved")


def run(args: argparse.Namespace) -> int:
    """``derive grad``: print the gradients; 0 when every one is proved, 1 otherwise, 2 for a usage error."""
    try:
        results = gradients(GradientRequest(args.file, args.loss, tuple(args.wrt)))
    except ModelFileError as exc:
        print(f"derive: error: {exc}", file=sys.stderr)  # as derive.cli reports a usage error
        return 2
    print(render(results, latex=args.latex, numpy=args.numpy))
    if args.prove:
        return write_proofs(results, args.prove)
    return 0 if all(g.proved for g in results) else 1


def write_proofs(results: Sequence[Gradient], target: str) -> int:
    """Write the proofs to ``target`` (.md or .tex); 1 and nothing written if a gradient is not proved."""
    unproved = [g for g in results if not g.proved]
    for g in unproved:
        print(f"derive: error: ∂{g.loss_name}/∂{g.wrt_name} is not proved, so no proof is written: {g.note}",
              file=sys.stderr)
    if unproved:
        return 1
    writers = {".md": proof_markdown, ".tex": proof_latex}
    suffix = Path(target).suffix.lower()
    if suffix == ".pdf":
        return _write_pdf(results, Path(target))
    if suffix not in writers:
        print(f"derive: error: --prove {target}: name a .md, .tex or .pdf file", file=sys.stderr)
        return 2
    try:
        Path(target).write_text(writers[suffix](results), encoding="utf-8")
    except OSError as exc:
        print(f"derive: error: cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {target}", file=sys.stderr)
    return 0


def _write_pdf(results: Sequence[Gradient], target: Path) -> int:
    """Compile the LaTeX proofs with latexmk, then read the PDF back (pdftotext): one theorem per gradient."""
    from derive.render.latex import TexMissingError, TexRunError, compile_pdf

    try:
        compile_pdf(proof_latex(results), target)
    except (TexMissingError, TexRunError, OSError) as exc:
        print(f"derive: error: --prove {target}: {exc}", file=sys.stderr)
        return 2
    problem = read_back(target, results)
    if problem:
        print(f"derive: error: --prove {target}: the PDF was written but does not read back: {problem}",
              file=sys.stderr)
        return 1
    print(f"wrote {target}", file=sys.stderr)
    return 0


def read_back(pdf: Path, results: Sequence[Gradient]) -> str:
    """What is missing from the PDF's text (pdftotext): each gradient's theorem and its proof; "" when nothing is."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        return "pdftotext (poppler-utils) is not installed, so the PDF cannot be read back"
    try:
        run = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"pdftotext failed ({exc})"
    if run.returncode != 0:
        return f"pdftotext failed (exit {run.returncode}): {run.stderr.strip()}"
    text = " ".join(run.stdout.split())
    missing = [f"Theorem {n} ({g.loss_name} by {g.wrt_name})" for n, g in enumerate(results, start=1)
               if f"Theorem {n} ({g.loss_name} by {g.wrt_name})" not in text]
    proofs = text.count("Proof.")
    if missing:
        return "no " + ", ".join(missing)
    if proofs < len(results):
        return f"{proofs} proofs for {len(results)} gradients"
    return ""


def _tensors(namespace: dict[str, Any]) -> dict[str, Tensor]:
    from derive.model import Tensor

    return {k: v for k, v in namespace.items() if isinstance(v, Tensor) and not k.startswith("_")}


def gradients(request: GradientRequest) -> list[Gradient]:
    """Run the file and take the gradient of its loss by each variable."""
    from derive.model.matrix_gradient import gradient

    path = Path(request.path)
    if not path.is_file():
        raise ModelFileError(f"no such file: {request.path}")
    try:
        namespace = runpy.run_path(str(path), run_name="derive_model")
    except Exception as exc:  # the user's file: report what it raised, on one line
        raise ModelFileError(f"{request.path} raised {type(exc).__name__}: {exc}") from exc
    tensors = _tensors(namespace)
    if request.loss not in tensors:
        raise ModelFileError(f"{request.path} defines no tensor {request.loss!r}; its tensors are "
                             f"{', '.join(sorted(tensors)) or 'none'}")
    loss = tensors[request.loss]
    if loss.ndim:
        raise ModelFileError(f"{request.loss} has shape {loss.shape}; a loss is a scalar (take .sum() or .mean())")
    out = []
    for name in request.wrt:
        wrt = tensors.get(name)
        if wrt is None or wrt.kind not in ("array", "labels", "scalar"):
            declared = sorted(k for k, v in tensors.items() if v.kind in ("array", "labels", "scalar"))
            raise ModelFileError(f"--wrt {name}: {request.path} declares no array {name!r}; it declares "
                                 f"{', '.join(declared) or 'none'}")
        named = {k: v for k, v in tensors.items() if k not in (request.loss, name)}
        out.append(gradient(loss, wrt, names=named, loss_name=request.loss))
    return out


def render(results: Sequence[Gradient], *, latex: bool = False, numpy: bool = False) -> str:
    """Text (default), LaTeX and/or numpy source of each gradient, one block each."""
    blocks = []
    for g in results:
        lines = [] if latex or numpy else [g.text()]
        if latex:
            lines.append(g.latex())
        if numpy:
            missing = f"# no numpy code for ∂{g.loss_name}/∂{g.wrt_name}: {g.note}"
            lines.append("import numpy as np\n\n\n" + g.numpy_code() if g.proved else missing)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# -- the gradients as proofs -------------------------------------------------------------------

def _parts(g: Gradient) -> tuple[str, list[str], str]:
    """The claim's LaTeX (∂L/∂W = form), the definitions it uses, and how it was proved (prose)."""
    from derive.model.form_print import latex
    from derive.model.proof_cache import Recalled

    assert g.form is not None and g.verdict is not None
    wrt = _sp_latex(g.wrt_name)
    lhs = rf"\frac{{\partial {_sp_latex(g.loss_name)}}}{{\partial {wrt}}}"
    definitions = [f"{latex(v)} = {latex(v.definition)}" for v in g.definitions() if v.definition is not None]
    entry = {0: "", 1: " (entry i is the derivative by its entry i)",
             2: " (entry (i, j) is the derivative by its entry (i, j))"}.get(g.wrt.ndim, "")
    how = (f"The gradient has the shape of {g.wrt_name}{entry}. "
           f"The matrix form came from the chain rule on the model's graph; derive decided it equal to "
           f"SymPy's derivative of {g.loss_name}, entry by entry at free indices and for every size, "
           f"by reducing the difference to an exact zero (strategy: {g.verdict.strategy or 'exact zero'})."
           + (" This proof was made earlier by the same derive, SymPy and Python for this same claim, and read "
              "back from the proof cache." if isinstance(g.verdict, Recalled) else ""))
    return f"{lhs} = {latex(g.form)}", definitions, how


def _sp_latex(name: str) -> str:
    """A declared name as LaTeX (``lambda`` is λ, ``W1`` is W_1), as SymPy writes a symbol."""
    import sympy as sp

    return sp.latex(sp.Symbol(name))


def proof_markdown(results: Sequence[Gradient]) -> str:
    """A Markdown post: per gradient, its definitions, the claim ∂L/∂W = form in display math, how it was proved."""
    out = ["# Gradients in matrix form, machine-checked", ""]
    for g in results:
        claim, definitions, how = _parts(g)
        out += [f"## The gradient of {g.loss_name} by {g.wrt_name}", ""]
        if definitions:
            out += ["Where:", ""]
            for definition in definitions:
                out += ["$$", definition, "$$", ""]
        out += ["**Claim.**", "", "$$", claim, "$$", "", f"*Proof.* {how}", ""]
    return "\n".join(out)


def proof_latex(results: Sequence[Gradient]) -> str:
    """A standalone LaTeX document: one theorem per gradient, its proof saying how it was decided."""
    import derive
    from derive.render.latex import _text

    out = [r"\documentclass[11pt]{article}", r"\usepackage[margin=2cm]{geometry}",
           r"\usepackage{amsmath,amssymb,amsthm}", r"\newtheorem{theorem}{Theorem}",
           r"\title{Gradients in matrix form, machine-checked}", rf"\author{{derive {derive.__version__}}}",
           r"\begin{document}", r"\maketitle", "",
           r"$\odot$ is the entrywise product, $^T$ the transpose; each gradient has the shape of its variable."]
    for g in results:
        claim, definitions, how = _parts(g)
        where = r"\quad \text{where } " + r", \; ".join(definitions) if definitions else ""
        out += ["", rf"\begin{{theorem}}[{_text(f'{g.loss_name} by {g.wrt_name}')}]",
                rf"\[ {claim} \]" + (rf" \[ {where} \]" if where else ""), r"\end{theorem}",
                r"\begin{proof}", _text(how), r"\end{proof}"]
    out += ["", r"\end{document}"]
    return "\n".join(out) + "\n"
