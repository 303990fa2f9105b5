"""Notebook display (issue 15, point 7): every result shows its headings, sentences, math and
tables in a notebook, from a heading level that sits inside the notebook (### title, ####
sections, never an H1), with math that MathJax and KaTeX both render, and its figure as an
image when matplotlib is there. The display is attached by symgrad.render: no module in
derive/, numeric/ or analysis/ imports a renderer."""

import ast
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import mpmath
import pytest

import symgrad
from symgrad.render.document import document
from symgrad.render.markdown import markdown_printer, prose
from symgrad.render.notebook import notebook_outputs
from tests.test_layout import DOCUMENTS

SOURCE = Path(__file__).resolve().parent.parent / "symgrad"

NOTEBOOK_RESULTS = {**DOCUMENTS, "activation library": lambda: symgrad.acts("sigmoid", "gelu")}
_MADE: dict = {}


def made(name):
    if name not in _MADE:
        _MADE[name] = NOTEBOOK_RESULTS[name]()
    return _MADE[name]


@pytest.mark.parametrize("name", ["chain", "symbolic depth", "net 2,3,2", "notes", "eval",
                                  "region", "critical", "verify", "activation library"])
def test_markdown_display_has_every_heading_and_sentence_from_level_three(name):
    result = made(name)
    shown = result._repr_markdown_()
    doc = document(result)
    printer = markdown_printer(doc.output_layer)
    assert shown.startswith(f"### {prose(doc.title, printer)}\n")
    headings = re.findall(r"^(#+) ", shown, re.M)
    assert set(headings) == {"###", "####"} and headings.count("###") == 1
    for section in doc.sections:
        assert f"\n#### {prose(section.title, printer)}\n" in shown
        if section.words:
            assert prose(section.words, printer) in shown
        if section.grid is not None:
            assert "| --- |" in shown or "|---|" in shown.replace(" ", "")


# Macros MathJax (v2 and v3, default TeX packages) and KaTeX both render without extensions;
# \operatorname is plain (not the starred form, which the two treat differently).
KATEX_SAFE = {
    r"\ ", r"\,", r"\:", r"\;", r"\!", r"\\", r"\{", r"\}", r"\|", r"\approx", r"\begin",
    r"\end", r"\bigl", r"\bigr", r"\left", r"\right", r"\cdot", r"\cdots", r"\dots", r"\ldots",
    r"\frac", r"\sqrt", r"\prod", r"\sum", r"\sup", r"\inf", r"\log", r"\exp", r"\tanh",
    r"\sinh", r"\cosh", r"\max", r"\min", r"\operatorname", r"\text", r"\mathbf", r"\mathbb",
    r"\mathcal", r"\mathrm", r"\quad", r"\qquad", r"\le", r"\ge", r"\leq", r"\geq", r"\neq",
    r"\in", r"\sim", r"\mapsto", r"\to", r"\infty", r"\partial", r"\nabla", r"\top", r"\vert",
    r"\Vert", r"\times", r"\pm", r"\pi", r"\alpha", r"\beta", r"\gamma", r"\delta", r"\epsilon",
    r"\varepsilon", r"\kappa", r"\lambda", r"\mu", r"\sigma", r"\tau", r"\phi", r"\chi", r"\xi",
    r"\emptyset", r"\cup", r"\lfloor", r"\rfloor", r"\lceil", r"\rceil", r"\mkern",
}
SAFE_ENVIRONMENTS = {"aligned", "matrix", "cases"}


def _math(markdown: str) -> list[tuple[str, bool]]:
    """Each formula of a Markdown text: $$ displays and $ inline math (display or not)."""
    displays = re.findall(r"\$\$\n(.*?)\n\$\$", markdown, re.S)
    rest = re.sub(r"\$\$\n.*?\n\$\$", "", markdown, flags=re.S)
    rest = re.sub(r"```.*?```", "", rest, flags=re.S)
    return [(d, True) for d in displays] + [(i, False) for i in
                                            re.findall(r"(?<!\\)\$(.+?)(?<!\\)\$", rest)]


@pytest.mark.parametrize("name", NOTEBOOK_RESULTS)
def test_notebook_math_uses_only_macros_mathjax_and_katex_share(name):
    for formula, _ in _math(made(name)._repr_markdown_()):
        macros = set(re.findall(r"\\[a-zA-Z]+|\\.", formula))
        assert macros <= KATEX_SAFE, macros - KATEX_SAFE
        assert set(re.findall(r"\\begin\{([^}]*)\}", formula)) <= SAFE_ENVIRONMENTS


def _katex() -> str | None:
    """A KaTeX installed from npm (CI: SYMGRAD_KATEX names its node_modules), if any."""
    node = shutil.which("node")
    if node is None:
        return None
    modules = os.environ.get("SYMGRAD_KATEX", "")
    found = subprocess.run([node, "-e", "require.resolve('katex')"], capture_output=True,
                           env={**os.environ, "NODE_PATH": modules})
    return modules if found.returncode == 0 else None


