"""Slides (issue 15, point 8): ``symgrad notes … --slides`` writes a Beamer presentation, one
idea per frame in the order the argument runs, that compiles with nothing overfull (a frame
too tall for the slide is an "Overfull \\vbox" in the log) and no missing glyph; the numbers
on the regime frames are the exact powers; LaTeX and PDF only, anything else refused with
nothing written."""

import re
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

import pytest

from tests.process import symgrad_process
from tests.test_latex_compiles import pdflatex

DECKS = {
    "sigmoid depth 10 with values": ["--depth", "10", "--act", "sigmoid", "--x", "0.5", "--w", "2"],
    "relu w 10 in gain mode": ["--depth", "10", "--act", "relu", "--w", "10", "--z", "1"],
    "tanh residual with values": ["--depth", "6", "--act", "tanh", "--residual", "--x", "0.3"],
    "relu depth 40": ["--depth", "40", "--act", "relu"],  # rows taller than a frame
    "net 2,3,2": ["--widths", "2,3,2"],
    "net 2,3,2 with values": ["--widths", "2,3,2", "--init", "he", "--x", "0.5,1"],
    "net 6,6,6,6": ["--widths", "6,6,6,6", "--act", "tanh"],  # a diagram taller than a frame
    "lstm cell": ["--cell", "lstm", "--steps", "40"],
}
FRAME = re.compile(r"^\\begin\{frame\}(?:\{([^\n]*)\})?\n(.*?)^\\end\{frame\}", re.M | re.S)
CONTINUED = " (cont.)"

_BUILT: dict = {}


def symgrad_cli(*arguments, cwd):
    return symgrad_process(*arguments, cwd=cwd, timeout=300)


def deck(name, tmp_path_factory):
    """The deck's LaTeX, written by the CLI, and pdflatex's log of it (compiled twice, so
    that equation numbers and references settle)."""
    if name not in _BUILT:
        folder = tmp_path_factory.mktemp("deck")
        run = symgrad_cli("notes", *DECKS[name], "--slides", "-o", "deck.tex", cwd=folder)
        assert run.returncode == 0, run.stderr
        for _ in range(2):
            compiled = subprocess.run([pdflatex(), "-interaction=nonstopmode", "-halt-on-error",
                                       "deck.tex"], cwd=folder, capture_output=True, text=True,
                                      timeout=300)
            assert compiled.returncode == 0, compiled.stdout[-3000:]
        _BUILT[name] = ((folder / "deck.tex").read_text(),
                        (folder / "deck.log").read_text(errors="replace"), folder)
    return _BUILT[name]


def frames(source: str) -> list[tuple[str, str]]:
    """(title, body) of each frame; the title frame has the title ""."""
    return [(title or "", body) for title, body in FRAME.findall(source)]


def ideas(source: str) -> list[str]:
    """The frame titles without their continuations, each once, in order."""
    titles = []
    for title, _ in frames(source)[1:]:
        title = title.removesuffix(CONTINUED)
        if not titles or titles[-1] != title:
            titles.append(title)
    return titles


def bodies(source: str, start: str) -> str:
    """Every frame body (continuations too) of the idea whose title starts with ``start``."""
    found = [body for title, body in frames(source) if title.startswith(start)]
    assert found, f"no frame titled {start!r}"
    return "\n".join(found)


