"""LaTeX: numbered ``align`` blocks and tables that fit the page, as a whole document or as a
fragment that names the packages it needs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from symgrad.render.breaking import formula_lines
from symgrad.render.chart import LOG_ZERO, NOTHING_TO_CHART_WITH, latex_chart, limit_label
from symgrad.render.document import Document, Grid, Row
from symgrad.render.language import DEFAULT, LANGUAGES, phrase, setting
from symgrad.render.latex_width import visible_width
from symgrad.render.number_style import column_styled, styled
from symgrad.render.printing import LatexPrinter, breakable_digits, uncounted
from symgrad.render.prose import Words
from symgrad.render.tikz import tikz_diagram

LINE_WIDTH = 62  # visible characters per line of a long product, before a break
NUMBER_WIDTH = 6  # of them taken by an equation number, (12), on a numbered row

PAGE = r"""\documentclass[11pt]{article}
\usepackage[margin=2cm]{geometry}
"""  # a language may set its own (LATEX_PAGE), giving the same text width
PREAMBLE = PAGE + r"""\usepackage{amsmath,amssymb}
\usepackage{booktabs,tabularx}
\usepackage{float}
\usepackage{pgfplots}
\pgfplotsset{compat=1.18}
\usetikzlibrary{arrows.meta}
\allowdisplaybreaks
\tolerance=1000
\setlength{\emergencystretch}{3em}
\begin{document}
"""

# What in a body needs which package (a fragment's first line names those its body uses).
PACKAGES = (
    ("amsmath", re.compile(r"\\begin\{(align\*?|aligned|matrix|pmatrix|bmatrix|cases|split)\}"
                           r"|\\(text|operatorname|notag|dfrac|tfrac|binom|boldsymbol|substack"
                           r"|eqref|iint|iiint)(?![a-zA-Z])")),
    ("amssymb", re.compile(r"\\(mathbb|mathfrak|varnothing|leqslant|geqslant|lesssim|gtrsim"
                           r"|blacksquare|nexists|complement)(?![a-zA-Z])")),
    ("booktabs", re.compile(r"\\(toprule|midrule|bottomrule|cmidrule)(?![a-zA-Z])")),
    ("tabularx", re.compile(r"\\begin\{tabularx\}")),
    ("float", re.compile(r"\\begin\{figure\}\[H\]")),
    ("tikz", re.compile(r"\\begin\{tikzpicture\}")),
    ("pgfplots", re.compile(r"\\begin\{axis\}")),
)
LIBRARIES = (("arrows.meta", re.compile(r"Stealth")),)  # TikZ's, for \usetikzlibrary


def latex_document(doc: Document, fragment: bool = False) -> str:
    """A result's document as LaTeX: standalone, or (``fragment``) its body only, after a
    comment naming the packages it needs."""
    body = latex_body(doc)
    if fragment:
        return fragment_header(body, doc.lang) + body
    printer = LatexPrinter(doc.output_layer, line_breaks=True)
    title = rf"\section*{{{latex_words(printer, doc.title)}}}" + "\n"
    return preamble(doc.lang) + title + body + r"\end{document}" + "\n"


def preamble(lang: str = DEFAULT) -> str:
    """The preamble of a document in ``lang``: PREAMBLE, its class and page as the language
    sets them (``LATEX_PAGE``: Japanese takes LuaTeX-ja's class)."""
    return setting(lang, "LATEX_PAGE", PAGE) + PREAMBLE.removeprefix(PAGE)


def needed_packages(body: str) -> list[str]:
    """The packages ``body`` uses, in ``PACKAGES`` order."""
    return [name for name, use in PACKAGES if use.search(body)]


def fragment_header(body: str, lang: str = DEFAULT) -> str:
    """A fragment's opening comment: the packages to load for it (exactly those it uses),
    and what its language needs besides (Japanese: LuaLaTeX and LuaTeX-ja)."""
    packages = needed_packages(body)
    libraries = [name for name, use in LIBRARIES if use.search(body)]
    lines = ["% symgrad fragment, for \\input into a LaTeX document; it needs "
             + (rf"\usepackage{{{','.join(packages)}}}" if packages else "no package")
             + " in the preamble."]
    if libraries:
        lines.append(rf"% and \usetikzlibrary{{{','.join(libraries)}}} after them.")
    needs = setting(lang, "LATEX_NEEDS", None)
    if needs is not None:
        lines.append(f"% Its words are in {LANGUAGES[lang]}: {needs}.")
    if re.search(r"\\begin\{align\*?\}", body):
        lines.append(r"% \allowdisplaybreaks there lets its long derivations break across pages.")
    return "\n".join(lines) + "\n"


def latex_words(printer: LatexPrinter, words: Words) -> str:
    """Words as LaTeX: text escaped, each formula of a ``Prose`` in $…$ by the printer."""
    if isinstance(words, str):
        return escape(words)
    with uncounted():
        return words.printed(escape, lambda expr: f"${printer.doprint(expr)}$", typewriter)


_CODE = re.compile(r"[\w ()+\-*/.,:=<>!]*")  # text \detokenize takes as it is


def typewriter(text: str) -> str:
    """Text as typed in a typewriter face: its underscores as underscores, not \\_."""
    if _CODE.fullmatch(text):
        return rf"\texttt{{\detokenize{{{text}}}}}"
    return rf"\texttt{{{escape(text)}}}"


def latex_body(doc: Document, labels: EquationLabels | None = None) -> str:
    """The document's sections; its labelled rows numbered, with labels unique among
    ``labels`` (those of the document the body goes into; its own by default)."""
    printer = LatexPrinter(doc.output_layer, line_breaks=True)
    labels = labels if labels is not None else EquationLabels()
    parts = []
    for section in doc.sections:
        parts.append(rf"\subsection*{{{latex_words(printer, section.title)}}}")
        if section.words:
            parts.append(latex_words(printer, section.words))
        if section.diagram is not None:
            parts.append(floating(tikz_diagram(section.diagram, printer),
                                  latex_words(printer, section.diagram.caption)))
        if section.rows:
            numbered = any(row.label is not None for row in section.rows)
            parts.append(equation_block(printer, section.rows, "align" if numbered else "align*",
                                        labels if numbered else None))
        if section.grid is not None:
            parts.append(grid_table(section.grid))
        if section.figure is not None and section.figure.empty:
            parts.append(phrase(doc.lang, NOTHING_TO_CHART_WITH, escape, formula=f"${LOG_ZERO}$"))
        elif section.figure is not None:
            figure = section.figure
            chart = latex_chart(figure.xs, figure.ys, latex_words(printer, figure.x_label),
                                latex_words(printer, figure.y_label), figure.bars,
                                [(limit_label(label, doc.lang, escape), value)
                                 for label, value in figure.limit_lines], figure.behind,
                                latex_words(printer, figure.label),
                                [(line.xs, line.ys, latex_words(printer, line.label))
                                 for line in figure.more])
            parts.append(floating(chart, latex_words(printer, figure.drawn_caption)))
    return "\n".join(parts) + "\n"


def floating(picture: str, caption: str) -> str:
    """A picture as a numbered figure, centred, with its caption, where it stands in the
    text (``H``: a handout reads in order, and no figure is left alone on a page)."""
    return "\n".join([r"\begin{figure}[H]", r"\centering", picture,
                      *([rf"\caption{{{caption}}}"] if caption else []), r"\end{figure}"])


# -- tables ------------------------------------------------------------------------------
# A table is laid out to the page's text width from its cells' estimated widths: as it is
# when it fits; else with its widest columns of words wrapped (tabularx X columns); else
# split into several tables of fewer columns, each led by the first (the row's key).

TEXT_WIDTH = 500.0  # pt: PREAMBLE's \textwidth (letter paper, 2 cm margins)
CHARACTER_WIDTH = 5.5  # pt: a digit or letter of the 11 pt fonts (math a little over)
COLUMN_SPACE = 12.0  # pt: the \tabcolsep either side of a column
NARROWEST_WORDS = 120.0  # pt: words are not wrapped into a narrower column than this
WRAPPED = r">{\raggedright\arraybackslash}X"


@dataclass(frozen=True)
class _Column:
    """One column of a table as LaTeX: a column of numbers is two (r@{}l, the points
    lined up), its header and any words in it spanning both."""

    header: str
    cells: tuple[str, ...]
    numeric: bool
    width: float  # pt, unwrapped

    @property
    def words(self) -> bool:
        return not self.numeric


def _points(latex: str) -> float:
    """The printed width of a cell's LaTeX, estimated (generously) from its characters."""
    return CHARACTER_WIDTH * visible_width(latex)


def grid_table(grid: Grid, text_width: float = TEXT_WIDTH) -> str:
    """A booktabs table that fits the text width (see above; ``text_width`` pt, a slide's
    narrower); decimal points aligned."""
    columns = _columns(grid)
    rows = len(grid.rows)
    tables = []
    for part in _parts(columns, text_width):
        tables.append(_tabular([columns[n] for n in part],
                               _wrapped([columns[n] for n in part], text_width), rows))
    return "\n".join(tables)


def _columns(grid: Grid) -> list[_Column]:
    printer = LatexPrinter(line_breaks=True)
    cells_by_column = list(zip(*grid.rows)) if grid.rows else [()] * len(grid.headers)
    columns = []
    for header, cells in zip(grid.headers, cells_by_column):
        numbers = column_styled(cells)
        numeric = any(n is not None for n in numbers)
        printed, whole, rest, spanning = [], 0.0, 0.0, 0.0
        for cell, number in zip(cells, numbers):
            if number is not None:
                left, right = _split_number(number)
                printed.append(f"{left} & {right}")
                whole, rest = max(whole, _points(left)), max(rest, _points(right))
                continue
            words = number_latex(cell) if isinstance(cell, str) else latex_words(printer, cell)
            printed.append(rf"\multicolumn{{2}}{{r}}{{{words}}}" if numeric else words)
            spanning = max(spanning, _points(words))
        heading = latex_words(printer, header)
        columns.append(_Column(rf"\multicolumn{{2}}{{c}}{{{heading}}}" if numeric else heading,
                               tuple(printed), numeric,
                               max(whole + rest, spanning, _points(heading))))
    return columns


def _natural_width(columns: list[_Column]) -> float:
    return sum(c.width + COLUMN_SPACE for c in columns)


def _wrapped(columns: list[_Column], text_width: float = TEXT_WIDTH) -> set[int] | None:
    """Which columns (by position) to wrap so that the table fits: none if it fits as it is,
    else the fewest of its widest columns of words that leave each at least NARROWEST_WORDS;
    None if no choice does."""
    if _natural_width(columns) <= text_width:
        return set()
    words = sorted((n for n, c in enumerate(columns) if c.words), key=lambda n: -columns[n].width)
    for count in range(1, len(words) + 1):
        chosen = set(words[:count])
        fixed = _natural_width([c for n, c in enumerate(columns) if n not in chosen])
        share = (text_width - fixed) / count - COLUMN_SPACE
        if share >= NARROWEST_WORDS:
            return chosen
    return None


def _parts(columns: list[_Column], text_width: float = TEXT_WIDTH) -> list[list[int]]:
    """The columns of each table: all in one if they fit (wrapped or not); else, from the
    left, as many as fit in each, every table led by the first column."""
    everything = list(range(len(columns)))
    if _wrapped(columns, text_width) is not None or len(columns) <= 2:
        return [everything]
    parts, current = [], [0]
    for number in everything[1:]:
        if len(current) > 1 and _wrapped([columns[n] for n in current + [number]],
                                         text_width) is None:
            parts.append(current)
            current = [0]
        current.append(number)
    parts.append(current)
    return parts


def _tabular(columns: list[_Column], wrapped: set[int] | None, rows: int) -> str:
    """One table; ``wrapped`` columns as X columns of a full-width tabularx."""
    wrapped = wrapped or set()
    spec = "".join(WRAPPED if n in wrapped else "r@{}l" if c.numeric else "l"
                   for n, c in enumerate(columns))
    opening, closing = (rf"\begin{{tabularx}}{{\linewidth}}{{{spec}}}", r"\end{tabularx}") \
        if wrapped else (rf"\begin{{tabular}}{{{spec}}}", r"\end{tabular}")
    lines = [opening, r"\toprule", " & ".join(c.header for c in columns) + r" \\", r"\midrule"]
    for row in range(rows):
        cells = [c.cells[row] for c in columns]
        # "{}" first: a row starting with "[" would be read as the optional argument of \\
        lines.append(("{}" if cells[0].startswith("[") else "") + " & ".join(cells) + r" \\")
    lines += [r"\bottomrule", closing]
    return "\n".join([r"\begin{center}", *lines, r"\end{center}"])


def _split_number(number) -> tuple[str, str]:
    """A styled number as two cells: sign and whole digits, then the point, the fraction
    and the power of ten (10^k itself in the first)."""
    if number.power_of_ten:
        return f"${number.latex()}$", ""
    rest = (f".{number.fraction}" if number.fraction else "") + (
        "" if number.exponent is None else rf" \cdot 10^{{{number.exponent}}}")
    return f"${number.sign}{number.whole}$", (f"${{}}{rest}$" if rest else "")


_DECIMAL = re.compile(r"(-?)(\d+(?:\.\d+)?)(?:e([+-]\d+))?")


_POWER_OF_TEN = re.compile(r"(-?)10\^\((.*)\)")  # a table cell's 10^(log10|x|) (e^-(10^5000))


def number_latex(cell: str) -> str:
    r"""A decimal string as math in the one number style (1.5e+39 → $1.5 \cdot 10^{39}$);
    other text escaped."""
    power_of_ten = _POWER_OF_TEN.fullmatch(cell)
    if power_of_ten is not None and _DECIMAL.fullmatch(power_of_ten.group(2)):
        sign, exponent = power_of_ten.groups()
        return f"${sign}10^{{{number_latex(exponent).strip('$')}}}$"
    number = styled(cell) if _DECIMAL.fullmatch(cell) else None
    if number is None:
        return {"inf": r"$\infty$", "-inf": r"$-\infty$"}.get(cell, escape(cell))
    return f"${number.latex()}$"


def equation_block(printer: LatexPrinter, rows: list[Row], environment: str,
                   labels: EquationLabels | None = None, line_width: int = LINE_WIDTH) -> str:
    """Rows aligned on their relation signs, each side broken between whole terms and factors
    (``breaking``) into lines of at most ``line_width`` visible characters, continuation lines
    indented by a quad. With ``labels`` (an ``align`` of a LaTeX document) a labelled row is
    numbered, on its last line, and every other line is not."""
    lines = [line for row in rows for line in row_lines(printer, row, labels, line_width)]
    return aligned(environment, lines)


def aligned(environment: str, lines: list[str]) -> str:
    """Lines of ``row_lines`` as one display."""
    return rf"\begin{{{environment}}}" + "\n" + " \\\\\n".join(lines) + "\n" + \
        rf"\end{{{environment}}}"


def row_lines(printer: LatexPrinter, row: Row, labels: EquationLabels | None = None,
              line_width: int = LINE_WIDTH) -> list[str]:
    """One row's lines of an ``equation_block`` (a display may break between any two)."""
    measure = _widths(printer)
    numbered = labels is not None and row.label is not None
    limit = line_width - (NUMBER_WIDTH if numbered else 0)
    lhs = printer.doprint(row.lhs)
    lines = []
    for number, side in enumerate(row.sides):
        broken = formula_lines(printer, side, limit, measure)
        start = lhs if number == 0 else ""
        relation = _RELATIONS[row.relation(number)]
        lines.append(f"{start} &{relation} {broken[0]}")
        lines += [rf"&\quad {line}" for line in broken[1:]]
    if not row.sides:
        lines.append(lhs)
    if row.index_range is not None:
        where = rf"\qquad ({index_range(printer, row.index_range)})"
        last = lines[-1].split("&", 1)[-1]
        if measure(last) + measure(where) > limit:  # on a line of its own
            lines.append("&" + where)
        else:
            lines[-1] += " " + where
    if labels is not None:
        tags = [r"\notag"] * len(lines)
        if numbered:
            tags[-1] = rf"\label{{{labels.unique(row.label)}}}"
        lines = [f"{line} {tag}" for line, tag in zip(lines, tags)]
    return lines


class EquationLabels:
    """The equation labels of one LaTeX document: ``eq:`` and the row's label; a label met
    again (two results in one document) gets a number after it (eq:forward-2), so each is
    unique and the same on every run."""

    def __init__(self):
        self.used: set[str] = set()

    def unique(self, label: str) -> str:
        name, count = f"eq:{label}", 1
        while name in self.used:
            count += 1
            name = f"eq:{label}-{count}"
        self.used.add(name)
        return name


_RELATIONS = {"=": "=", "≤": r"\le", "≥": r"\ge", "≈": r"\approx", "<": "<", ">": ">",
              "∈": r"\in"}


def index_range(printer, index_range: tuple) -> str:
    index, first, last = index_range
    return rf"{printer.doprint(index)} = {printer.doprint(first)}, \dots, {printer.doprint(last)}"


def _widths(printer: LatexPrinter):
    """``visible_width``, each distinct text worked out once for all of the printer's
    equation blocks (a deep chain's factors recur in every product of the document)."""
    widths = printer.__dict__.setdefault("_symgrad_widths", {})

    def measure(text: str) -> int:
        width = widths.get(text)
        if width is None:
            width = widths[text] = visible_width(text)
        return width

    return measure


_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$", "{": r"\{", "}": r"\}",
            "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}
_UNICODE = {"σ": r"$\sigma$", "δ": r"$\delta$", "∂": r"$\partial$", "∞": r"$\infty$",
            "→": r"$\to$", "≈": r"$\approx$", "×": r"$\times$", "α": r"$\alpha$",
            "∏": r"$\prod$", "Σ": r"$\Sigma$", "≤": r"$\le$", "≥": r"$\ge$", "…": r"\dots{}",
            "–": "--", "—": "---", "·": r"$\cdot$", "⋯": r"$\cdots$", "∈": r"$\in$",
            "±": r"$\pm$", "⁻": r"${}^{-}$", "½": r"$\frac12$", "ᵀ": r"${}^{\top}$",
            "‖": r"$\|$", "∇": r"$\nabla$", "⊙": r"$\odot$", "−": "-", "√": r"$\surd$",
            "ε": r"$\varepsilon$", "χ": r"$\chi$", "ξ": r"$\xi$", "↦": r"$\mapsto$", "ᴸ": r"${}^{L}$",
            "|": r"$|$", "<": r"$<$", ">": r"$>$"}  # OT1 text fonts have no | < >
_UNICODE.update({sup: f"${{}}^{{{digit}}}$" for digit, sup in zip("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")})
_UNICODE.update({sub: f"${{}}_{{{digit}}}$" for digit, sub in zip("0123456789", "₀₁₂₃₄₅₆₇₈₉")})


def escape(words: str) -> str:
    """Plain words (with a little Unicode math) as LaTeX text; a long run of digits may
    break across lines."""
    out = []
    for char in words:
        out.append(_SPECIAL.get(char) or _UNICODE.get(char) or char)
    return breakable_digits("".join(out))
