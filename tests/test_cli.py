"""The real command line, through a subprocess: output, files, and errors."""

import json
import re
import subprocess
import sys

import mpmath
import pytest
import sympy

import symgrad
from symgrad import cli
from tests.oracle import (
    COST_EXPRESSIONS,
    close,
    mp_forward_with,
    random_point,
    substitute_forward,
    sympy_diff_gradient,
)
from tests.process import symgrad_process


def run(*args, cwd=None):
    return symgrad_process(*args, cwd=cwd)


def test_main_command_prints_the_derivation():
    result = run("derive", "--depth", "10", "--act", "sigmoid")
    assert result.returncode == 0, result.stderr
    assert "δ_l = δ_(l+1) w_(l+1) σ'(z_l)" in result.stdout
    assert "a1·(1 - a1)" in result.stdout


def test_json_contract_and_values_against_sympy_diff():
    result = run("derive", "--depth", "4", "--act", "tanh", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["depth"] == 4 and data["activation"] == "tanh"
    assert [layer["layer"] for layer in data["layers"]] == [1, 2, 3, 4]
    activation = symgrad.get_activation("tanh")
    point = random_point(4, seed=11)
    weights, biases, x, y = point
    zs, outputs = mp_forward_with(activation, weights, biases, x)
    for layer in data["layers"]:
        for key, kind in (("grad_w", "w"), ("grad_b", "b")):
            expr = sympy.sympify(layer[key])  # our own output, a trusted string
            got = substitute_forward(expr, zs, outputs, weights, biases, x, y)
            expected = sympy_diff_gradient(activation, COST_EXPRESSIONS["quadratic"], point,
                                           (kind, layer["layer"]))
            assert close(got, expected)
    got = substitute_forward(sympy.sympify(data["input_gradient"]), zs, outputs, weights,
                             biases, x, y)
    expected = sympy_diff_gradient(activation, COST_EXPRESSIONS["quadratic"], point, ("x", 0))
    assert close(got, expected)


def test_relu_depth_100_json_has_every_layer():
    data = json.loads(run("derive", "--depth", "100", "--act", "relu", "--format", "json").stdout)
    assert len(data["layers"]) == 100
    front = sympy.sympify(data["layers"][0]["delta"])
    weights = {s.name for s in front.free_symbols if s.name.startswith("w")}
    assert weights == {f"w{k}" for k in range(2, 101)}  # w_1 is not in δ_1


def test_acts_json():
    data = json.loads(run("acts", "--format", "json").stdout)
    by_name = {entry["name"]: entry for entry in data["activations"]}
    assert sympy.sympify(by_name["sigmoid"]["sup_derivative"]) == sympy.Rational(1, 4)
    assert by_name["softplus"]["sup"]["attained"] is False
    for entry in data["activations"]:
        assert {"name", "formula", "derivative", "sup_derivative", "inf_derivative"} <= set(entry)


def test_acts_text_shows_every_derivative():
    result = run("acts")
    assert result.returncode == 0, result.stderr
    relu_row = next(line for line in result.stdout.splitlines() if line.startswith("│ relu "))
    assert "[z > 0]" in relu_row  # a formula, not swallowed as rich markup


def test_output_file_by_suffix(tmp_path):
    target = tmp_path / "chain.tex"
    result = run("derive", "--depth", "3", "--act", "tanh", "-o", str(target))
    assert result.returncode == 0 and result.stdout == ""
    assert target.read_text().startswith(r"\documentclass")


def test_markdown_has_math_blocks(tmp_path):
    result = run("derive", "--depth", "3", "--act", "relu", "--format", "markdown")
    assert result.stdout.startswith("# ") and "$$\n\\begin{aligned}" in result.stdout


BAD_INPUT = [
    (["derive", "--depth", "0"], "at least 1"),
    (["derive", "--depth", "-3"], "at least 1"),
    (["derive", "--depth", "2.5"], "whole number"),
    (["derive", "--depth", "ten"], "whole number"),
    (["derive", "--depth", "1000001"], "largest supported"),
    (["derive", "--depth", "3", "--act", "sigmod"], "Did you mean sigmoid"),
    (["derive", "--depth", "3", "--act", "__import__('os')"], "unknown function '__import__' at column 1"),
    (["derive", "--depth", "3", "--cost", "hinge"], "Unknown cost"),
    (["derive", "--depth", "3", "--format", "docx"], "Unknown format"),
    (["derive", "--depth", "3", "--layers", "4"], "not a layer"),
    (["derive", "--depth", "500", "--layers", "all"], "square of the depth"),
    (["derive", "--depth", "3", "--general"], "not both"),
    (["derive"], "--depth"),
    (["derive", "--depth", "3", "--bogus"], "Unknown option"),
    (["derive", "--depth", "3", "--lang", "ja"], "derive has no option --lang; it is an option "
                                                 "of notes"),
    (["derive", "--depth", "3", "--slides"], "option of notes"),
    (["bounds", "--depth", "3", "--claim", "w1"], "option of verify"),
    (["derive", "--depth", "3", "-o", "/nonexistent-folder/x.tex"], "does not exist"),
    (["frobnicate"], "No such command"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_is_one_sentence_and_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unwritable_output_leaves_no_file(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    result = run("derive", "--depth", "3", "-o", str(folder))
    assert result.returncode == 2 and "folder" in result.stderr
    assert list(folder.iterdir()) == []


def test_failed_command_does_not_clobber_existing_file(tmp_path):
    target = tmp_path / "keep.tex"
    target.write_text("precious")
    result = run("derive", "--depth", "0", "-o", str(target))
    assert result.returncode == 2
    assert target.read_text() == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.tex"]


def test_mpmath_is_untouched_by_a_derivation():
    before = mpmath.mp.dps
    symgrad.derive(5, "silu")
    assert mpmath.mp.dps == before


def test_acts_shows_a_typed_formula_as_the_library_activation_it_writes():
    result = run("acts", "--act", "x/(1+exp(-x))", "--act", "silu", "--format", "json")
    assert result.returncode == 0, result.stderr
    custom, library = json.loads(result.stdout)["activations"]
    assert custom["name"] == "x/(1+exp(-x))" and library["name"] == "silu"
    assert custom["sup_derivative"][:12] == library["sup_derivative"][:12]
    assert custom["inf_derivative"][:12] == library["inf_derivative"][:12]


@pytest.mark.parametrize(("call", "api_words", "cli_args", "cli_words"), [
    (lambda: symgrad.api.evaluate(3, z=1, x=2), "z fixes the preactivations, so x has",
     ["eval", "--depth", "3", "--z", "1", "--x", "2"], "--z fixes the preactivations, so --x has"),
    (lambda: symgrad.api.region("sigmoid"), "Give the weight with w",
     ["region"], "Give the weight with --w"),
    (lambda: symgrad.api.notes(3, b=1), "b and y need the input x",
     ["notes", "--depth", "3", "--b", "1"], "--b and --y need the input --x"),
])
def test_one_check_names_the_argument_as_each_caller_spells_it(call, api_words, cli_args,
                                                               cli_words):
    """The API and the command line share one check; only the spelling of the names differs."""
    with pytest.raises(symgrad.SymgradError) as refused:
        call()
    assert api_words in str(refused.value) and "--" not in str(refused.value)
    result = run(*cli_args)
    assert result.returncode == 2 and cli_words in result.stderr


def _repeatable(parameter) -> bool:
    return parameter.multiple or parameter.is_flag


@pytest.mark.parametrize("command", sorted(cli.commands()))
def test_an_option_given_twice_is_refused_not_silently_overridden(command, capsys):
    """click keeps the last of two values silently (--set wf=1 --set bf=2 drops wf=1);
    every command's options but those meant to repeat are refused the second time."""
    import click

    options = [p for p in cli.commands()[command].params
               if isinstance(p, click.Option) and not _repeatable(p) and p.opts[0] != "--help"]
    assert options, command
    for option in options:
        name = option.opts[-1]
        with pytest.raises(SystemExit) as exit_:
            cli.run([command, name, "1", f"{name}=2"])
        assert exit_.value.code == 2
        assert capsys.readouterr().err.strip() == f"symgrad: {name} was given twice; give it once."


def _imported_after(argv: list[str]) -> set[str]:
    """The modules a fresh interpreter has imported once ``symgrad ARGV`` has run."""
    code = ("import sys\nfrom symgrad.cli import run\ntry:\n    run(sys.argv[1:])\n"
            "except SystemExit:\n    pass\nprint(' '.join(sorted(sys.modules)), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                            timeout=120)
    return set(result.stderr.split())


@pytest.mark.parametrize("argv", [["--help"], ["--version"], []])
def test_help_and_version_start_without_the_machinery(argv):
    """`symgrad --help` and `--version` list the commands from their summaries: no command,
    and none of SymPy, mpmath, numpy or rich, is imported (they take most of a second)."""
    imported = _imported_after(argv)
    assert "click" in imported
    heavy = {"sympy", "mpmath", "numpy", "rich", "gmpy2", "matplotlib", "symgrad.api"}
    assert not heavy & imported, heavy & imported
    assert not any(name.startswith("symgrad.commands.") for name in imported)


def test_a_command_imports_only_its_own_module():
    """`symgrad derive` loads the derive command, not the others' modules."""
    imported = _imported_after(["derive", "--depth", "2", "--act", "relu"])
    own = {name for name in imported if name.startswith("symgrad.commands.")}
    assert own == {"symgrad.commands.common", "symgrad.commands.derive"}, own


@pytest.mark.parametrize("argv", [["acts", "--act", "relu"], ["derive", "--depth", "3"],
                                  ["region", "--w", "2"], ["bounds", "--depth", "5"],
                                  ["export", "--depth", "3", "--to", "jax"]])
def test_a_command_loads_no_numeric_code_it_does_not_use(argv):
    """What these commands print needs neither numpy nor the evaluators: the API imports
    each analysis where it is used, and a result's layout loads when it is first printed
    (``document.LAYOUT_MODULES``); they start a fifth to a third faster for it."""
    imported = _imported_after(argv)
    assert "sympy" in imported and "symgrad.api" in imported
    unused = {"numpy", "symgrad.numeric.matrix_net", "symgrad.numeric.recurrent",
              "symgrad.numeric.balls", "symgrad.render.json", "symgrad.render.cell_documents",
              "symgrad.render.numeric_documents"}
    assert not unused & imported, unused & imported


def test_the_listed_summaries_are_the_commands_own():
    """The list `symgrad --help` shows (read without importing the commands) names every
    command by the short help the command itself has."""
    listed = run("--help").stdout
    for name, command in cli.commands().items():
        assert command.name == name
        assert re.search(rf"^  {name} +{re.escape(command.short_help)}$", listed, re.M), name


def test_a_flag_and_its_opposite_together_are_refused():
    """--spectrum --no-spectrum is one option given twice: click would keep the last."""
    result = run("eval", "--widths", "2,2", "--init", "he", "--spectrum", "--no-spectrum")
    assert result.returncode == 2
    assert result.stderr == "symgrad: --spectrum and --no-spectrum were both given; give one.\n"