def test_katex_renders_every_formula_of_every_notebook_display(tmp_path):
    modules = _katex()
    if modules is None:
        pytest.skip("no KaTeX from npm here (CI installs one: .ci/run)")
    formulas = [(formula, display, name) for name in NOTEBOOK_RESULTS
                for formula, display in _math(made(name)._repr_markdown_())]
    (tmp_path / "formulas.json").write_text(json.dumps(formulas))
    script = (
        "const katex = require('katex'); const fs = require('fs');"
        "const failed = [];"
        "for (const [tex, display, name] of JSON.parse(fs.readFileSync(process.argv[1]))) {"
        "  try { katex.renderToString(tex, {displayMode: display, throwOnError: true,"
        "                                   strict: 'error'}); }"
        "  catch (e) { failed.push([name, e.message.slice(0, 200)]); } }"
        "console.log(JSON.stringify(failed));")
    run = subprocess.run([shutil.which("node"), "-e", script, str(tmp_path / "formulas.json")],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "NODE_PATH": modules})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == []


def test_a_figure_is_shown_as_an_image_of_the_evaluators_values():
    pytest.importorskip("matplotlib")
    from symgrad.render.plot import labelled_figure

    evaluation = symgrad.evaluate(30, "sigmoid", w=2, x="0.5")
    outputs = notebook_outputs(evaluation)
    kinds = [next(k for k in bundle if k != "text/plain") for bundle in outputs]
    assert kinds == ["text/markdown", "image/svg+xml", "text/markdown"]
    image = outputs[1]
    assert base64.b64decode(image["image/png"]).startswith(b"\x89PNG")
    assert "<svg" in image["image/svg+xml"]
    assert "#### The same pass in floats" in outputs[2]["text/markdown"]
    figure = next(s.figure for s in document(evaluation).sections if s.figure is not None)
    drawn = labelled_figure(figure)
    (line,) = drawn.axes[0].get_lines()
    for layer, plotted in zip(line.get_xdata(), line.get_ydata()):
        exact = mpmath.log10(abs(evaluation.layer(int(layer)).delta))
        assert abs(plotted - float(exact)) < 1e-9
    assert len(line.get_xdata()) == 30


def test_without_images_the_figure_is_a_text_chart():
    outputs = notebook_outputs(symgrad.evaluate(10, "relu", w=10, z=1), images=False)
    assert len(outputs) == 1 and "```" in outputs[0]["text/markdown"]


def test_ipython_shows_the_outputs_in_order(monkeypatch):
    shown = []
    ipython = types.ModuleType("IPython")
    display_module = types.ModuleType("IPython.display")
    display_module.display = lambda bundle, raw=False: shown.append((bundle, raw))
    ipython.display = display_module
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_module)
    derivation = symgrad.derive(3, "sigmoid")
    derivation._ipython_display_()
    assert [raw for _, raw in shown] == [True, True, True]
    kinds = [next(k for k in bundle if k != "text/plain") for bundle, _ in shown]
    assert kinds == ["text/markdown", "image/svg+xml", "text/markdown"]  # the diagram between
    whole = derivation._repr_markdown_()  # (the same words, the diagram there in text)
    before, after = shown[0][0]["text/markdown"].strip(), shown[2][0]["text/markdown"].strip()
    assert whole.startswith(before) and whole.rstrip().endswith(after)
    assert "Network" in before and "<svg" in shown[1][0]["image/svg+xml"]


def test_every_result_type_with_a_layout_displays_itself():
    from symgrad.render.document import document as layouts

    for result_type in layouts.registry:
        if result_type is not object:
            for name in ("_repr_markdown_", "_ipython_display_", "markdown", "latex"):
                assert callable(getattr(result_type, name, None)), (result_type, name)


def test_results_import_no_renderer():
    """derive/, numeric/ and analysis/ (and the result modules beside them) import nothing
    from symgrad.render or the CLI, not even inside a function."""
    modules = [p for folder in ("derive", "numeric", "analysis") for p in (SOURCE / folder).glob("*.py")]
    modules += [SOURCE / name for name in ("notes.py", "verify.py", "activations.py")]
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith(("symgrad.render", "symgrad.cli", "symgrad.display")), \
                    f"{path.name} imports {name}"
    assert not (SOURCE / "display.py").exists()


def test_a_result_of_the_package_shows_itself_without_importing_the_renderers():
    """`import symgrad` loads its names on first use; the first one also gives every result
    type its notebook display, as a user's notebook never imports symgrad.render itself."""
    code = ("import symgrad\nresult = symgrad.derive(2, 'relu')\n"
            "print(result._repr_markdown_()[:200])")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "relu" in shown.stdout and "$" in shown.stdout
