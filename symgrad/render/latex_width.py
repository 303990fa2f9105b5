"""How wide LaTeX sets a formula or a table cell, estimated from its source without running
TeX: in characters of the body font (about 5.5 pt at 11 pt), a little generously, so that
lines and tables laid out to a width by this estimate fit the page.

Counted: a letter, digit or symbol as 1; a relation or binary operator with the space
around it as 2; a sub- or superscript at 0.7 of its size, and the two on one base as the
wider of them; a fraction as its wider part; ``\\frac``, ``\\left`` and the like, braces,
labels and break hints as nothing; ``\\quad`` and the thin spaces as their widths; the
word of an operator (``\\sup``, ``\\tanh``) as its letters; a full-width character (kanji,
kana, Japanese punctuation) as 2.
"""

from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"\\[a-zA-Z]+\*?|\\.|[{}^_]|[^\\{}^_]")
_NOTHING = {r"\left", r"\right", r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\allowbreak",
            r"\notag", r"\displaystyle", r"\limits", r"\mathbf", r"\mathrm", r"\mathbb",
            r"\mathcal", r"\text", r"\operatorname", r"\texttt", r"\detokenize", r"\nobreak"}
_SPACES = {r"\,": 0.3, r"\;": 0.5, r"\:": 0.4, r"\!": -0.3, r"\ ": 0.5, r"\quad": 2.0,
           r"\qquad": 4.0}
_WIDE = {r"\cdots": 2.5, r"\dots": 2.5, r"\ldots": 2.5, r"\prod": 1.6, r"\sum": 1.6,
         r"\infty": 1.4, r"\mapsto": 2.5, r"\to": 2.0, r"\approx": 2.0, r"\le": 2.0,
         r"\ge": 2.0, r"\leq": 2.0, r"\geq": 2.0, r"\in": 2.0, r"\sim": 2.0, r"\cdot": 1.0,
         r"\times": 2.0, r"\|": 1.0}
_OPERATOR_WORDS = {r"\sup", r"\inf", r"\log", r"\exp", r"\tanh", r"\sinh", r"\cosh", r"\max",
                   r"\min", r"\erf", r"\ln", r"\det", r"\lim", r"\sin", r"\cos", r"\arctan"}
_WITH_SPACE = set("+-=<>")  # binary operators and relations: medium or thick space around
_SKIPPED_ARGUMENT = {r"\label", r"\ref", r"\eqref"}
SCRIPT = 0.7  # a sub- or superscript's size
_MKERN = re.compile(r"\\mkern3mu ?")  # Markdown's thin space


def visible_width(latex: str) -> float:
    """The estimated width of ``latex`` (text with $…$ math, or math alone), in characters."""
    latex = _MKERN.sub(r"\\,", latex)
    pieces = re.split(r"(?<!\\)\$", latex)
    if len(pieces) == 1:  # math alone, as a display's line
        return _Measure(math=True).sequence(_TOKEN.findall(latex), 0)[0]
    return sum(_Measure(math=n % 2 == 1).sequence(_TOKEN.findall(piece), 0)[0]
               for n, piece in enumerate(pieces))


class _Measure:
    """Widths in math (spaces ignored, operators spaced) or in text (a space a third)."""

    def __init__(self, math: bool):
        self.math = math

    def sequence(self, tokens: list[str], at: int) -> tuple[float, int]:
        """Width of the tokens from ``at`` to the closing brace of their group (or the end)."""
        width, last_script = 0.0, None  # the last script's width and kind, to overlap ^ and _
        while at < len(tokens):
            token = tokens[at]
            if token == "}":
                return width, at + 1
            if token in ("^", "_"):
                script, at = self.argument(tokens, at + 1)
                script *= SCRIPT
                if last_script is not None and last_script[1] != token:  # w^{2}_{11}
                    width += max(0.0, script - last_script[0])
                    last_script = None
                else:
                    width += script
                    last_script = (script, token)
                continue
            last_script = None
            if token == r"\frac":
                top, at = self.argument(tokens, at + 1)
                bottom, at = self.argument(tokens, at)
                width += max(top, bottom) + 0.3
            elif token in _SKIPPED_ARGUMENT:
                _, at = self.argument(tokens, at + 1)
            elif token == "{":
                inner, at = self.sequence(tokens, at + 1)
                width += inner
            else:
                width += self.token(token)
                at += 1
        return width, at

    def argument(self, tokens: list[str], at: int) -> tuple[float, int]:
        """Width of one argument: a braced group or a single token."""
        if at >= len(tokens):
            return 0.0, at
        if tokens[at] == "{":
            return self.sequence(tokens, at + 1)
        return self.token(tokens[at]), at + 1

    def token(self, token: str) -> float:
        if token.isspace():
            return 0.0 if self.math else 0.35
        if token in _NOTHING or token == "&":
            return 0.0
        if token in _SPACES:
            return _SPACES[token]
        if token in _WIDE:
            return _WIDE[token]
        if token in _OPERATOR_WORDS:
            return len(token) - 1.0
        if token in _WITH_SPACE and self.math:
            return 2.0
        if len(token) == 1 and unicodedata.east_asian_width(token) in "WF":  # kanji, kana: 1 em
            return 2.0
        return 1.0
