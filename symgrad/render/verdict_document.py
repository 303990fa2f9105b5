"""Layout and JSON of ``symgrad verify``'s answer."""

from __future__ import annotations

import sympy

from symgrad.networks import MatrixNet
from symgrad.numeric.real import decimal
from symgrad.render.document import Document, Grid, Row, Section, document
from symgrad.render.json import json_object
from symgrad.render.printing import plain
from symgrad.verify import CHECK_DIGITS, POINTS, Verdict, target_label, target_symbol

SHOWN_DIGITS = 12  # digits of a counterexample's numbers (they are right to CHECK_DIGITS)


@document.register
def _(verdict: Verdict) -> Document:
    chain = verdict.chain
    label = target_label(verdict.target)
    title = f"Checking a claim for {label}: {_described(chain)}"
    lhs = target_symbol(verdict.target)
    claim = Section("The claim", "As read (no code is run on it).", [Row(lhs, (verdict.claim,))])
    if verdict.correct:
        also = f" It also equals {_labels(verdict.equals)}." if verdict.equals else ""
        numbers = (f"equal to {label} at {POINTS} random points (weights, biases and inputs "
                   f"drawn, the forward pass run), to {CHECK_DIGITS} digits each")
        words = (f"Correct: claim − true simplifies to 0, and the two are {numbers}." if
                 verdict.proved else
                 f"Correct as far as numbers show: {numbers}; SymPy did not reduce claim − true "
                 "to 0, and two different formulas agree at random points only by accident.")
        answer = Section("Verdict", words + also)
        return Document(title, [claim, answer, _truth(verdict, lhs)], sympy.Integer(chain.depth))
    words = ["Incorrect."]
    if verdict.ratio is not None:
        words.append(f"claim / true = {plain(verdict.ratio)}.")
    elif verdict.difference is not None:
        words.append(f"claim − true = {plain(verdict.difference)}.")
    if verdict.equals:
        words.append(f"The claim is {_labels(verdict.equals)} instead.")
    example = verdict.counterexample
    if example is None:
        words.append(f"The difference is too small for the {CHECK_DIGITS} digits compared.")
        return Document(title, [claim, Section("Verdict", " ".join(words)), _truth(verdict, lhs)],
                        sympy.Integer(chain.depth))
    rows = [(name, decimal(value, SHOWN_DIGITS)) for name, value in example.point.items()]
    rows += [("claim", decimal(example.claimed, SHOWN_DIGITS)),
             ("true", decimal(example.true, SHOWN_DIGITS))]
    if example.ratio is not None:
        rows.append(("claim / true", decimal(example.ratio, SHOWN_DIGITS)))
    counter = Section("A counterexample", f"A random point of the chain, the values computed "
                                          f"at {CHECK_DIGITS + 10} digits.")
    counter.grid = Grid(("at", "value"), tuple(rows))
    sections = [claim, Section("Verdict", " ".join(words)), counter, _truth(verdict, lhs)]
    return Document(title, sections, sympy.Integer(chain.depth))


def _described(spec) -> str:
    if isinstance(spec, MatrixNet):
        return f"{spec.activation.name} net, widths {','.join(map(str, spec.widths))}"
    return f"{spec.kind} {spec.activation.name} chain, depth {spec.depth}"


def _truth(verdict: Verdict, lhs) -> Section:
    return Section("The correct formula", "From the chain rule (symgrad derive).",
                   [Row(lhs, (verdict.true, verdict.true_concrete))])


def _labels(names) -> str:
    return " and ".join(f"{target_label(n)} ({n})" for n in names)


@json_object.register
def _(verdict: Verdict) -> dict:
    chain, example = verdict.chain, verdict.counterexample
    return {
        "command": "verify",
        "depth": chain.depth,
        "widths": list(chain.widths) if isinstance(chain, MatrixNet) else None,
        "activation": chain.activation.name,
        "cost": chain.cost,
        "residual": getattr(chain, "residual", False),
        "tied": getattr(chain, "tied", False),
        "target": verdict.target,
        "claim": plain(verdict.claim),
        "correct": verdict.correct,
        "proved": verdict.proved,
        "true": plain(verdict.true),
        "ratio": None if verdict.ratio is None else plain(verdict.ratio),
        "difference": None if verdict.difference is None else plain(verdict.difference),
        "equals": list(verdict.equals),
        "points_checked": POINTS,
        "digits": CHECK_DIGITS,
        "counterexample": None if example is None else {
            "point": {name: decimal(value, CHECK_DIGITS) for name, value in example.point.items()},
            "claim": decimal(example.claimed, CHECK_DIGITS),
            "true": decimal(example.true, CHECK_DIGITS),
            "ratio": None if example.ratio is None else decimal(example.ratio, CHECK_DIGITS),
        },
    }