@pytest.mark.parametrize("name", DECKS)
def test_deck_compiles_with_nothing_overfull(name, tmp_path_factory):
    source, log, _ = deck(name, tmp_path_factory)
    too_wide = [float(pt) for pt in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert [pt for pt in too_wide if pt > 1] == []
    assert re.findall(r"Overfull \\vbox[^\n]*", log) == []  # a frame taller than the slide
    assert [line for line in log.splitlines() if "Missing character" in line] == []
    pages = int(re.search(r"Output written on deck\.pdf \((\d+) pages?", log).group(1))
    assert pages == len(frames(source))  # one page per frame: nothing broken or merged by Beamer


def test_continued_frames_split_between_rows_and_lines(tmp_path_factory):
    """At depth 40 the front layer's δ_1 (40 indicators, 39 weights) is taller than a slide:
    it goes on over "(cont.)" frames, every factor exactly once, none overfull (above)."""
    source, _, _ = deck("relu depth 40", tmp_path_factory)
    relu = [title for title, _ in frames(source) if title.startswith("Why ReLU")]
    assert relu[0] == "Why ReLU alone does not remove the weight product"
    assert len(relu) > 1 and all(title.endswith(CONTINUED) for title in relu[1:])
    shown = bodies(source, "Why ReLU")
    displays = "\n".join(re.findall(r"\\begin\{align\*?\}(.*?)\\end\{align", shown, re.S))
    weights = re.findall(r"w_\{(\d+)\}", displays)
    indicators = re.findall(r"\\mathbf\{1\}\\left\[a_\{(\d+)\} > 0\\right\]", displays)
    assert sorted(map(int, weights)) == sorted(list(range(2, 41)) * 2)  # σ' and concrete forms
    assert sorted(map(int, indicators)) == list(range(1, 41))


CHAIN_ORDER = [  # the argument, as the issue lists it
    "Notation and forward pass",
    r"The chain rule and the $\delta$ recursion",
    "The closed form",
    "Regime: $\\sigma' < 1$ with ordinary weights: vanishing",
    "Regime: $\\sigma' \\geq 1$ but $\\left|{w}\\right| < 1$: still vanishing",
    "Regime: $\\left|{w\\,\\sigma'}\\right| > 1$: exploding",
    "Why ReLU alone does not remove the weight product",
    "Residual connections",
    r"The residual factor, $w = \frac{1}{2}$",
    "Values: layer by layer",
]


def test_chain_frames_walk_the_argument(tmp_path_factory):
    source, _, _ = deck("sigmoid depth 10 with values", tmp_path_factory)
    assert ideas(source) == CHAIN_ORDER
    assert r"\titlepage" in frames(source)[0][1]
    without_values, _, _ = deck("relu depth 40", tmp_path_factory)
    assert ideas(without_values) == CHAIN_ORDER[:-1]  # no figure without --x or --z
    residual, _, _ = deck("tanh residual with values", tmp_path_factory)
    # a residual chain's own recursion is the argument's: no second residual section
    assert ideas(residual) == [t for t in CHAIN_ORDER if not t.startswith(("Residual", "The residual"))]


def test_each_idea_is_on_its_frame(tmp_path_factory):
    source, _, _ = deck("sigmoid depth 10 with values", tmp_path_factory)
    network = bodies(source, "Notation and forward pass")
    assert r"\begin{tikzpicture}" in network and r"\node[forward] (a0)" in network
    assert r"\draw[skip]" not in network
    assert r"\label{eq:forward}" in network
    assert r"\label{eq:delta-recursion}" in bodies(source, "The chain rule")
    closed = bodies(source, "The closed form")
    assert r"\label{eq:closed-form}" in closed
    assert r"\prod_{k=l + 1}^{10} {w}_{k}" in closed and r"\prod_{k=l}^{10}" in closed  # apart
    for case in ("vanishing", "still-vanishing", "exploding"):
        regime = [body for title, body in frames(source) if title.endswith(
            {"vanishing": "ordinary weights: vanishing", "still-vanishing": "still vanishing",
             "exploding": "exploding"}[case])]
        assert len(regime) == 1 and rf"\label{{eq:regime-{case}}}" in regime[0]
    residual = bodies(source, "Residual connections")
    assert r"\draw[skip]" in residual  # the identity paths, drawn
    assert r"\label{eq:residual-gradient-recursion}" in residual
    figure = bodies(source, "Values: layer by layer")
    assert r"\begin{axis}" in figure and r"\caption{$\log_{10}" in figure
    assert sum(r"\begin{axis}" in body for _, body in frames(source)) == 1


def test_net_frames(tmp_path_factory):
    source, _, _ = deck("net 2,3,2", tmp_path_factory)
    assert ideas(source) == ["Network", "Output error", "Backward pass", "Matrix form",
                             "Any widths and depth", "The front layer as a sum over paths"]
    network = bodies(source, "Network")
    assert r"\node[forward] (a1_3)" in network  # every unit drawn
    assert r"\label{eq:matrix-closed-form}" in bodies(source, "Any widths and depth")
    assert r"\label{eq:jacobian}" in bodies(source, "Matrix form")
    values, _, _ = deck("net 2,3,2 with values", tmp_path_factory)
    assert ideas(values)[-3:] == ["Values: setting", "Values: cost and input gradient",
                                  "Values: jacobian spectrum"]
    wide, _, _ = deck("net 6,6,6,6", tmp_path_factory)
    assert r"\node[forward] (a3_6)" in bodies(wide, "Network")  # scaled to fit, not cut


def _exact_decimal(value: Fraction, digits: int) -> str:
    """``value`` to ``digits`` significant digits, by decimal arithmetic, a tie rounded up
    (1/1024 = 9.765625e-4: "9.76563e-4")."""
    with localcontext() as context:
        context.prec, context.rounding = 60, ROUND_HALF_UP
        quotient = Decimal(value.numerator) / Decimal(value.denominator)
        mantissa, exponent = f"{quotient:.{digits - 1}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _printed_decimal(latex: str) -> str:
    mantissa, exponent = re.fullmatch(r"([\d.]+)(?: \\cdot 10\^\{(-?\d+)\})?", latex.strip()).groups()
    return f"{mantissa}e{int(exponent or 0)}"


@pytest.mark.parametrize("name, depth", [("sigmoid depth 10 with values", 10),
                                         ("tanh residual with values", 6)])
def test_regime_numbers_are_the_exact_powers(name, depth, tmp_path_factory):
    """(1/4)^L, (1/2)^L and 10^L at the depth and ten times it: each exact value shown is the
    power itself, each decimal its 6 significant digits (computed here with Fractions)."""
    source, _, _ = deck(name, tmp_path_factory)
    regimes = [body for title, body in frames(source) if title.startswith("Regime:")]
    assert len(regimes) == 3
    for body, base in zip(regimes, (Fraction(1, 4), Fraction(1, 2), Fraction(10))):
        rows = re.findall(r"^(.*?) \\(?:label|notag)", body, re.M)
        powers = {}
        current = None
        for row in rows:
            written, _, sides = row.partition("&")
            if written.strip():
                shown = re.fullmatch(r"(?:\\left\(\\frac\{1\}\{(\d+)\}\\right\)|10)\^\{(\d+)\}",
                                     written.strip())
                assert shown, written
                denominator, exponent = shown.groups()
                assert (Fraction(1, int(denominator)) if denominator else Fraction(10)) == base
                current = int(exponent)
                powers[current] = []
            powers[current].append(sides.strip())
        assert sorted(powers) == [depth, 10 * depth]
        for exponent, sides in powers.items():
            value = base ** exponent
            for side in filter(None, sides):
                relation, number = re.fullmatch(r"(=|\\approx) (.*)", side).groups()
                if relation == "=":
                    fraction = re.fullmatch(r"\\frac\{1\}\{(\d+)\}", number)
                    assert Fraction(1, int(fraction.group(1))) == value
                else:
                    assert _printed_decimal(number) == _exact_decimal(value, 6)
            if not any(sides):  # 10^L: exact as written
                assert base == 10


@pytest.mark.parametrize("arguments", [
    ["-o", "talk.md"], ["-o", "talk.html"], ["-o", "talk.json"], ["-o", "talk.txt"],
    ["--format", "markdown"], ["--format", "json"], ["--format", "html", "-o", "talk"],
    ["--fragment", "-o", "talk.tex"], ["--fragment", "-o", "talk.pdf"],
], ids=" ".join)
def test_other_formats_are_refused_and_nothing_written(arguments, tmp_path):
    run = symgrad_cli("notes", "--depth", "3", "--slides", *arguments, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stdout == ""
    assert re.fullmatch(r"symgrad: [^\n]+\.\n", run.stderr), run.stderr
    assert "--slides" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_slides_on_stdout_are_latex(tmp_path):
    run = symgrad_cli("notes", "--depth", "3", "--slides", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(r"\documentclass") and "{beamer}" in run.stdout.splitlines()[0]
    assert list(tmp_path.iterdir()) == []


def test_pdf_is_the_compiled_deck(tmp_path):
    """-o talk.pdf compiles the deck: one page per frame, the frames' titles in order."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: install poppler-utils")
    run = symgrad_cli("notes", "--depth", "5", "--act", "relu", "--z", "1", "--w", "10",
                      "--slides", "-o", "talk.pdf", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    latex = symgrad_cli("notes", "--depth", "5", "--act", "relu", "--z", "1", "--w", "10",
                        "--slides", cwd=tmp_path).stdout
    text = subprocess.run(["pdftotext", "-layout", "talk.pdf", "-"], cwd=tmp_path,
                          capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) == len(frames(latex))
    firsts = [page.strip().splitlines()[0].strip() for page in pages[1:]]
    assert firsts[0] == "Notation and forward pass"
    assert [page for page in firsts if page.startswith("Regime:")][2].endswith("exploding")
    assert firsts[-1] == "Values: layer by layer"
    assert sorted(tmp_path.iterdir()) == [tmp_path / "talk.pdf"]


def _prose_of(body: str) -> tuple[list[str], list[str]]:
    """A frame's paragraphs and captions: its displays, pictures and tables taken out."""
    for environment in ("align\\*?", "tikzpicture", "minipage", "center"):
        body = re.sub(rf"\\begin\{{({environment})\}}.*?\\end\{{\1\}}", "", body, flags=re.S)
    captions = re.findall(r"^\\caption\{(.*)\}$", body, re.M)
    paragraphs = [line for line in body.splitlines() if line and not line.startswith("\\")
                  and line not in ("}", "%")]
    return paragraphs, captions


@pytest.mark.parametrize("name, notes", [
    ("sigmoid depth 10 with values", dict(depth=10, act="sigmoid", x="0.5", w="2")),
    ("net 2,3,2 with values", dict(widths=[2, 3, 2], init="he", x="0.5,1")),
    ("net 6,6,6,6", dict(widths=[6, 6, 6, 6], act="tanh")),
    ("lstm cell", dict(cell="lstm", steps=40)),
])
def test_every_word_on_a_slide_is_the_notes_own(name, notes, tmp_path_factory):
    """No new prose: each frame's title (but "(cont.)") is a section title of the notes,
    each paragraph one of the notes' paragraphs, each caption the first sentences of one of
    the notes' captions."""
    import symgrad

    handout = symgrad.render(symgrad.notes(**notes), "latex")
    titles = set(re.findall(r"^\\subsection\*\{(.*)\}$", handout, re.M))
    handout_lines = set(handout.splitlines())
    handout_captions = re.findall(r"^\\caption\{(.*)\}$", handout, re.M)
    source, _, _ = deck(name, tmp_path_factory)
    for title, body in frames(source)[1:]:
        assert title.removesuffix(CONTINUED) in titles
        paragraphs, captions = _prose_of(body)
        assert all(paragraph in handout_lines for paragraph in paragraphs), paragraphs
        for caption in captions:
            assert any(whole.startswith(caption) and whole[len(caption):len(caption) + 1] in ("", " ")
                       for whole in handout_captions), caption


def test_slides_from_python():
    import symgrad
    from symgrad.errors import SymgradError
    from symgrad.render import Slides, render

    notes = symgrad.notes(3, "tanh")
    assert render(Slides(notes), "latex").startswith(r"\documentclass[11pt,aspectratio=169]{beamer}")
    with pytest.raises(SymgradError, match="--slides writes a Beamer presentation"):
        render(Slides(notes), "markdown")
    with pytest.raises(SymgradError, match="made of lecture notes"):
        Slides(symgrad.derive(3, "tanh"))
