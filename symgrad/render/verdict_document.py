"""Layout and JSON of ``symgrad verify``'s answer."""

from __future__ import annotations

import sympy

from symgrad.networks import MatrixNet, RecurrentNet
from symgrad.notation import dsigma
from symgrad.numeric.real import decimal
from symgrad.render.document import Document, Grid, Row, Section, document
from symgrad.render.json import cell_plain, json_object
from symgrad.render.number_style import decimal_number
from symgrad.render.printing import plain
from symgrad.render.prose import Code, Prose, joined, paragraph, say
from symgrad.verify import CHECK_DIGITS, Verdict, target_symbol

SIGMA = sympy.Symbol("sigma")  # σ, as math
SHOWN_DIGITS = 12  # digits of a counterexample's numbers (they are right to CHECK_DIGITS)
CLAIM, TRUE = sympy.Symbol("claim"), sympy.Symbol("true")  # the two sides, by name


@document.register
def _(verdict: Verdict) -> Document:
    chain = verdict.chain
    lhs = target_symbol(verdict.target)
    label = say("{target}", target=lhs)
    title = say("Checking a claim for {target}: {spec}", target=lhs, spec=_described(chain))
    claim = Section("The claim", "As read (no code is run on it).", [Row(lhs, (verdict.claim,))])
    if verdict.correct:
        also = say(" It also equals {others}.", others=_labels(verdict.equals)) \
            if verdict.equals else ""
        numbers = say("equal to {label} {far}", label=label, far=_how_far(verdict))
        difference = CLAIM - TRUE
        words = (say("Correct: {difference} simplifies to 0, and the two are {numbers}.",
                     difference=difference, numbers=numbers) if verdict.symbolic == "zero" else
                 say("Correct: the two are {numbers}, so exactly equal there.", numbers=numbers)
                 if verdict.arithmetic == "rational" else
                 say("Correct as far as numbers show: {numbers}; SymPy did not reduce "
                     "{difference} to 0, and two different formulas agree at random points "
                     "only by accident.", numbers=numbers, difference=difference))
        answer = Section("Verdict", (_convention(verdict) or words) + also)
        return Document(title, [claim, answer, _truth(verdict, lhs)], _length(chain))
    words = ["Incorrect."]
    verdict_rows = []  # the ratio or the difference, typeset as the formulas are
    if verdict.ratio is not None:
        words.append("The claim divided by the true value is written below.")
        verdict_rows.append(Row(CLAIM / TRUE, (verdict.ratio,)))
    elif verdict.difference is not None:
        words.append("The claim minus the true value is written below.")
        verdict_rows.append(Row(CLAIM - TRUE, (verdict.difference,)))
    if verdict.equals:
        words.append(say("The claim is {others} instead.", others=_labels(verdict.equals)))
    example = verdict.counterexample
    if verdict.symbolic == "nonzero":
        words.append(say("SymPy shows {difference} is not identically 0.",
                         difference=CLAIM - TRUE))
    if example is None:
        reached = verdict.working_digits or CHECK_DIGITS
        words.append(f"The difference is too small for the {reached} working digits the "
                     "numbers reached, so no point shows it.")
        return Document(title, [claim, Section("Verdict", joined(words), verdict_rows),
                                _truth(verdict, lhs)], _length(chain))
    if example.claimed is None and example.on_kinks:
        z, place, _ = example.on_kinks[0]
        words.append(say("As written, the claim is undefined at the point below, where {at} "
                         "is a corner of {act}: any value between the one-sided slopes would "
                         "do there as a convention, but no value is not one.",
                         at=sympy.Eq(z, place, evaluate=False), act=Code(chain.activation.name)))
    elif example.claimed is None:
        words.append("As written, the claim is undefined at the point below (a denominator "
                     "is 0 there, or sqrt or log is taken outside where it is defined), "
                     "where the true value is a number.")
    if example.convention is not None:
        here, elsewhere, _ = example.convention
        z, place, _ = example.on_kinks[0]
        words.append(say(
            "At the point below, {at} is a corner of {act}, where any one value of {slope} "
            "between the one-sided slopes is a convention, but it must be one value, the "
            "same at every point: the claim is {label} with {here} there and with "
            "{elsewhere} at the other point shown, on the same corner.",
            at=sympy.Eq(z, place, evaluate=False),
            act=Code(chain.activation.name), slope=dsigma(place), label=label,
            here="no single value of it" if here is None else
            sympy.Eq(dsigma(place), _shown(here), evaluate=False),
            elsewhere=sympy.Eq(dsigma(place), _shown(elsewhere), evaluate=False)))
    rows = [(name, decimal(value, SHOWN_DIGITS)) for name, value in example.point.items()]
    rows += [("claim", "undefined" if example.claimed is None else
              decimal(example.claimed, SHOWN_DIGITS)),
             ("true", decimal(example.true, SHOWN_DIGITS))]
    if example.ratio is not None:
        rows.append(("claim / true", decimal(example.ratio, SHOWN_DIGITS)))
    if example.claimed is not None:
        rows.append(("claim − true", decimal(example.difference, SHOWN_DIGITS)))
    where = ("exactly, in rational arithmetic" if verdict.arithmetic == "rational" else
             f"at {verdict.working_digits} digits")
    of = "the unrolled cell" if isinstance(chain, RecurrentNet) else "the chain"
    counter = Section("A counterexample", f"A point of {of}, the values computed {where}; "
                                          f"checked: {_how_far(verdict)}.")
    counter.grid = Grid(("at", "value"), tuple(rows))
    sections = [claim, Section("Verdict", joined(words), verdict_rows), counter]
    if example.convention is not None:
        other = Section("The other point", "The same corner, where the claim takes the other "
                                           "value.")
        other.grid = Grid(("at", "value"), tuple((name, decimal(value, SHOWN_DIGITS)) for
                                                 name, value in example.convention[2].items()))
        sections.append(other)
    sections.append(_truth(verdict, lhs))
    return Document(title, sections, _length(chain))


