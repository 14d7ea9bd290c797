"""The command line, run as a user runs it: a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow  # a minute: every theorem of the library, proved and checked numerically (test_theorems has each)
def test_verify_json_proves_the_whole_library() -> None:
    out = run("verify", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["all_proved"] is True
    assert data["summary"] == {"proved": len(data["theorems"]), "refuted": 0, "undecided": 0}
    for row in data["theorems"]:
        assert row["status"] == "proved"
        assert row["symbolic"]["status"] == "proved" and row["symbolic"]["strategy"]
        assert row["instances"] and all(v["status"] == "proved" for v in row["instances"])
        assert row["numeric"] and all(n["agreed"] for n in row["numeric"])


def test_verify_table_has_one_row_per_theorem() -> None:
    listed = run("list", "--json")
    names = [t["name"] for t in json.loads(listed.stdout)]
    out = run("verify", "--no-numeric", *names[:3])
    assert out.returncode == 0
    for name in names[:3]:
        assert name in out.stdout
    assert "3 proved, 0 refuted, 0 undecided" in out.stdout
    assert names[4] not in out.stdout


def test_verify_with_a_concrete_size() -> None:
    out = run("verify", "cross_entropy_gradient_soft", "--k", "12", "--json", "--no-numeric")
    data = json.loads(out.stdout)
    instances = [v["name"] for v in data["theorems"][0]["instances"]]
    assert "cross_entropy_gradient_soft[k=12]" in instances
    assert out.returncode == 0


def test_list_names_every_theorem() -> None:
    out = run("list")
    assert out.returncode == 0
    assert "cross_entropy_gradient_soft" in out.stdout and "∂CE/∂z_j = ŷ_j - y_j" in out.stdout


def test_a_statement_in_brackets_is_printed_as_written_not_read_as_markup() -> None:
    import os

    out = subprocess.run([sys.executable, "-m", "derive", "list"], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "COLUMNS": "400"})  # wide: no statement wraps
    assert "∇²_w [mean BCE(t, σ(Xw)) + (λ/2)‖w‖²]" in out.stdout and "½Σ[log s + r²/s]" in out.stdout


def test_prove_names_the_identities_a_step_used() -> None:
    out = run("prove", "huber_gradient", "--json")
    assert out.returncode == 0, out.stderr
    steps = json.loads(out.stdout)["proofs"][0]["steps"]
    assert ["sign(-a) = -sign(a)"] in [s["identities"] for s in steps]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("verify", "no_such_theorem"), "unknown theorem 'no_such_theorem'"),
        (("verify", "--k", "zero"), "expected a positive whole number"),
        (("frobnicate",), "unknown command 'frobnicate'; the commands are list, verify"),
        (("verfy",), "unknown command 'verfy' (did you mean 'verify'?)"),
        (("verify", "softmax_jacobain"), "unknown theorem 'softmax_jacobain' (did you mean 'softmax_jacobian'?)"),
        (("verify", "--batch", "3"), "give --cdp C D P too"),
    ],
)
def test_wrong_usage_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    out = run(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert message in lines[0] and lines[0].startswith("derive: error:")
    assert "Traceback" not in out.stderr


def test_help_explains_the_verdicts() -> None:
    out = run("verify", "--help")
    assert out.returncode == 0
    assert "refuted" in out.stdout and "undecided" in out.stdout and "--json" in out.stdout


def test_console_script_is_installed() -> None:
    path = shutil.which("derive")
    if path is None:
        pytest.skip("the 'derive' console script is not on PATH: install the package with pip install -e .")
    out = subprocess.run([path, "list"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "softmax_jacobian" in out.stdout


def test_a_large_size_is_one_entry_at_free_indices_not_a_hang() -> None:
    # k = 200000 written out entry by entry ran out of any budget; the claim at a free index j
    # with 1 <= j <= 200000 is about the same entries and is proved within a second.
    out = run("verify", "cross_entropy_gradient_soft", "--k", "200000", "--budget", "1", "--no-numeric", "--json")
    assert out.returncode == 0, out.stdout
    data = json.loads(out.stdout)
    (instance,) = [v for v in data["theorems"][0]["instances"] if "k=200000" in v["name"]]
    assert instance["status"] == "proved" and instance["seconds"] < 1


def test_prove_writes_a_fragment_to_stdout() -> None:
    out = run("prove", "cross_entropy_gradient_onehot_other", "--fragment", "-")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(r"\begin{align*}") == 1
    assert r"\frac{\partial \mathrm{CE}}{\partial z_{j}}" in out.stdout
    assert r"&= \hat{y}_{j} && \text{case } j \neq \ell \text{: } \delta_{j\ell} = 0" in out.stdout


def test_prove_without_outputs_prints_the_steps_and_their_verdicts() -> None:
    out = run("prove", "log_softmax")
    assert out.returncode == 0, out.stderr
    assert "log of a quotient" in out.stdout and "proved" in out.stdout


def test_prove_json_lists_every_step() -> None:
    from derive.library.theorems import LIBRARY

    out = run("prove", "--all", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["all_proved"] is True and len(data["proofs"]) == len(LIBRARY)
    assert all(step["verdict"] == "proved" for p in data["proofs"] for step in p["steps"])


@pytest.mark.parametrize("args", [("prove",), ("prove", "--all", "log_softmax"), ("prove", "no_such_theorem"),
                                  ("prove", "--all", "--pdf", "-")])
def test_prove_usage_errors_are_one_line(args: tuple[str, ...]) -> None:
    out = run(*args)
    assert out.returncode == 2
    assert out.stderr.startswith("derive: error: ") and out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr


def test_pdf_without_tex_names_the_packages_and_tex_still_works(tmp_path) -> None:
    # A PATH with Python but no TeX: what a fresh machine without TeX Live looks like.
    env = {"PATH": str(tmp_path / "empty"), "PYTHONPATH": ":".join(sys.path)}
    tex = tmp_path / "proofs.tex"
    out = subprocess.run([sys.executable, "-m", "derive", "prove", "--all", "--pdf", str(tmp_path / "p.pdf"),
                          "--tex", str(tex)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 2
    assert "sudo apt-get install texlive-latex-base texlive-latex-recommended latexmk" in out.stderr
    assert out.stderr.count("derive: error:") == 1 and "Traceback" not in out.stderr
    assert tex.read_text().startswith(r"\documentclass")
    assert not (tmp_path / "p.pdf").exists()


def test_audit_exit_status_is_1_when_a_step_is_wrong(tmp_path) -> None:
    html = tmp_path / "audit.html"
    out = run("audit", "tests/data/declared/000_cross_entropy.md", "--html", str(html))
    assert out.returncode == 1, out.stderr
    assert "000_cross_entropy.md:51:3: wrong:" in out.stdout
    assert "19 steps: 17 valid, 1 wrong, 1 not read" in out.stdout
    assert html.read_text().startswith("<!DOCTYPE html>")


def test_audit_json_and_exit_0_without_wrong_steps() -> None:
    out = run("audit", "--json", "tests/data/seeds/001_25ff951db56e2875.txt")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["wrong"] == 0 and data["files"][0]["summary"]["not read"] >= 17


@pytest.mark.parametrize("content", [b"", b"\x00\x01binary"])
def test_audit_unusable_input_is_one_line_exit_2(tmp_path, content: bytes) -> None:
    path = tmp_path / "post.md"
    path.write_bytes(content)
    out = run("audit", str(path))
    assert out.returncode == 2
    assert out.stderr.startswith(f"derive: error: {path}:") and out.stderr.count("\n") == 1
    assert "Traceback" not in out.stderr


def test_check_valid_step_exits_0() -> None:
    out = run("check", r"\frac{\partial CE}{\partial z_j} = \hat{y}_j - y_j", "--given", "logits z; labels y soft")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(r"<step>:1:1: valid: \frac{\partial CE}{\partial z_j} = \hat{y}_j - y_j")
    assert "index calculus" in out.stdout  # the strategy, as the audit's --verbose shows it


def test_check_wrong_step_exits_1_with_the_counterexample_as_json() -> None:
    # The diagonal entry written for an off-diagonal one: with i = j open it is undecided (equal if i = j),
    # in the case i ≠ j it is wrong.
    out = run("check", r"\frac{\partial \hat{y}_i}{\partial z_j} = \hat{y}_i (1 - \hat{y}_j)", "--given", "logits z",
              "--given", r"assume i \neq j", "--json")
    assert out.returncode == 1, out.stderr
    (step,) = json.loads(out.stdout)["files"][0]["steps"]
    assert step["status"] == "wrong"
    point = step["counterexample"]
    assert point["lhs"] != point["rhs"] and "z" in point["point"]


def test_check_undecided_exits_1_and_says_what_to_give() -> None:
    out = run("check", r"\frac{\partial}{\partial z_j} \left(-\sum_n y_n \log \hat{y}_n\right) = \hat{y}_j - y_j",
              "--given", "logits z")
    assert out.returncode == 1
    assert "undecided" in out.stdout and "--given 'labels y soft'" in out.stdout


@pytest.mark.parametrize(("step", "message"), [
    (r"\frac{x}{ = 1", "<step>:1:9: cannot read"),
    ("x + 1", "no equality"),
])
def test_check_unreadable_step_is_one_line_exit_2(step: str, message: str) -> None:
    out = run("check", step)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("derive: error: ") and message in out.stderr and out.stderr.count("\n") == 1


def test_version_is_the_package_metadata() -> None:
    from importlib import metadata

    import derive

    out = run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"derive {derive.__version__}"
    try:
        assert derive.__version__ == metadata.version("derive")
    except metadata.PackageNotFoundError:
        assert derive.__version__ == "0+unknown"


def test_help_and_version_load_neither_sympy_nor_the_engine() -> None:
    # What keeps `derive --help` fast (benchmarks/bench_engine.py times it cold): nothing heavy is imported.
    probe = ("import sys\nfrom derive.cli import main\nfor argv in (['--help'], ['--version'], ['audit', '--help']):\n"
             "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sympy', 'numpy', 'rich', 'lark')"
             " or m.startswith(('derive.engine', 'derive.library', 'derive.audit'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_tables_fit_the_terminal_width() -> None:
    import os

    from rich.cells import cell_len

    env = {**os.environ, "COLUMNS": "60"}
    for args in (("list",), ("verify", "--no-numeric", "softmax_jacobian")):
        out = subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True, env=env,
                             timeout=300)
        assert out.returncode == 0, out.stderr
        # Columns on the screen, not code points: x̂ is x and a combining circumflex, one column wide.
        widths = [cell_len(line) for line in out.stdout.splitlines()]
        assert widths and max(widths) <= 60, out.stdout
        assert "softmax_jacobian" in out.stdout