def _length(spec) -> sympy.Integer:
    """How the last layer (or step) prints: the depth, or a cell's steps."""
    return sympy.Integer(spec.steps if isinstance(spec, RecurrentNet) else spec.depth)


def _convention(verdict: Verdict) -> Prose | None:
    """A claim correct wherever σ has a derivative, in words: where it takes another value."""
    if verdict.conventions:
        return _recognised_conventions(verdict)
    example = verdict.on_kinks
    if example is None:
        return None
    z, place, slope = example.on_kinks[0]
    count = verdict.differing_on_kinks
    return say("Correct wherever {sigma} has a derivative: the two are equal to {label} {far}, "
               "except at {count} of them on a kink of {act}, where {sigma} has none. There symgrad "
               "takes the slope of the piece that holds ({slope} at {at}) and the claim "
               "another value (claim {claimed}, symgrad {true}). Any value between the two "
               "one-sided slopes is a subgradient: this is a convention, not an error.",
               label=target_symbol(verdict.target), far=_how_far(verdict), count=str(count),
               sigma=SIGMA,
               act=Code(verdict.chain.activation.name), at=sympy.Eq(z, place, evaluate=False),
               slope=sympy.Eq(dsigma(place), slope, evaluate=False),
               claimed="undefined" if example.claimed is None else
               decimal_number(decimal(example.claimed, SHOWN_DIGITS)),
               true=decimal_number(decimal(example.true, SHOWN_DIGITS)))


def _shown(value) -> sympy.Expr:
    """A value of σ' the claim implies, as math: an integer as one (1, not 1.0)."""
    text = decimal(value, SHOWN_DIGITS)
    whole = text[:-2] if text.endswith(".0") else text
    return sympy.Integer(whole) if whole.lstrip("-").isdigit() else sympy.Symbol(text)


def _recognised_conventions(verdict: Verdict) -> Prose:
    """Proved with σ' recognised in the claim; at corners it takes other values."""
    corners = joined([
        say("at {at} the claim takes {value} (symgrad {slope})", at=sympy.Eq(z, place,
                                                                          evaluate=False),
            value="no value" if value is None else value, slope=slope)
        for z, place, value, slope in verdict.conventions], "; ")
    return say("Correct wherever {sigma} has a derivative: read with each of its parts that is "
               "{slope} written another way as {slope}, {difference} simplifies to 0, and the "
               "two are equal to {label} {far}. Where {act} has no derivative, {corners}: any "
               "one value between the one-sided slopes is a subgradient, a convention, not an "
               "error.", sigma=SIGMA, slope=dsigma(sympy.Symbol("z")), difference=CLAIM - TRUE,
               label=target_symbol(verdict.target), far=_how_far(verdict),
               act=Code(verdict.chain.activation.name), corners=corners)


def _how_far(verdict: Verdict) -> str:
    """How far the numbers checked: points, and digits or exact rationals."""
    drawn = ("parameters, inputs, initial state and target" if isinstance(verdict.chain, RecurrentNet)
             else "inputs, weights and preactivations")
    points = f"at {verdict.points_checked} points ({drawn} drawn)"
    if verdict.arithmetic == "rational":
        return f"{points}, in exact rational arithmetic"
    return (f"{points}, to {verdict.digits} digits each (working precision up to "
            f"{verdict.working_digits} digits)")


def _described(spec) -> str:
    if isinstance(spec, RecurrentNet):
        kind = spec.cell.name if spec.activation is None else \
            f"{spec.activation.name} {spec.cell.name}"
        return f"{kind} cell, {spec.steps} step" + ("" if spec.steps == 1 else "s")
    if isinstance(spec, MatrixNet):
        return f"{spec.activation.name} net, widths {','.join(map(str, spec.widths))}"
    return f"{spec.kind} {spec.activation.name} chain, depth {spec.depth}"


SHOWN_TRUTH_NODES = 400  # a cell's truth written out in full is shown up to this size


def _truth(verdict: Verdict, lhs) -> Section:
    sides = (verdict.true,) if verdict.true_concrete == verdict.true else \
        (verdict.true, verdict.true_concrete)  # (a gated cell's functions are its own)
    if verdict.written is None:
        return Section("The correct formula", "From the chain rule (symgrad derive).",
                       [Row(lhs, sides)])
    rows = [Row(lhs, (verdict.written,))]
    shown = _tree_size(verdict.true_concrete, SHOWN_TRUTH_NODES) <= SHOWN_TRUTH_NODES
    if shown:
        rows.append(Row(lhs, (verdict.true_concrete,)))
    return Section("The correct formula", paragraph(
        say("From backpropagation through time ({command}): the gradients with respect to "
            "the states come from the recursion, from the last step down.",
            command=Code("symgrad derive --cell")),
        "Written out in the forward names:" if shown else
        "Written out in the forward names it is too long to show; JSON has it."), rows)


def _tree_size(expr: sympy.Expr, cap: int) -> int:
    """The nodes of ``expr`` as printed (a shared node once per use), counted up to past
    ``cap``."""
    count = 0
    for _ in sympy.preorder_traversal(expr):
        count += 1
        if count > cap:
            break
    return count


def _labels(names) -> Prose:
    """The targets a claim equals, each as math with its name as typed: δ_1 (delta1)."""
    return joined([say("{target} ({name})", target=target_symbol(name), name=Code(name))
                   for name in names], " and ")


@json_object.register
def _(verdict: Verdict) -> dict:
    chain, example = verdict.chain, verdict.counterexample
    # enough digits to show the difference the numbers resolved (1 + 10^-40 is not "1.0")
    digits = CHECK_DIGITS if verdict.digits is None else max(CHECK_DIGITS, verdict.digits)
    cell = chain.cell if isinstance(chain, RecurrentNet) else None
    # (a cell's parameters by their plain names, wf, as its claims write them)
    written = plain if cell is None else lambda expr: cell_plain(cell, expr)
    return {
        "command": "verify",
        "depth": None if cell is not None else chain.depth,
        "widths": list(chain.widths) if isinstance(chain, MatrixNet) else None,
        "cell": None if cell is None else cell.name,
        "steps": chain.steps if cell is not None else None,
        "activation": None if chain.activation is None else chain.activation.name,
        "cost": chain.cost,
        "residual": getattr(chain, "residual", False),
        "tied": getattr(chain, "tied", False),
        "target": verdict.target,
        "claim": written(verdict.claim),
        "correct": verdict.correct,
        "proved": verdict.proved,
        "true": written(verdict.true),
        "ratio": None if verdict.ratio is None else written(verdict.ratio),
        "difference": None if verdict.difference is None else written(verdict.difference),
        "equals": list(verdict.equals),
        "symbolic": verdict.symbolic,
        "points_checked": verdict.points_checked,
        "digits": verdict.digits,
        "working_digits": verdict.working_digits,
        "arithmetic": verdict.arithmetic,
        "differs_on_kinks": None if verdict.on_kinks is None else {
            "point": {name: decimal(value, digits) for name, value in
                      verdict.on_kinks.point.items()},
            "claim": None if verdict.on_kinks.claimed is None else
            decimal(verdict.on_kinks.claimed, digits),
            "true": decimal(verdict.on_kinks.true, digits),
            "on_kinks": [{"name": str(z), "at": plain(place), "derivative": plain(slope)}
                         for z, place, slope in verdict.on_kinks.on_kinks],
            "points": verdict.differing_on_kinks,
        },
        "conventions": [{"name": str(z), "at": plain(place),
                         "claim": None if value is None else plain(value),
                         "derivative": plain(slope)}
                        for z, place, value, slope in verdict.conventions],
        "counterexample": None if example is None else {
            "point": {name: decimal(value, digits) for name, value in example.point.items()},
            "claim": None if example.claimed is None else decimal(example.claimed, digits),
            "true": decimal(example.true, digits),
            "ratio": None if example.ratio is None else decimal(example.ratio, digits),
            "claim_minus_true": None if example.claimed is None else decimal(example.difference,
                                                                             CHECK_DIGITS),
            "on_kinks": [{"name": str(z), "at": plain(place), "derivative": plain(slope)}
                         for z, place, slope in example.on_kinks],
            "convention": None if example.convention is None else {
                "here": None if example.convention[0] is None else
                decimal(example.convention[0], digits),
                "elsewhere": decimal(example.convention[1], digits),
                "other_point": {name: decimal(value, digits)
                                for name, value in example.convention[2].items()},
            },
        },
    }
