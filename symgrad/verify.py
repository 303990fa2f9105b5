"""``symgrad verify``: is a hand-derived gradient of a scalar chain right, and if not,
exactly how is it wrong?

The claim is read by ``symgrad.expressions`` (never ``eval``) in the chain's names
(x, y, a0..aL, z1..zL, w1..wL, b1..bL, dC_daL; sigma(z), dsigma(z)). Two routes decide,
and a verdict is only given when one of them has finished:

- SymPy, under a time budget and never on a form that would multiply out to many terms:
  claim − true and claim / true, in the names as written, with σ' written through the
  outputs, and in free coordinates (x, y, the weights and the preactivations, which a
  plain or residual chain leaves independent: a_k = σ(z_k), b_k = z_k − w_k a_{k−1}).
  Reduced to 0 is a proof of correctness; a nonzero number, a product of factors SymPy
  knows to be nonzero, or a nonzero rational function of the free coordinates is a proof
  of error.
- Numbers at random points (x, the weights, the preactivations and y drawn as exact
  decimals): in exact rationals when every value is rational (piecewise-linear
  activations), else in mpmath at two working precisions, raised until claim and true
  are either told apart (a counterexample) or agree to CHECK_DIGITS digits plus what the
  claim's own smallest relative part needs (its smallest term beside the others, a
  cancellation, a long literal, a function near its flat part): a claim off by a
  relative 10^-1000 needs 1000 more digits and gets them. Where claim or truth has kinks
  (abs, max, min, Heaviside, a piece's condition), the line of each coordinate they
  depend on is cut at every kink of both (located exactly where SymPy can: 10^-30 is not
  0), and points strictly inside every piece, and beyond the outermost kinks, are
  checked too, every one of them like a random point; so are the kinks themselves, where
  two coordinates sit on kinks at once, and every critical point of a kink in two or
  more coordinates (written through the free names), where each bounded piece its sign
  cuts out has an extremum: −(a1 − 1/2)² − (w2 − 1)² is 0 at one point only, and
  Heaviside(10^-6 − (z1 − 5)² − (w2 − 3)²) is 1 on a disk no coordinate line through a
  random point crosses. On a kink every branch is decided exactly, never by rounding (at
  an irrational place, √2 or atanh(1/2), by SymPy's exact root in the point's closed
  forms, simplified where it is written two ways: y = σ(z2) − 1/2 against a2 − 1/2); in
  exact arithmetic a point with an irrational coordinate is taken whole from its closed
  forms. Past MAX_KINK_PIECES pieces, or with a kink SymPy cannot locate, the claim is
  refused, not passed.

When neither route finishes (the digits needed exceed MAX_WORKING_DIGITS, the values are
too large to evaluate, the time runs out) the claim is refused with one sentence, never
passed. An unexpected failure inside is reported as a SymgradError, never as a verdict.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import math
import random
import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import sympy

from symgrad.activations import VARIABLE, get_activation
from symgrad.budget import OverBudget, outer_budget_spent, time_budget, within_budget
from symgrad.costs import cost_derivative_at
from symgrad.derive.chain import derive_chain
from symgrad.derive.matrix import derive_matrix
from symgrad.derive.recurrent import derive_cell, final_gradients
from symgrad.errors import SymgradError
from symgrad.expressions import FUNCTIONS, parse
from symgrad.layers.step import parameter_symbol, sigmoid
from symgrad.networks import MatrixNet, RecurrentNet, ScalarChain, check_steps
from symgrad.notation import (
    dC_daL,
    delta,
    delta_unit,
    dsigma,
    entry,
    grad_a,
    grad_a_entry,
    grad_b,
    grad_b_entry,
    grad_of,
    grad_w,
    grad_w_entry,
    layer_symbol,
    sigma,
    step_symbol,
    tied_symbol,
    x,
    y,
)
from symgrad.notation import (
    target as output_target,
)

MAX_VERIFY_DEPTH = 50
MAX_VERIFY_STEPS = 12  # a recurrent cell's steps: its truth nests one step's backward per step
POINTS = 16  # random points a claim must match at: half anywhere, half with every unit active
CHECK_DIGITS = 30  # claim and true must agree to this many digits, plus what the claim needs
FIRST_DIGITS = CHECK_DIGITS + 10  # the first working precision
MAX_WORKING_DIGITS = 3_000  # beyond this a claim the numbers cannot settle is refused
MAX_ARGUMENT_BITS = 12_000  # exp, tanh, ... of a number beyond 2^this is not evaluated
MAX_EXACT_BITS = 200_000  # an exact rational larger than this moves the check to mpmath
MAX_KINK_PIECES = 200  # pieces of coordinate lines cut by kinks that get points (else refused)
MAX_KINK_DEGREE = 12  # a kink's polynomial equation of higher degree is not solved
KINK_SECONDS = 3.0  # locating the kinks of claim and truth
TOTAL_SECONDS = 25.0  # one verify, everything included
SYMBOLIC_SECONDS = 8.0  # all of SymPy's steps together
SYMBOLIC_STEP_SECONDS = 3.0  # one SymPy step
NUMERIC_SECONDS = 12.0  # the numbers, at every precision
SIMPLE = 16  # a ratio or difference with at most this many operations is shown
MAX_EXPANDED_TERMS = 1_000  # a form that would expand to more terms is not cancelled
_LOG10_2 = math.log10(2)
# delta3, grad_w2 (a net's grad_w2_1_3), a layer kind's own grad_p2, and input_gradient
_TARGET = re.compile(r"(delta|grad_[a-z])(\d+)(?:_(\d+))?(?:_(\d+))?|input_gradient(?:_(\d+))?")
# a recurrent cell's shared parameter by its plain name: grad_wf (its h0, c0 read as above)
_PARAMETER_TARGET = re.compile(r"grad_([a-z]+)")


@dataclass(frozen=True)
class Counterexample:
    point: dict[str, mpmath.mpf]  # x, y, w1.., b1.., z1..
    claimed: mpmath.mpf | None  # None: the claim is undefined there
    true: mpmath.mpf
    digits: int = FIRST_DIGITS  # the precision the values were computed at
    # preactivations exactly on a kink of σ there: (z, the kink, the σ' symgrad takes)
    on_kinks: tuple[tuple[sympy.Symbol, sympy.Expr, sympy.Expr], ...] = ()
    # on corners of σ, a claim that takes one value of σ' there at one point and another
    # elsewhere: (the value here, or None where no single value gives the claim; the value
    # at the other point; that point)
    convention: tuple[mpmath.mpf | None, mpmath.mpf, dict[str, mpmath.mpf]] | None = None

    @property
    def ratio(self) -> mpmath.mpf | None:
        if self.claimed is None or not self.true:
            return None
        with mpmath.workdps(self.digits):
            return self.claimed / self.true

    @property
    def difference(self) -> mpmath.mpf | None:
        """claim − true, at the values' precision."""
        if self.claimed is None:
            return None
        with mpmath.workdps(self.digits):
            return self.claimed - self.true


@dataclass(frozen=True)
class Verdict:
    chain: ScalarChain | MatrixNet
    target: str
    claim: sympy.Expr
    true: sympy.Expr  # the derivation's formula, in σ', the weights and ∂C/∂a_L
    true_concrete: sympy.Expr  # the same with the activation and cost written in
    correct: bool
    ratio: sympy.Expr | None  # claim/true when it simplifies to something short
    difference: sympy.Expr | None  # claim - true, when no short ratio exists but this is short
    equals: tuple[str, ...]  # the other quantities of the chain the claim equals
    counterexample: Counterexample | None  # None when the digits cannot show the error
    proved: bool = False  # certain: a counterexample, exact rationals, or SymPy's proof
    digits: int | None = CHECK_DIGITS  # digits claim and true were compared to (None: exact)
    points_checked: int = POINTS  # points the numbers compared (random and at kinks)
    working_digits: int | None = FIRST_DIGITS  # the highest precision used (None: exact)
    arithmetic: str = "mpmath"  # "rational" (exact) or "mpmath"
    symbolic: str | None = None  # "zero" or "nonzero" when SymPy decided, else None
    # correct, yet another value than symgrad's where a z is on a kink of σ at which σ has
    # no derivative (its σ' there is a convention: relu'(0) = 0, Heaviside(0) = 1/2)
    on_kinks: Counterexample | None = None
    differing_on_kinks: int = 0  # how many of the points checked are such points
    # correct, proved with σ' recognised in the claim (Heaviside(z1) for relu), which takes
    # another value than symgrad's at a corner: (z, the corner, the claim's value there or
    # None where undefined, symgrad's)
    conventions: tuple[tuple[sympy.Symbol, sympy.Expr, sympy.Expr | None, sympy.Expr], ...] = ()
    # the truth as the derivation writes it, where that is not ``true`` (a cell's ∂C/∂θ
    # through ∂C/∂h_t and ∂C/∂c_t)
    written: sympy.Expr | None = None


_LABELS = {"delta": "δ", "grad_w": "∂C/∂w", "grad_b": "∂C/∂b"}
_SYMBOLS = {"delta": (delta, delta_unit), "grad_w": (grad_w, grad_w_entry),
            "grad_b": (grad_b, grad_b_entry)}


def target_label(target: str) -> str:
    """How a target reads: delta3 -> δ_3, delta2_1 -> δ^2_1, grad_w2_1_3 -> ∂C/∂w^2_13,
    input_gradient -> ∂C/∂a_0, input_gradient_2 -> ∂C/∂a^0_2; a cell's grad_wf -> ∂C/∂w_f,
    grad_h0 -> ∂C/∂h_0."""
    parameter = _PARAMETER_TARGET.fullmatch(target)
    if parameter is not None:
        return f"∂C/∂{parameter_symbol(parameter.group(1)).name}"
    kind, layer, *units, unit = _TARGET.fullmatch(target).groups()
    if kind is None:
        return "∂C/∂a_0" if unit is None else f"∂C/∂a^0_{unit}"
    units = [u for u in units if u]
    label = _LABELS.get(kind) or f"∂C/∂{kind[-1]}"
    return f"{label}_{layer}" if not units else f"{label}^{layer}_{''.join(units)}"


def target_symbol(target: str) -> sympy.Expr:
    """The target as the notation's symbol, for the left of an equation."""
    parameter = _PARAMETER_TARGET.fullmatch(target)
    if parameter is not None:  # a cell's shared parameter: ∂C/∂w_f
        return grad_of(parameter_symbol(parameter.group(1)))
    kind, layer, *units, unit = _TARGET.fullmatch(target).groups()
    if kind is None:
        return grad_a(0) if unit is None else grad_a_entry(0, int(unit))
    indices = [int(layer), *(int(u) for u in units if u)]
    if kind not in _SYMBOLS:  # a layer kind's own parameter: ∂C/∂p_2
        return grad_of(layer_symbol(kind[-1], indices[0]))
    scalar, entry_function = _SYMBOLS[kind]
    return scalar(indices[0]) if len(indices) == 1 else entry_function(*indices)


@dataclass(frozen=True)
class _Subject:
    """What a claim is checked against: the quantities it may target, the names it may
    use, and how to write σ, σ' and the cost's derivative in."""

    quantities: dict[str, sympy.Expr]
    names: dict[str, sympy.Expr]
    concrete: Callable[[sympy.Expr], sympy.Expr]  # the derivation's (for its own formulas)
    targets_hint: str
    outputs: dict[sympy.Symbol, sympy.Symbol]  # z -> a where a = σ(z) (not residual)
    output_gradient: dict[sympy.Symbol, sympy.Expr]  # ∂C/∂a_L through the cost
    # a target as the derivation writes it, where that is not the form checked (a cell's
    # gradient through ∂C/∂h_t and ∂C/∂c_t, not every step substituted in)
    written: dict[str, sympy.Expr] = field(default_factory=dict)


def _chain_subject(chain: ScalarChain) -> _Subject:
    derivation = derive_chain(chain, layers=range(1, chain.depth + 1))
    found = {}
    for gradient in derivation.layers:
        n = gradient.layer
        found[f"delta{n}"] = gradient.delta.doit()
        found[f"grad_w{n}"] = gradient.grad_w.doit()
        found[f"grad_b{n}"] = gradient.grad_b.doit()
        for symbol, own in gradient.own:  # a highway's ∂C/∂p_l, ∂C/∂q_l
            found[f"grad_{symbol.args[0]}"] = own.doit()  # (grad_p1: the layer's own p1)
    found["input_gradient"] = derivation.input_gradient.doit()
    names = {"x": x, "y": y, "dC_daL": dC_daL, "a0": layer_symbol("a", 0)}
    layer = chain.layer
    for n in range(1, chain.depth + 1):
        for kind in ("z", "a", *layer.gate_names) + (() if chain.tied else layer.parameter_names()):
            names[f"{kind}{n}"] = layer_symbol(kind, n)
    if chain.tied:
        names.update(w=tied_symbol("w"), b=tied_symbol("b"))
    *most, last = [f"grad_{name}<l>" for name in ("w", "b", *layer.parameters)]
    hint = f"delta<l>, {', '.join(most)} or {last} with l from 1 to {chain.depth}, or input_gradient"
    outputs = {} if not chain.layer.output_is_activation else {
        layer_symbol("z", n): layer_symbol("a", n) for n in range(1, chain.depth + 1)}
    gradient = {dC_daL: cost_derivative_at(chain.cost, layer_symbol("a", chain.depth))}
    return _Subject(found, names, derivation.concrete, hint, outputs, gradient)


def _net_subject(net: MatrixNet) -> _Subject:
    derivation = derive_matrix(net)
    widths, found = net.widths, {}
    for layer in range(1, net.depth + 1):
        for j in range(1, widths[layer] + 1):
            found[f"delta{layer}_{j}"] = derivation.delta_value(layer, j)
            found[f"grad_b{layer}_{j}"] = derivation.grad_b_value(layer, j)
            for k in range(1, widths[layer - 1] + 1):
                found[f"grad_w{layer}_{j}_{k}"] = derivation.grad_w_value(layer, j, k)
    for k in range(1, widths[0] + 1):
        found[f"input_gradient_{k}"] = sum(entry("w", 1, j, k) * derivation.delta_value(1, j)
                                           for j in range(1, widths[1] + 1))
    names = {f"y_{j}": output_target(j) for j in range(1, widths[-1] + 1)}
    for layer in range(net.depth + 1):
        for j in range(1, widths[layer] + 1):
            names[f"a_{layer}_{j}"] = entry("a", layer, j)
            if layer:
                names[f"z_{layer}_{j}"] = entry("z", layer, j)
                names[f"b_{layer}_{j}"] = entry("b", layer, j)
                for k in range(1, widths[layer - 1] + 1):
                    names[f"w_{layer}_{j}_{k}"] = entry("w", layer, j, k)
    hint = ("delta<l>_<j>, grad_w<l>_<j>_<k>, grad_b<l>_<j> or input_gradient_<k> for "
            f"widths {','.join(map(str, widths))}")
    outputs = {entry("z", layer, j): entry("a", layer, j) for layer in range(1, net.depth + 1)
               for j in range(1, widths[layer] + 1)}
    return _Subject(found, names, derivation.concrete, hint, outputs, {})


def _cell_subject(net: RecurrentNet) -> _Subject:
    """A recurrent cell over T steps: each parameter's ∂C/∂θ and ∂C/∂s_0 written wholly in
    the forward names, ∂C/∂s_t put in from ∂C/∂h_T = h_T − y, ∂C/∂c_T = 0 down through
    each step's backward equations (as built: each step's gradients are one shared node
    of every formula above them, never multiplied out)."""
    derivation = derive_cell(net)
    kind = net.cell
    down = {e.lhs: e.rhs for e in final_gradients(net)}
    for step in reversed(derivation.steps):
        for equation in step.backward:
            down[equation.lhs] = equation.rhs.xreplace(down)
    found = {f"grad_{name}": expr.xreplace(down) for name, expr in derivation.gradients}
    for state in kind.state:
        found[f"grad_{state}0"] = down[grad_of(step_symbol(state, 0))]
    names = {name: parameter_symbol(name) for name in kind.parameters}
    names.update({f"{state}0": step_symbol(state, 0) for state in kind.state})
    names["y"] = y
    for t in range(1, net.steps + 1):
        names[f"x{t}"] = step_symbol("x", t)
        names.update({str(symbol): symbol for symbol, _ in kind.quantities(t)})
    outputs = {} if not kind.uses_activation else {
        step_symbol("z", t): step_symbol("h", t) for t in range(1, net.steps + 1)}
    written = {f"grad_{name}": expr for name, expr in derivation.gradients}
    written.update({f"grad_{e.lhs.args[0].name}": e.rhs for e in derivation.steps[0].backward})
    return _Subject(found, names, derivation.concrete, cell_targets(net), outputs, {}, written)


def cell_targets(net: RecurrentNet) -> str:
    """The targets of a cell's claims, in words: grad_u, grad_w, grad_b or grad_h0 for the
    rnn cell."""
    kind = net.cell
    *most, last = [*(f"grad_{name}" for name in kind.parameters),
                   *(f"grad_{state}0" for state in kind.state)]
    return f"{', '.join(most)} or {last} for the {kind.name} cell"


def _subject(spec) -> _Subject:
    if isinstance(spec, ScalarChain):
        return _chain_subject(spec)
    if isinstance(spec, RecurrentNet):
        return _cell_subject(spec)
    return _net_subject(spec)


def verify_steps(steps: object) -> int:
    """A recurrent cell's steps for verify: 1 to MAX_VERIFY_STEPS."""
    steps = check_steps(steps)
    if steps > MAX_VERIFY_STEPS:
        raise SymgradError(f"verify unrolls a cell over 1 to {MAX_VERIFY_STEPS} steps, not "
                           f"{steps} (eval takes more).")
    return steps


def _activation(spec):
    """The σ of the spec's names: a chain's, a net's, the rnn's. A gated cell's claims
    cannot write sigma or dsigma (its gates are sigmoid and tanh, by name), so the identity
    stands in where the machinery asks for one: no corners, no kinks, never applied."""
    return spec.activation if spec.activation is not None else _NO_ACTIVATION


_NO_ACTIVATION = get_activation("linear")


def verify(spec: ScalarChain | MatrixNet | RecurrentNet, target: str, claim_text: str,
           seed: int = 0) -> Verdict:
    """Whether ``claim_text`` is the chain's (or small net's) ``target``, and if not, how.

    Raises SymgradError for bad input, for a claim neither SymPy nor the numbers can
    decide within the budgets, and for any unexpected failure inside (never a verdict)."""
    try:
        with time_budget(TOTAL_SECONDS):
            return _verify(spec, target, claim_text, seed)
    except SymgradError:
        raise
    except OverBudget:
        raise SymgradError(f"The claim could not be decided within {TOTAL_SECONDS:g} seconds; "
                           "no verdict is given.") from None
    except RecursionError:
        raise SymgradError("The claim is nested too deeply to check.") from None
    except MemoryError:
        raise SymgradError("Checking the claim ran out of memory; no verdict is given.") from None
    except Exception as error:  # a bug must never look like a verdict
        raise SymgradError(f"verify stopped on an internal error ({type(error).__name__}: "
                           f"{str(error)[:200]}); no verdict is given.") from error


def _verify(spec, target: str, claim_text: str, seed: int) -> Verdict:
    if isinstance(spec, ScalarChain) and not 1 <= spec.depth <= MAX_VERIFY_DEPTH:
        raise SymgradError(f"verify takes depths 1 to {MAX_VERIFY_DEPTH}, not {spec.depth}.")
    if isinstance(spec, RecurrentNet):
        verify_steps(spec.steps)
    subject = _subject(spec)
    if target not in subject.quantities:
        raise SymgradError(f"Unknown target '{target}'; use {subject.targets_hint}.")
    needs: list[tuple[str, sympy.Expr]] = []  # where the claim as written is defined
    # (a gated cell's gates are written by name or through sigmoid(u); it has no σ)
    functions = frozenset(FUNCTIONS) - (frozenset() if spec.activation is not None
                                        else {"sigma", "dsigma"})
    claim = parse(claim_text, subject.names, functions, what="claim", needs=needs)
    claim = _settled(claim)
    true = subject.quantities[target]
    forms = _Forms(spec, subject)
    needs[:] = [need for need in needs if not _always(need, forms)]
    found = _Symbolic()
    try:
        with time_budget(SYMBOLIC_SECONDS):
            _symbolic(claim, true, forms, found)
    except OverBudget:
        pass  # what was found so far stands
    recognised = None
    if found.status != "zero" and spec.activation is not None:
        try:
            with time_budget(SYMBOLIC_SECONDS):
                recognised = _recognised(claim, forms, subject.outputs)
                if recognised is not None:
                    # (a net's truth holds σ' written out, relu's as a Piecewise: read too)
                    truth = _recognised(true, forms, subject.outputs)
                    again = _Symbolic()
                    _symbolic(recognised.claim, true if truth is None else truth.claim, forms,
                              again, abstract=True)
                    if again.status == "zero":
                        found = again
                    else:
                        recognised = None
        except OverBudget:
            recognised = None
    conventions = () if recognised is None else recognised.conventions
    seed = _claim_seed(seed, target, claim_text)
    points = _points(spec, true, seed)
    kinks = _Kinks() if found.status == "zero" and not needs else \
        _kink_points(forms, claim, true, points, random.Random(seed + 1), needs)
    slopes = _slopes_in(true, subject, _activation(spec))
    numbers = _numbers(spec, claim, true, points, kinks, needs, slopes,
                       rounds=1 if found.status == "zero" and not needs else None,
                       reachable_only=found.status == "nonzero")
    concrete = subject.concrete(true)
    decided = numbers.agreed or numbers.differing is not None
    checked = dict(digits=numbers.digits if decided else numbers.agreed_digits,
                   points_checked=numbers.points_checked,
                   working_digits=numbers.working_digits, arithmetic=numbers.arithmetic,
                   symbolic=found.status, written=subject.written.get(target))
    label = target_label(target)
    if numbers.differing is not None:
        if found.status == "zero" and numbers.differing.claimed is None:
            # (as written the claim is undefined there: SymPy's cancellation forgot it)
            return Verdict(spec, target, claim, true, concrete, False, None, None, (),
                           numbers.differing, proved=True, **checked)
        if found.status == "zero":
            raise SymgradError(f"SymPy reduces claim − true to 0 but the numbers tell the claim "
                               f"from {label} apart; no verdict is given.")
        ratio, difference = _explained(found)
        return Verdict(spec, target, claim, true, concrete, False, ratio, difference,
                       _equals(subject, target, numbers, correct=False), numbers.differing,
                       proved=True,
                       **checked)
    if found.status == "nonzero":
        ratio, difference = _explained(found)
        return Verdict(spec, target, claim, true, concrete, False, ratio, difference, (), None,
                       proved=True, **checked)
    gap = _incomplete(kinks, numbers) if numbers.agreed and (found.status != "zero" or needs) \
        else None
    if gap is not None:
        raise SymgradError(f"The claim cannot be decided: it agrees with {label} at "
                           f"{numbers.points_checked} points, but {gap}, and SymPy did not "
                           "reduce claim − true to 0.")
    if (found.status == "zero" and not needs) or numbers.agreed:
        return Verdict(spec, target, claim, true, concrete, True, None, None,
                       _equals(subject, target, numbers), None,
                       proved=found.status == "zero" or numbers.arithmetic == "rational",
                       conventions=conventions, on_kinks=numbers.on_kinks,
                       differing_on_kinks=numbers.differing_on_kinks, **checked)
    raise SymgradError(_undecided(label, numbers))


_INFINITY = float("inf")


def _settled(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with each kink that never switches written as the branch it always takes:
    max(1, Heaviside(u)) is 1 whatever u is (Heaviside lies in [0, 1]), Heaviside(1 +
    z1²) is 1, abs(exp(z1)) is exp(z1). Decided by bounds on the arguments (``_bounds``),
    so only where they show it for every value of every name."""
    memo: dict = {}

    def settle(node):
        if node in memo:
            return memo[node]
        if not node.args or not isinstance(node, sympy.Expr):
            found = node
        else:
            args = [settle(argument) for argument in node.args]
            found = node.func(*args) if any(a is not b for a, b in zip(args, node.args)) \
                else node
            found = _always_branch(found)
        memo[node] = found
        return found

    return settle(expr)


def _always_branch(node: sympy.Expr) -> sympy.Expr:
    """The branch a kink node always takes, by its arguments' bounds, or the node; a kink
    of constants decided exactly (Heaviside(atan(1/2) + atan(1/3) − π/4) is 1/2)."""
    if isinstance(node, (sympy.Heaviside, sympy.sign, sympy.Abs)) and node.args[0].is_number:
        side = _constant_sign(node.args[0])
        if isinstance(node, sympy.Heaviside):
            return (node.args[1] if len(node.args) > 1 else sympy.S.Half) if side == 0 else \
                sympy.Integer(int(side > 0))
        return sympy.Integer(side) if isinstance(node, sympy.sign) else side * node.args[0]
    if isinstance(node, (sympy.Max, sympy.Min)) and all(a.is_number for a in node.args):
        best = node.args[0]
        for other in node.args[1:]:
            side = _constant_sign(other - best)
            if (side > 0) if isinstance(node, sympy.Max) else (side < 0):
                best = other
        return best
    if isinstance(node, (sympy.Max, sympy.Min)):
        bounds = [_bounds(argument) for argument in node.args]
        for argument, (low, high) in zip(node.args, bounds):
            others = [b for a, b in zip(node.args, bounds) if a is not argument]
            if isinstance(node, sympy.Max) and all(low >= other[1] for other in others):
                return argument
            if isinstance(node, sympy.Min) and all(high <= other[0] for other in others):
                return argument
    elif isinstance(node, (sympy.Heaviside, sympy.sign, sympy.Abs)):
        low, high = _bounds(node.args[0])
        if low > 0:
            return sympy.S.One if not isinstance(node, sympy.Abs) else node.args[0]
        if high < 0:
            return {sympy.Heaviside: sympy.S.Zero, sympy.sign: -sympy.S.One,
                    sympy.Abs: -node.args[0]}[node.func]
    return node


CONSTANT_DIGITS = 1_000  # a constant not told from 0 at this many digits is refused


def _constant_sign(value: sympy.Expr) -> int:
    """The sign of a constant in a kink of the claim; SymgradError when it cannot be
    decided (``_sign_of``)."""
    side = _sign_of(value)
    if side is None:
        shown = sympy.sstr(value)
        raise SymgradError(f"The claim holds the constant {shown[:80]} in an abs, max, min, "
                           f"Heaviside or sign, and SymPy can neither show it is 0 nor tell it "
                           f"from 0 to {CONSTANT_DIGITS:,} digits.")
    return side


def _sign_of(value: sympy.Expr) -> int | None:
    """The sign of a constant, exactly: SymPy's proof, or its value certified (evalf's
    strict mode) to more digits than its rounding; None when neither decides — a constant
    SymPy cannot show is 0, and is 0 to CONSTANT_DIGITS digits, is not guessed."""
    if value.is_Rational:
        return (value.p > 0) - (value.p < 0)
    if value.is_zero:
        return 0
    if value.is_extended_positive:
        return 1
    if value.is_extended_negative:
        return -1
    digits = 50
    while digits <= CONSTANT_DIGITS:
        try:
            number = value.evalf(digits, strict=True)
            if number.is_real and number != 0:
                return 1 if number > 0 else -1
        except (sympy.core.evalf.PrecisionExhausted, ValueError, TypeError):
            pass
        digits *= 4
    return None


def _bounds(expr: sympy.Expr) -> tuple:
    """Bounds (low, high) every value of ``expr`` lies within, for all real values of its
    names: exact for numbers (Fractions), ±inf where nothing is known."""
    if expr.is_Rational:
        value = Fraction(int(expr.p), int(expr.q))
        return value, value
    if isinstance(expr, sympy.Heaviside):
        return Fraction(0), Fraction(1)
    if isinstance(expr, sympy.sign):
        return Fraction(-1), Fraction(1)
    if isinstance(expr, (sympy.tanh, sympy.erf)):
        return Fraction(-1), Fraction(1)
    if isinstance(expr, (sympy.Abs, sympy.exp)):
        low = _bounds(expr.args[0])[0] if isinstance(expr, sympy.Abs) else None
        return (max(Fraction(0), low) if low is not None else Fraction(0)), _INFINITY
    if isinstance(expr, sympy.Add):
        low = high = Fraction(0)
        for term in expr.args:
            term_low, term_high = _bounds(term)
            low, high = _plus(low, term_low), _plus(high, term_high)
        return low, high
    if isinstance(expr, sympy.Mul):
        low = high = Fraction(1)
        for factor in expr.args:
            factor_low, factor_high = _bounds(factor)
            ends = [_times(a, b) for a in (low, high) for b in (factor_low, factor_high)]
            low, high = min(ends), max(ends)
        return low, high
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and expr.exp > 0 and expr.exp % 2 == 0:
        return Fraction(0), _INFINITY
    return -_INFINITY, _INFINITY


def _plus(a, b):
    """a + b of two bounds of one side (never −∞ + ∞), a Fraction past 10^308 included."""
    return a if isinstance(a, float) else b if isinstance(b, float) else a + b


def _times(a, b):
    """a·b of two bounds, with 0·∞ = 0 (a bound of 0 is reached, an infinite one is not)."""
    if a == 0 or b == 0:
        return 0
    if isinstance(a, float) or isinstance(b, float):  # (±∞: the only floats here)
        return _INFINITY if (a > 0) == (b > 0) else -_INFINITY
    return a * b


def _always(need: tuple[str, sympy.Expr], forms: _Forms) -> bool:
    """Whether SymPy shows a need of the claim as written holds at every point (exp(−b1 −
    w1 x) + 1 ≠ 0), in the names or written through the free coordinates."""
    relation, u = need
    ask = {"!=": lambda e: e.is_zero is False, ">": lambda e: e.is_positive is True,
           ">=": lambda e: e.is_nonnegative is True}[relation]
    for form in (forms.identity, forms.free if forms.free_names is not None else None):
        written = None if form is None else _step(form, u)
        if written is not None and _step(ask, written):
            return True
    return False


def _incomplete(kinks: _Kinks, numbers: _Numbers) -> str | None:
    """Why points that all agree do not prove the claim (what they leave unchecked), or
    None when they do."""
    if kinks.entangled:
        kink, coordinates = kinks.entangled
        return (f"{_where(kink)} depends on {_listed(coordinates)} together, so the pieces it "
                "cuts are not a grid the points can cover (verify decides claims whose abs, "
                "max, min, Heaviside, sign, conditions and domains each depend on one "
                "coordinate, through the names: a1 = σ(z1) on z1 alone)")
    if numbers.undecided:
        return (f"at {_count(numbers.undecided, 'point')} on its kinks a branch (which side "
                "of an abs, max, min, Heaviside or condition holds) could not be decided "
                "exactly")
    if kinks.grid_too_large:
        return (f"its kinks and the truth's cut the coordinates into a grid of "
                f"{kinks.cells:,} cells, more than the {MAX_GRID_POINTS:,} points checked there")
    if kinks.too_many:
        return (f"its kinks and the truth's cut the lines through them into more than "
                f"{MAX_KINK_PIECES} pieces, more than the points cover")
    if kinks.unsolved:
        return (f"SymPy could not locate {_count(kinks.unsolved, 'kink')} of the claim or the "
                "truth (where an abs, max, min, Heaviside or a piece's condition switches), so "
                "the pieces between them are not all checked")
    return None


def _where(kink: sympy.Expr) -> str:
    shown = sympy.sstr(kink)
    return f"its kink (or domain edge) where {shown if len(shown) <= 80 else shown[:77] + '...'} " \
           "is 0"


def _listed(names) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def _claim_seed(seed: int, target: str, claim_text: str) -> int:
    """The random points' seed: the given one with the claim and target hashed in, so
    that no claim can be written to vanish at the points that check it."""
    digest = hashlib.sha256(f"{seed}\0{target}\0{claim_text}".encode("utf-8", "replace"))
    return int.from_bytes(digest.digest()[:8], "big")


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" + ("" if number == 1 else "s")


def _undecided(label: str, numbers: _Numbers) -> str:
    """The one sentence of a refusal."""
    if numbers.too_large:
        return (f"The claim cannot be decided: its values at the check points are too large to "
                f"evaluate (a function of a number beyond 2^{MAX_ARGUMENT_BITS}), and SymPy did "
                f"not reduce claim − true to 0 or show it nonzero.")
    reached = (f"it agrees with {label} to {numbers.agreed_digits} digits at "
               f"{numbers.points_checked} points" if numbers.agreed_digits else
               "its values could not be told apart from the truth")
    if numbers.out_of_time:
        limit = f"within {NUMERIC_SECONDS:g} seconds of numbers"
    else:
        limit = f"within {MAX_WORKING_DIGITS} working digits"
    needed = (f"the {numbers.needed} digits" if numbers.needed <= MAX_WORKING_DIGITS else
              f"the more than {MAX_WORKING_DIGITS} digits")
    return (f"The claim cannot be decided: {reached}, but not to {needed} its smallest "
            f"relative part needs {limit}, and SymPy did not reduce claim − true to 0.")


# ---------------------------------------------------------------------------------------
# SymPy's route


class _Forms:
    """The claim and the truth in three forms: the names as written; σ' written through the
    outputs (σ'(z_k) = a_k(1 − a_k) for the sigmoid) and ∂C/∂a_L through the cost; and in
    free coordinates (plain and residual chains and nets: every name a function of x, y,
    the weights and the preactivations, which are independent)."""

    def __init__(self, spec, subject: _Subject):
        self.spec, self.activation = spec, _activation(spec)
        self.outputs = subject.outputs
        self.output_gradient = subject.output_gradient
        self.free_names = _free_names(spec)
        # a chain's input is both x and a0
        self.input_name = {layer_symbol("a", 0): x} if isinstance(spec, ScalarChain) else {}
        self.free_symbols = None if self.free_names is None else frozenset(
            symbol for symbol in subject.names.values() if symbol not in self.free_names)

    def identity(self, expr):
        return expr

    def through_outputs(self, expr):
        activation, outputs = self.activation, self.outputs

        def derivative(u):
            if u in outputs:
                through = activation.derivative_from_output(outputs[u])
                if through is not None:
                    return through
            return activation.derivative_at(u)

        written = expr.replace(dsigma, derivative).replace(
            sigma, lambda u: outputs[u] if u in outputs else activation.at(u))
        return written.xreplace(self.output_gradient).xreplace(self.input_name)

    def free(self, expr):
        return self.free_only(expr).replace(dsigma, self.activation.derivative_at)

    def outputs_only(self, expr):
        """σ(z) written as its output a and ∂C/∂a_L through the cost; σ'(z) left unknown."""
        outputs, activation = self.outputs, self.activation
        written = expr.replace(sigma, lambda u: outputs[u] if u in outputs else activation.at(u))
        return written.xreplace(self.output_gradient).xreplace(self.input_name)

    def free_only(self, expr):
        """In the free coordinates, σ written in; σ'(z) left unknown."""
        return expr.xreplace(self.free_names).replace(sigma, self.activation.at)

    def on_lines(self, expr):
        """``expr`` as its kinks are located in: σ and σ' written in, the names left as
        they are (``line_names`` defines them). Each distinct node is visited once."""
        activation, memo = self.activation, {}

        def written(node):
            try:
                return memo[node]
            except KeyError:
                pass
            if node.func is sigma or node.func is dsigma:
                inner = written(node.args[0])
                found = activation.at(inner) if node.func is sigma else \
                    activation.derivative_at(inner)
            elif not node.args:
                found = node
            else:
                args = [written(argument) for argument in node.args]
                found = node if all(a is b for a, b in zip(args, node.args)) else node.func(*args)
            memo[node] = found
            return found

        return written(expr)

    @property
    def line_names(self) -> dict[sympy.Symbol, sympy.Expr]:
        """Every name that is not a coordinate of the points, defined through the
        coordinates (the free names), or for a tied chain through the names of the layer
        below and x, y, w and b (z_n = w a_{n−1} + b, a_n = σ(z_n)). Kept apart rather
        than written in, where SymPy would fold the pieces nested in pieces at length."""
        spec = self.spec
        if self.free_names is not None:
            return self.free_names
        if isinstance(spec, RecurrentNet):  # each step's quantities through the step before
            return {symbol: _walkable(expr, self.activation.at)
                    for t in range(1, spec.steps + 1) for symbol, expr in spec.cell.quantities(t)}
        found, previous = {layer_symbol("a", 0): x}, layer_symbol("a", 0)
        for n in range(1, spec.depth + 1):
            z, a = layer_symbol("z", n), layer_symbol("a", n)
            found[z] = tied_symbol("w") * previous + tied_symbol("b")
            found[a] = _layer_output(spec, previous, self.activation.at(z))
            previous = a
        found[dC_daL] = cost_derivative_at(spec.cost, previous)
        return found


def _free_names(spec) -> dict[sympy.Symbol, sympy.Expr] | None:
    """Every dependent name as a function of the free coordinates, or None (a tied chain
    or a recurrent cell: its preactivations are not independent)."""
    activation = spec.activation
    if isinstance(spec, RecurrentNet):
        return None
    if isinstance(spec, MatrixNet):
        found, widths = {}, spec.widths
        previous = [entry("a", 0, k) for k in range(1, widths[0] + 1)]
        for layer in range(1, spec.depth + 1):
            current = []
            for j in range(1, widths[layer] + 1):
                z = entry("z", layer, j)
                found[entry("b", layer, j)] = z - sum(
                    entry("w", layer, j, k) * previous[k - 1] for k in range(1, widths[layer - 1] + 1))
                found[entry("a", layer, j)] = activation.at(z)
                current.append(found[entry("a", layer, j)])
            previous = current
        return found
    if spec.tied:
        return None
    found = {layer_symbol("a", 0): x}
    previous = x
    for n in range(1, spec.depth + 1):
        z = layer_symbol("z", n)
        found[layer_symbol("b", n)] = z - layer_symbol("w", n) * previous
        if spec.layer.simple is None:
            found.update(_gated_layer(spec, n, previous, activation.at(z)))
        else:
            found[layer_symbol("a", n)] = _layer_output(spec, previous, activation.at(z))
        previous = found[layer_symbol("a", n)]
    found[dC_daL] = cost_derivative_at(spec.cost, previous)
    return found


@dataclass(frozen=True)
class _Recognised:
    """The claim with each part that is σ'(z) of one preactivation written another way
    (Heaviside(z1), max(0, z1)/z1, a Piecewise for relu) written as dsigma(z), and the
    value those parts take at each corner of σ where it differs from symgrad's."""

    claim: sympy.Expr
    # (z, the corner, the claim's value there or None where undefined, symgrad's σ' there)
    conventions: tuple[tuple[sympy.Symbol, sympy.Expr, sympy.Expr | None, sympy.Expr], ...]


def _recognised(claim, forms: _Forms, outputs: dict) -> _Recognised | None:
    """The claim with σ' recognised where it is written another way, or None when no part
    is. A part is a subexpression (or the factors of a product) that depends on one
    preactivation z alone (through a = σ(z)), holds a kink, and equals σ'(z) on every
    piece its kinks and σ's cut z's line into (SymPy reduces the difference of the two
    branches to 0 on each) and at every place between them; at a corner of σ, where σ'
    does not exist, it may take any value between the one-sided slopes, or none — but one
    value per corner for all the parts of one z (dsigma(z) itself takes symgrad's). With
    those parts written dsigma(z), claim − true reducing to 0 proves the claim is the
    truth wherever σ has a derivative, and at a corner the truth with that one value of
    σ' (the truth is affine in it): the convention an autodiff takes."""
    activation = forms.activation
    names = {z: frozenset({z, *((outputs[z],) if z in outputs else ())})
             for z in (outputs or _preactivations(claim))}
    taken: dict = {}  # (z, corner) -> the value each part takes there
    changed = False

    def single(expr):
        free = expr.free_symbols
        if not free:
            return None
        for z, allowed in names.items():
            if free <= allowed:
                return z
        return None

    def kinked(expr) -> bool:
        return any(isinstance(node, _KINKED) for node in _nodes([expr]))

    def recognise(expr, z) -> bool:
        values = _slope_values(expr, z, forms, outputs)
        if values is None:
            return False
        for place, value in values.items():
            taken.setdefault((z, place), set()).add(value)
        return True

    def visit(node):
        nonlocal changed
        if node.func is dsigma and node.args[0] in names:
            for place in activation.corners:
                taken.setdefault((node.args[0], place), set()).add(
                    activation.derivative_at(place))
            return node
        if not node.args or not isinstance(node, sympy.Expr):
            return node
        z = single(node)
        if z is not None and kinked(node) and recognise(node, z):
            changed = True
            return dsigma(z)
        if isinstance(node, sympy.Mul):
            groups: dict = {}
            for factor in node.args:
                z = single(factor)
                if z is not None and kinked(factor):
                    groups.setdefault(z, []).append(factor)
            kept = list(node.args)
            found = []
            for z, factors in groups.items():
                if len(factors) > 1 and recognise(sympy.Mul(*factors), z):
                    changed = True
                    found.append(dsigma(z))
                    for factor in factors:
                        kept.remove(factor)
            return sympy.Mul(*found, *(visit(factor) for factor in kept))
        return node.func(*(visit(argument) for argument in node.args))

    written = visit(claim)
    if not changed:
        return None
    conventions = []
    for (z, place), values in taken.items():
        if len(values) > 1:
            return None  # (two conventions at one corner: not one value of σ')
        value, = values
        symgrads = activation.derivative_at(place)
        if value != symgrads:
            conventions.append((z, place, value, symgrads))
    return _Recognised(written, tuple(sorted(conventions, key=lambda c: (str(c[0]), c[1]))))


def _preactivations(claim) -> list[sympy.Symbol]:
    """The preactivations z1, z2, ... (z_l_j in a net) a claim names."""
    return [s for s in claim.free_symbols if re.fullmatch(r"z\d+|z_\d+_\d+", s.name)]


def _slope_values(expr, z, forms: _Forms, outputs: dict) -> dict | None:
    """``expr``'s value at each corner of σ (None where undefined) if it equals σ'(z)
    everywhere else — on every piece of z's line its kinks and σ's cut, and at the
    places between them — else None."""
    activation = forms.activation
    written = _step(forms.on_lines, expr)
    if written is None:
        return None
    if z in outputs:
        written = written.xreplace({outputs[z]: activation.at(z)})
    slope = activation.derivative_at(z)
    line = _Line(z, {}, {})
    try:
        places = set()
        for kink in _kink_arguments([written, slope]):
            places.update(_roots(kink, line))
        if len(places) > MAX_KINK_PIECES:
            return None
        places = sorted(places)
        for low, high in zip([None, *places], [*places, None]):
            inside = _inside(low, high)
            difference = _branch(written, line, inside) - _branch(slope, line, inside)
            if not _step(_simplifies_to_zero, difference):
                return None
        corners = {}
        for place in places:
            exact = place.exact if isinstance(place, _Place) else \
                sympy.Rational(place.numerator, place.denominator)
            value = _branch(written, line, place).xreplace({z: exact})
            value = None if value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo) else value
            sides = activation.corner_slopes.get(exact) if exact in activation.corners else None
            if sides is not None:
                low, high = sorted(sides)
                if value is None:  # (undefined on the corner: where δ has a value there
                    return None  # all the same, z2 < 0, the claim has none — the numbers see)
                if not (value.is_number and
                                              _step(lambda v, a=low, b=high: bool(a <= v <= b), value)):
                    return None
                corners[exact] = value
            else:
                truth = _branch(slope, line, place).xreplace({z: exact})
                if value is None or not _step(_simplifies_to_zero, value - truth):
                    return None
        for corner in activation.corners:  # (a corner its kinks do not cut: its value there)
            if corner not in corners and activation.corner_slopes.get(corner) is not None:
                value = written.xreplace({z: corner})
                if value.has(sympy.nan, sympy.zoo) or not value.is_number:
                    return None
                corners[corner] = value
        return corners
    except (_UnsolvedError, _TooManyKinksError, ZeroDivisionError):
        return None


@dataclass
class _Symbolic:
    """What SymPy found: "zero", "nonzero" or None, and the ratios and differences it
    reduced (in the order of the forms: the names as written first)."""

    status: str | None = None
    ratios: list = field(default_factory=list)
    differences: list = field(default_factory=list)


def _symbolic(claim, true, forms: _Forms, found: _Symbolic, abstract: bool = False) -> None:
    """SymPy on claim − true and claim / true in each form (``abstract``: only the names
    as written, σ'(z) an unknown function — an identity that then holds for every value
    of σ'(z), the corner's convention among them, not only for relu's 0 and 1, where
    Heaviside(z)² = Heaviside(z) would let a square pass)."""
    steps = [(forms.identity, None),
             (forms.outputs_only if abstract else forms.through_outputs, None)]
    if forms.free_names is not None:
        steps.append((forms.free_only if abstract else forms.free, forms.free_symbols))
    for form, free_symbols in steps:
        claimed, truth = _step(form, claim), _step(form, true)
        if claimed is None or truth is None:
            continue
        difference = _step(_canonical, claimed - truth)
        if difference is not None:
            if difference == 0:
                found.status = "zero"
                return
            found.differences.append(difference)
            if found.status is None and _step(_nonzero, difference, free_symbols):
                found.status = "nonzero"
        ratio = _step(_canonical, claimed / truth)
        if ratio is not None:
            if ratio == 1:
                found.status = "zero"
                return
            found.ratios.append(ratio)
            if found.status is None and _step(
                    lambda r, symbols: _nonzero(_canonical(r - 1), symbols), ratio, free_symbols):
                found.status = "nonzero"
    if found.status is None:  # last, and only on small forms: simplify
        for difference in found.differences:
            if sympy.count_ops(difference) <= 20 * SIMPLE and \
                    _expanded_terms(difference) <= MAX_EXPANDED_TERMS:
                if _step(lambda d: sympy.simplify(d) == 0, difference):
                    found.status = "zero"
                    return


def _step(step, *args):
    """One SymPy step under its budget; None when it runs out of time or SymPy fails."""
    def run():
        try:
            return step(*args)
        except OverBudget:
            raise
        except Exception:  # SymPy gave up (or failed): no conclusion, never a verdict
            return None
    return within_budget(run, seconds=SYMBOLIC_STEP_SECONDS)


def _canonical(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with each factor cancelled on its own (so equal factors written differently
    meet and cancel in the product), then the whole cancelled if it stays small. Nothing
    that would multiply out to more than MAX_EXPANDED_TERMS terms is cancelled."""
    if expr.is_Mul:
        expr = sympy.Mul(*[_canonical(factor) for factor in expr.args])
    elif expr.is_Pow and expr.exp.is_Integer:
        expr = _canonical(expr.base) ** expr.exp
    if _expanded_terms(expr) > MAX_EXPANDED_TERMS:
        return expr
    try:
        return sympy.cancel(sympy.together(expr))
    except OverBudget:
        raise
    except Exception:  # e.g. a piece SymPy's polynomials cannot hold: left as it is
        return expr


def _nonzero(expr: sympy.Expr, free_symbols) -> bool:
    """Whether SymPy shows ``expr`` is not identically 0: a nonzero number, nonzero for
    every value of its symbols (SymPy's is_zero False), a product or power of such, or (in
    free coordinates only, which are independent) a nonzero rational function of them."""
    if expr.is_zero is False:
        return True
    if expr.is_number:
        return False
    if expr.is_Mul:
        return all(_nonzero(factor, free_symbols) for factor in expr.args)
    if expr.is_Pow:
        return _nonzero(expr.base, free_symbols)
    if free_symbols is None or not expr.free_symbols <= free_symbols:
        return False
    if not expr.is_rational_function(*sorted(expr.free_symbols, key=str)):
        return False
    if _expanded_terms(expr) > MAX_EXPANDED_TERMS:
        return False
    return sympy.cancel(expr) != 0


def _expanded_terms(expr: sympy.Expr, cap: int = 10**12) -> int:
    """An upper bound on how many terms ``expr`` has once multiplied out, counting what
    expanding inside function arguments costs (expand goes into them), at most ``cap``."""
    if expr.is_Atom:
        return 1
    if expr.is_Add:
        return min(cap, sum(_expanded_terms(term, cap) for term in expr.args))
    if expr.is_Mul:
        total = 1
        for factor in expr.args:
            total = min(cap, total * _expanded_terms(factor, cap))
        return total
    if expr.is_Pow:
        if _huge_number(expr.exp):
            return cap
        base, exponent = _expanded_terms(expr.base, cap), _expanded_terms(expr.exp, cap)
        power = expr.exp.as_coeff_Add()[0] if expr.exp.is_Add else expr.exp
        times = abs(int(power)) if power.is_Rational else 1
        if base > 1 and times > 64:
            return cap
        return min(cap, base ** times * exponent)
    if any(_huge_number(argument) for argument in expr.args):
        return cap  # exp(10**400*w1): SymPy's polynomials would take exp(w1) to that power
    return min(cap, sum(_expanded_terms(argument, cap) for argument in expr.args) or 1)


def _huge_number(expr: sympy.Expr) -> bool:
    """Whether a rational with more than 6 digits multiplies or is part of ``expr``."""
    coefficient = expr.as_coeff_Mul()[0] if expr.is_Mul else expr
    if expr.is_Add:
        return any(_huge_number(term) for term in expr.args)
    return coefficient.is_Rational and max(abs(coefficient.p), coefficient.q) > 10**6


def _explained(found: _Symbolic):
    """_explanation under its own budget: (None, None) when it runs out."""
    try:
        with time_budget(2 * SYMBOLIC_STEP_SECONDS):
            return _explanation(found)
    except OverBudget:
        return None, None


def _explanation(found: _Symbolic):
    """(claim/true, claim − true) as shown: the ratio if it is short and no longer than
    the difference, else the difference if it is short; the names as written preferred."""
    def finite(expressions):  # (a form with zoo or nan in it explains nothing: 0/0 of z/z)
        return [e for e in expressions if not e.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)]

    ratio = _shortest(finite(found.ratios))
    difference = _shortest(finite(found.differences))
    ratio_ops = math.inf if ratio is None else _step(sympy.count_ops, ratio)
    difference_ops = math.inf if difference is None else _step(sympy.count_ops, difference)
    ratio_ops = math.inf if ratio_ops is None else ratio_ops
    difference_ops = math.inf if difference_ops is None else difference_ops
    if ratio_ops <= SIMPLE and ratio_ops <= difference_ops:
        return ratio, None
    if difference_ops <= SIMPLE:
        return None, difference
    return None, None


def _shortest(expressions) -> sympy.Expr | None:
    """The shortest of the expressions, factored when short (each step budgeted)."""
    best, best_ops = None, math.inf
    for expr in expressions:
        if _expanded_terms(expr) > MAX_EXPANDED_TERMS:
            continue
        ops = _step(sympy.count_ops, expr)
        if ops is None:
            continue
        if ops <= 4 * SIMPLE:
            factored = _step(sympy.factor, expr)
            factored_ops = None if factored is None else _step(sympy.count_ops, factored)
            if factored_ops is not None and factored_ops <= ops:
                expr, ops = factored, factored_ops
        if ops < best_ops:
            best, best_ops = expr, ops
    return best


# ---------------------------------------------------------------------------------------
# Points


@dataclass(frozen=True)
class _Point:
    free: dict[str, Fraction]  # the drawn coordinates, exactly
    # on a zero of a denominator of the claim as written (SymPy's root, to 60 digits where
    # irrational): the claim is undefined there, whatever the rounded numbers say
    undefined_claim: bool = False


@dataclass(frozen=True)
class _Draw:
    rng: random.Random
    active: bool  # positive inputs, weights and preactivations

    def weight(self) -> Fraction:
        sign = 1 if self.active else self.rng.choice((-1, 1))
        return sign * Fraction(repr(self.rng.uniform(0.5, 1.5)))

    def preactivation(self) -> Fraction:
        return self.uniform(0.1, 2) if self.active else self.uniform(-2, 2)

    def bias(self) -> Fraction:
        return self.uniform(0, 0.5) if self.active else self.uniform(-0.5, 0.5)

    def input(self) -> Fraction:
        return self.uniform(0.1, 1) if self.active else self.uniform(-1, 1)

    def uniform(self, low, high) -> Fraction:
        return Fraction(repr(self.rng.uniform(low, high)))


def _draw(spec, draw: _Draw) -> dict[str, Fraction]:
    """The free coordinates of one point: x, y, the weights and the preactivations (a tied
    chain: x, y, w and b; a recurrent cell: its parameters, x_1..x_T, the initial state
    and y), by their symbols' names."""
    if isinstance(spec, RecurrentNet):
        kind = spec.cell
        found = {symbol.name: draw.weight() if name[0] in "uw" else draw.bias()
                 for name, symbol in zip(kind.parameters, kind.parameter_symbols, strict=True)}
        found.update({f"x{t}": draw.input() for t in range(1, spec.steps + 1)})
        found.update({f"{state}0": draw.input() for state in kind.state})
        found["y"] = draw.uniform(0.1, 0.9)
        return found
    if isinstance(spec, MatrixNet):
        widths, found = spec.widths, {}
        for k in range(1, widths[0] + 1):
            found[f"a_0_{k}"] = draw.input()
        for j in range(1, widths[-1] + 1):
            found[f"y_{j}"] = draw.uniform(0.1, 0.9)
        for layer in range(1, spec.depth + 1):
            for j in range(1, widths[layer] + 1):
                found[f"z_{layer}_{j}"] = draw.preactivation()
                for k in range(1, widths[layer - 1] + 1):
                    found[f"w_{layer}_{j}_{k}"] = draw.weight()
        return found
    found = {"x": draw.input(), "y": draw.uniform(0.1, 0.9)}
    if spec.tied:
        found.update(w=draw.weight(), b=draw.bias())
        return found
    for n in range(1, spec.depth + 1):
        found[f"w{n}"], found[f"z{n}"] = draw.weight(), draw.preactivation()
        for name in spec.layer.parameters:  # a highway's gate: p_n like a weight, q_n a bias
            found[f"{name}{n}"] = draw.weight() if name == "p" else draw.bias()
    return found


def _points(spec, true, seed: int) -> list[_Point]:
    """POINTS random points where the derivation's value is defined (cross-entropy:
    0 < a_L < 1). Half anywhere; half with x, the weights and the preactivations
    positive, where every unit of a relu-like net is active: drawn anywhere, a deep relu
    chain has a dead unit at nearly every point, its gradient is 0 there, and a wrong
    claim would match it."""
    rng = random.Random(seed)
    found, attempts = [], 0
    while len(found) < POINTS:
        attempts += 1
        if attempts > 100 * POINTS:
            raise SymgradError("No point of the chain where its gradient is defined was found "
                               "among the random draws.")
        point = _Point(_draw(spec, _Draw(rng, active=len(found) >= POINTS // 2)))
        try:
            with mpmath.workdps(FIRST_DIGITS):
                values, _ = _forward(spec, point, _Arithmetic(FIRST_DIGITS))
                _Walker(_Arithmetic(FIRST_DIGITS), values, _activation(spec)).value(true)
        except (_UndefinedError, _TooLargeError):
            continue
        found.append(point)
    return found


@dataclass
class _Kinks:
    """The points on every piece of the lines the kinks of claim and truth cut."""

    points: list[_Point] = field(default_factory=list)
    at_kinks: list[_Point] = field(default_factory=list)  # on the kinks themselves
    at_edges: list[_Point] = field(default_factory=list)  # where the claim's needs are 0
    pieces: int = 0  # open intervals (and the two ends) of coordinate lines given points
    too_many: bool = False  # more pieces than MAX_KINK_PIECES: not all of them covered
    unsolved: int = 0  # kinks SymPy could not locate (their pieces are not covered)
    # a kink or domain edge in two or more coordinates at once, and their names: its
    # pieces are not a grid, so points can only refute a claim there, never prove it
    entangled: tuple[sympy.Expr, tuple[str, ...]] | None = None
    cells: int = 0  # points of the grid of every coordinate's pieces and kinks (per base)
    grid_too_large: bool = False  # more than MAX_GRID_POINTS: the grid was not checked


class _UnsolvedError(Exception):
    """A kink whose location SymPy does not find (within its budget)."""


class _TooManyKinksError(Exception):
    """More kinks on one line than MAX_KINK_PIECES."""


_KINKED = (sympy.Abs, sympy.Heaviside, sympy.sign, sympy.Max, sympy.Min, sympy.Piecewise)


def _kink_points(forms: _Forms, claim, true, points: list[_Point], rng: random.Random,
                 needs=()) -> _Kinks:
    """Points on every piece of the lines where claim and truth are smooth: for each free
    coordinate a kink depends on (through an abs, max, min, Heaviside, sign or a piece's
    condition, of the claim or of the truth), the other coordinates held at a random
    point, every kink's place on that line is solved for (exactly where SymPy can), and
    points are put strictly inside every interval between consecutive kinks and beyond
    the outermost on both sides, far past the largest too. A claim that differs only
    between two kinks 10^-30 apart, or only past |z| = 50, is seen there. Held first at
    a point with every unit active (where a relu net's pieces all count), then at one
    drawn anywhere (a tied chain, with its four coordinates: at every random point);
    at most MAX_KINK_PIECES pieces, all of the first point's lines or a refusal."""
    found = _Kinks()
    names = forms.line_names
    written = [expr for expr in (_step(forms.on_lines, claim), _step(forms.on_lines, true))
               if expr is not None]
    kinks = _kink_arguments(written + [names[name] for name in _names_used(written, names)])
    # where the claim as written stops being defined (sqrt(z1 - 10)/sqrt(z1 - 10) at 10)
    def on_lines(relations):
        return [u for u in dict.fromkeys(_step(forms.on_lines, u) for relation, u in needs
                                         if relation in relations)
                if u is not None and not u.is_number]
    edges, zeros = on_lines((">", ">=")), on_lines(("!=",))
    kinks += [u for u in edges + zeros if u not in kinks]
    if not kinks:
        return found
    active, anywhere = points[POINTS // 2:], points[:POINTS // 2]
    bases = [active[0], anywhere[0]]
    found.entangled = _entangled(kinks, names, frozenset(bases[0].free))
    if found.entangled is None:
        try:
            with time_budget(KINK_SECONDS):
                _grid(kinks, zeros, bases, names, found, rng)
        except _TooManyKinksError:
            found.too_many = True
        except OverBudget:
            if outer_budget_spent():
                raise
            found.unsolved += 1  # the rest were not located in time
        return found
    if forms.free_names is None:  # a tied chain: four coordinates, through every point
        bases = [point for pair in zip(active, anywhere) for point in pair]
    try:
        with time_budget(KINK_SECONDS):
            for first, base in zip([True] + [False] * len(bases), bases):
                try:
                    lines = {}
                    for name, places in _coordinate_kinks(kinks, base, names, found):
                        pieces = len(places) + 1
                        if found.pieces + pieces > MAX_KINK_PIECES:
                            raise _TooManyKinksError
                        found.pieces += pieces
                        lines[name] = places
                        found.points.extend(_Point({**base.free, name: value})
                                            for value in _line_points(places))
                        found.at_kinks.extend(_Point({**base.free, name: value})
                                              for value in places)
                    found.at_kinks.extend(_on_one_kink_across(lines, base))
                    if first:
                        found.at_kinks.extend(_crossings(lines, base))
                        _critical_points(kinks, base, forms, found)
                    for name, places in _coordinate_kinks(edges, base, names, _Kinks()):
                        found.at_edges.extend(_Point({**base.free, name: value})
                                              for value in places)
                    for name, places in _coordinate_kinks(zeros, base, names, _Kinks()):
                        found.at_edges.extend(_Point({**base.free, name: value}, True)
                                              for value in places)
                except _TooManyKinksError:
                    found.too_many = first  # (beyond the first point: as many as fit)
                    return found
    except OverBudget:
        if outer_budget_spent():
            raise
        found.unsolved += 1  # the rest were not located in time
    return found


MAX_GRID_POINTS = 2_000  # points of the grid of every kinked coordinate, over both bases


def _entangled(kinks, names: dict, coordinates: frozenset[str]
               ) -> tuple[sympy.Expr, tuple[str, ...]] | None:
    """The first kink (or domain edge) that depends on two or more coordinates together,
    through the names it uses (a1 = σ(z1): z1 alone; b2 = z2 − w2 a1: z2, w2 and z1),
    with the names of those coordinates; None when each depends on one at most. Then
    every kink is a set of places on one coordinate's line, the same through every
    point, and the lines' pieces and places make a grid whose cells are all the pieces
    claim and truth have: a point of each cell decides them all (``_grid``)."""
    memo: dict = {}

    def depends_on(expr) -> frozenset[str]:
        found = set()
        for symbol in expr.free_symbols:
            if symbol in names:
                if symbol not in memo:
                    memo[symbol] = frozenset()  # (a name defined through itself: never)
                    memo[symbol] = depends_on(names[symbol])
                found |= memo[symbol]
            elif symbol.name in coordinates:
                found.add(symbol.name)
        return frozenset(found)

    for kink in kinks:
        used = depends_on(kink)
        if len(used) > 1:
            return kink, tuple(sorted(used))
    return None


def _grid(kinks, zeros, bases: list[_Point], names: dict, found: _Kinks,
          rng: random.Random) -> None:
    """Every cell of the grid the kinks cut (each kink on one coordinate's line, the
    same through every point: ``_entangled`` is None): for each kinked coordinate, its
    places and a random point strictly inside each piece between them (and beyond
    both ends), every combination of those, the other coordinates held at each base.
    Claim and truth are smooth inside a cell, so a random point of it shows a
    difference there, and on the places every branch is decided exactly: z1 = 0 with
    w2 past 3, z1 = z2 = 0 at once, are all points of the grid. A point on a zero of a
    denominator the claim has as written is marked undefined there."""
    lines = dict(_coordinate_kinks(kinks, bases[0], names, found))
    if found.unsolved:
        return
    undefined = dict(_coordinate_kinks(zeros, bases[0], names, _Kinks()))
    found.cells = math.prod(2 * len(places) + 1 for places in lines.values())
    found.pieces = sum(len(places) + 1 for places in lines.values())
    if found.cells * len(bases) > MAX_GRID_POINTS:
        found.grid_too_large = True
        return
    for base in bases:  # (each base its own random points: a convention on z1 = 0 that
        # changes with z2 inside one of z2's pieces is seen at two values of z2)
        axes = {name: [*places, *(_random_inside(low, high, rng) for low, high in
                                  zip([None, *places], [*places, None]))]
                for name, places in lines.items()}
        for values in itertools.product(*axes.values()):
            chosen = dict(zip(axes, values))
            on_places = any(value in lines[name] for name, value in chosen.items())
            point = _Point({**base.free, **chosen}, undefined_claim=any(
                value in undefined.get(name, ()) for name, value in chosen.items()))
            (found.at_kinks if on_places else found.points).append(point)


def _random_inside(low: Fraction | None, high: Fraction | None, rng: random.Random) -> Fraction:
    """A random point strictly inside (low, high) (None: unbounded), drawn from the
    claim's own seed: no claim can be written to vanish just there."""
    share = Fraction(rng.getrandbits(32) + 1, 2**32 + 2)
    if low is None and high is None:
        return 4 * share - 2
    if low is None:
        return high - max(Fraction(1), abs(high)) * (share + Fraction(1, 2))
    if high is None:
        return low + max(Fraction(1), abs(low)) * (share + Fraction(1, 2))
    return low + (high - low) * share


MAX_CROSSINGS = 64  # points where two coordinates sit on kinks at once


def _crossings(lines: dict[str, list[Fraction]], base: _Point) -> list[_Point]:
    """Points where two or more coordinates are on kinks of their lines at once (z1 = 1
    and z2 = 1: a claim off by Heaviside(-(z1 - 1)²) Heaviside(-(z2 - 1)²) differs only
    there), pairs first, then more at once, at most MAX_CROSSINGS."""
    found = []
    names = sorted(lines)
    for size in range(2, len(names) + 1):
        for chosen in itertools.combinations(names, size):
            for places in itertools.product(*(lines[name] for name in chosen)):
                if len(found) >= MAX_CROSSINGS:
                    return found
                found.append(_Point({**base.free, **dict(zip(chosen, places))}))
    return found


MAX_ACROSS = 256  # points on one coordinate's kink, with another coordinate in each of its pieces


def _on_one_kink_across(lines: dict[str, list[Fraction]], base: _Point) -> list[_Point]:
    """Points with one coordinate on a kink of its line and another inside each piece of
    its own line: a claim off at relu's z1 = 0 only where w2 > 3 (Heaviside(-z1²)
    max(0, w2 − 3)) is seen there, not at the base's w2 alone. At most MAX_ACROSS."""
    found = []
    for name, places in lines.items():
        for other, other_places in lines.items():
            if other == name:
                continue
            for place in places:
                for value in _line_points(other_places):
                    if len(found) >= MAX_ACROSS:
                        return found
                    found.append(_Point({**base.free, name: place, other: value}))
    return found


def _critical_points(kinks, base: _Point, forms: _Forms, found: _Kinks) -> None:
    """The critical points (∇u = 0) of each kink u in two or more coordinates, written
    through the free names (a1 = σ(z1)), solved by SymPy: every bounded piece u's sign
    cuts out holds an extremum of u, and lines through random points miss such pieces —
    the disk where Heaviside(10^-6 − (z1 − 5)² − (w2 − 3)²) is 1, or the one point where
    −(a1 − 1/2)² − (w2 − 1)², which never changes sign, is 0. They join
    ``found.at_kinks``, where every branch is decided exactly (u may be 0 there); a kink
    SymPy cannot solve is counted unsolved. (A kink with kinks inside it is left to the lines; a tied chain's
    names are not free, so there only kinks in the coordinates themselves are solved.)"""
    for kink in kinks:
        written = kink if forms.free_names is None else kink.xreplace(forms.free_names)
        symbols = sorted((s for s in written.free_symbols if s.name in base.free),
                         key=lambda s: s.name)
        if len(symbols) < 2 or not written.free_symbols <= set(symbols) or \
                any(isinstance(node, _KINKED) for node in _nodes([written])):
            continue
        if written.is_polynomial(*symbols) and \
                any(_degree_bound(written, s) > MAX_KINK_DEGREE for s in symbols):
            found.unsolved += 1
            continue
        gradient = [sympy.diff(written, s) for s in symbols]
        solutions = _step(functools.partial(sympy.solve, gradient, symbols, dict=True))
        if solutions is None or len(solutions) > MAX_CROSSINGS:
            found.unsolved += 1
            continue
        held = {s: sympy.Rational(base.free[s.name].numerator, base.free[s.name].denominator)
                for s in symbols}
        for solution in solutions:  # (a free parameter of a solution set is held at base)
            values = {s: sympy.sympify(solution.get(s, held[s])).xreplace(held) for s in symbols}
            if any(v.free_symbols or v.is_real is not True for v in values.values()):
                continue
            try:
                point = _Point({**base.free, **{s.name: _exact(v) for s, v in values.items()}})
            except _UnsolvedError:
                found.unsolved += 1
                continue
            found.at_kinks.append(point)


def _kink_arguments(expressions) -> list[sympy.Expr]:
    """What is 0 at each kink inside the expressions: the argument of an abs, Heaviside
    or sign, the difference of two arguments of a max or min, lhs − rhs of each
    comparison in a piece's condition (at most 4 MAX_KINK_PIECES of them)."""
    found = {}
    for node in _nodes(expressions):
        if len(found) > 4 * MAX_KINK_PIECES:
            break
        if isinstance(node, (sympy.Abs, sympy.Heaviside, sympy.sign)):
            found[node.args[0]] = None
        elif isinstance(node, (sympy.Max, sympy.Min)):
            for i, first in enumerate(node.args):
                for second in node.args[i + 1:]:
                    found[first - second] = None
        elif isinstance(node, sympy.core.relational.Relational):  # in a piece's condition
            found[node.lhs - node.rhs] = None
    return [kink for kink in found if not kink.is_number]


def _nodes(expressions):
    """Every distinct node of the expressions, each once."""
    seen, stack = set(), list(expressions)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        yield node
        stack.extend(argument for argument in node.args if isinstance(argument, sympy.Basic))


class _Line:
    """One coordinate's line through a point: the other coordinates held at the point's
    values, and the names defined through others (a_k = σ(z_k), b_k; a tied chain's z_n
    and a_n) written with those values when asked for."""

    def __init__(self, symbol: sympy.Symbol, values: dict, names: dict):
        self.symbol = symbol
        self.others = {s: v for s, v in values.items() if s != symbol}
        self.defined, self.fixed = names, {}
        self.moving = frozenset({symbol, *names})  # what may vary along the line
        self.dependence, self.roots = {}, {}

    def name(self, symbol: sympy.Symbol) -> sympy.Expr:
        """A defined name's definition, the other coordinates written in."""
        try:
            return self.fixed[symbol]
        except KeyError:
            found = self.fixed[symbol] = self.defined[symbol].xreplace(self.others)
            return found

    def depends(self, expr) -> bool:
        """Whether ``expr`` varies along the line (directly or through a defined name)."""
        try:
            return self.dependence[expr]
        except KeyError:
            pass
        found = any(s == self.symbol or (s in self.defined and self.depends(self.name(s)))
                    for s in expr.free_symbols)
        self.dependence[expr] = found
        return found

    def definitions(self, expr) -> list[sympy.Expr]:
        """The definitions of the names ``expr`` uses, and of the names those use, ..."""
        return [self.name(symbol) for symbol in _names_used([expr], self.defined)]


def _names_used(expressions, names: dict) -> list[sympy.Symbol]:
    """The defined names the expressions use, and the names their definitions use, ..."""
    found, stack = {}, [s for expr in expressions for s in expr.free_symbols if s in names]
    while stack:
        symbol = stack.pop()
        if symbol not in found:
            found[symbol] = None
            stack.extend(s for s in names[symbol].free_symbols if s in names)
    return list(found)


def _coordinate_kinks(kinks, base: _Point, names: dict, found: _Kinks):
    """(coordinate, the sorted places of every kink on its line through ``base``) for each
    coordinate some kink depends on; a kink not located is counted in ``found``."""
    symbols = {}
    for expr in [*kinks, *(names[name] for name in _names_used(kinks, names))]:
        for symbol in expr.free_symbols:
            if symbol.name in base.free and symbol not in names:
                symbols[symbol.name] = symbol
    values = {symbol: sympy.Rational(base.free[name].numerator, base.free[name].denominator)
              for name, symbol in symbols.items()}
    for name in sorted(symbols):
        line = _Line(symbols[name], values, names)
        places = set()
        for kink in kinks:
            fixed = kink.xreplace(line.others)
            if not line.depends(fixed):
                continue
            if not fixed.free_symbols <= line.moving:
                found.unsolved += 1
                continue
            try:
                places.update(_roots(fixed, line))
            except (OverBudget, _TooManyKinksError):
                raise
            except Exception:  # _UnsolvedError, or SymPy failed: this kink is not located
                found.unsolved += 1
            if len(places) >= MAX_KINK_PIECES:
                raise _TooManyKinksError
        if places:
            yield name, _separated(places)


def _roots(expr, line: _Line) -> list[Fraction]:
    """The real zeros of ``expr`` along the line: those strictly inside the pieces its own
    kinks (and its names' kinks) cut the line into, where ``expr`` is one smooth branch
    solved by _smooth_roots, and those on the inner kinks themselves (|z1 − 1| at 1). The
    inner kinks are listed apart."""
    if expr in line.roots:
        if line.roots[expr] is None:  # (a name defined through itself: never, but safe)
            raise _UnsolvedError
        return line.roots[expr]
    line.roots[expr] = None
    inner = [kink for kink in _kink_arguments([expr, *line.definitions(expr)])
             if kink != expr and line.depends(kink)]
    edges = set()
    for kink in inner:
        edges.update(_roots(kink, line))
    if len(edges) >= MAX_KINK_PIECES:
        raise _TooManyKinksError
    edges = sorted(edges)
    found = []
    for edge in edges:  # a zero exactly on an inner kink (|z1 − 1| at 1)
        try:
            if _sign_at(_branch(expr, line, edge), line.symbol, edge) == 0:
                found.append(edge)
        except _UnsolvedError:
            pass  # (not decided there: the pieces on each side still are)
    for low, high in zip([None, *edges], [*edges, None]):
        branch = _branch(expr, line, _inside(low, high))
        found.extend(root for root in _smooth_roots(branch, line.symbol)
                     if (low is None or root > low) and (high is None or root < high))
        if len(found) >= MAX_KINK_PIECES:
            raise _TooManyKinksError
    line.roots[expr] = found
    return found


def _inside(low: Fraction | None, high: Fraction | None) -> Fraction:
    """A point strictly inside (low, high) (None: unbounded)."""
    if low is None and high is None:
        return Fraction(0)
    if low is None:
        return high - max(Fraction(1), abs(high))
    if high is None:
        return low + max(Fraction(1), abs(low))
    return (low + high) / 2


def _branch(expr, line: _Line, at: Fraction, memo: dict | None = None):
    """``expr`` with each abs, max, min, Heaviside, sign and piece replaced by the branch
    it takes at ``at``, and each defined name by its definition's (on a piece of the line
    without kinks: the branch taken on all of it), a smooth function of the coordinate."""
    memo = {} if memo is None else memo
    if expr in memo:
        return memo[expr]
    found = memo[expr] = _branch_of(expr, line, at, memo)
    return found


def _branch_of(expr, line: _Line, at: Fraction, memo: dict):
    if expr in line.defined:
        return _branch(line.name(expr), line, at, memo)
    if not expr.args or not expr.free_symbols & line.moving:
        return expr
    if isinstance(expr, sympy.Piecewise):
        for piece, condition in expr.args:
            if _holds(condition, line, at, memo):
                return _branch(piece, line, at, memo)
        raise _UnsolvedError
    args = [_branch(argument, line, at, memo) for argument in expr.args]
    function, symbol = expr.func, line.symbol
    if function is sympy.Abs:
        return args[0] if _sign_at(args[0], symbol, at) >= 0 else -args[0]
    if function is sympy.sign:
        return sympy.Integer(_sign_at(args[0], symbol, at))
    if function is sympy.Heaviside:
        side = _sign_at(args[0], symbol, at)
        if side == 0:
            return args[1] if len(args) > 1 else sympy.S.Half
        return sympy.S.One if side > 0 else sympy.S.Zero
    if function in (sympy.Max, sympy.Min):
        best = args[0]
        for other in args[1:]:
            side = _sign_at(other - best, symbol, at)
            if (side > 0) if function is sympy.Max else (side < 0):
                best = other
        return best
    return function(*args)


def _holds(condition, line: _Line, at: Fraction, memo: dict) -> bool:
    """Whether a piece's condition holds at ``at``."""
    if condition is sympy.true or condition is sympy.false:
        return bool(condition)
    if isinstance(condition, sympy.And):
        return all(_holds(c, line, at, memo) for c in condition.args)
    if isinstance(condition, sympy.Or):
        return any(_holds(c, line, at, memo) for c in condition.args)
    if isinstance(condition, sympy.Not):
        return not _holds(condition.args[0], line, at, memo)
    if isinstance(condition, sympy.ITE):  # (SymPy's if-then-else: relu written in a)
        chosen = condition.args[1] if _holds(condition.args[0], line, at, memo) else \
            condition.args[2]
        return _holds(chosen, line, at, memo)
    compare = _COMPARE.get(type(condition))
    if compare is None:
        raise _UnsolvedError
    side = _sign_at(_branch(condition.lhs - condition.rhs, line, at, memo), line.symbol, at)
    return bool(compare(side, 0))


def _sign_at(expr, symbol, at: Fraction) -> int:
    """The sign of a smooth ``expr`` at ``at``: exactly for rationals, else by SymPy (an
    irrational place by its exact value, √2 itself, never its rounding)."""
    value = expr.xreplace({symbol: at.exact if isinstance(at, _Place) else
                           sympy.Rational(at.numerator, at.denominator)})
    if value.free_symbols:
        raise _UnsolvedError
    side = _sign_of(value)
    if side is None:
        raise _UnsolvedError
    return side


def _smooth_roots(expr, symbol) -> list[Fraction]:
    """The real zeros of a smooth ``expr`` in one variable: exactly (rationals) for a
    polynomial numerator with rational coefficients, else SymPy's solveset, rounded to
    60 digits where irrational; _UnsolvedError when SymPy does not find them (or they are not
    finitely many)."""
    if symbol not in expr.free_symbols:
        return []
    if expr.free_symbols != {symbol} or any(isinstance(node, _KINKED) for node in _nodes([expr])):
        raise _UnsolvedError
    low_degree = expr.is_polynomial(symbol) and _degree_bound(expr, symbol) <= MAX_KINK_DEGREE
    if not low_degree and _expanded_terms(expr) > MAX_EXPANDED_TERMS:
        raise _UnsolvedError  # ((z1 - 1)^12 has 13 terms, not the 2^12 a product could)
    numerator = _step(lambda e: sympy.fraction(sympy.together(e))[0], expr)
    if numerator is None:
        raise _UnsolvedError
    roots = None
    if numerator.is_polynomial(symbol):
        polynomial = _step(sympy.Poly, numerator, symbol)
        if polynomial is None or polynomial.degree() > MAX_KINK_DEGREE:
            raise _UnsolvedError
        if polynomial.degree() <= 0:
            return []
        coefficients = polynomial.all_coeffs()
        if polynomial.degree() == 1:
            roots = [-coefficients[1] / coefficients[0]]
        elif all(c.is_Rational for c in coefficients):
            roots = _step(polynomial.real_roots)
    if roots is None:
        solved = _step(sympy.solveset, numerator, symbol, sympy.S.Reals)
        if solved is sympy.S.EmptySet:  # (tanh(z) - 2: no zero at all)
            return []
        if not isinstance(solved, sympy.FiniteSet):
            raise _UnsolvedError
        roots = list(solved.args)
    if len(roots) > MAX_KINK_PIECES:
        raise _UnsolvedError
    return sorted({_exact(root) for root in roots if root.is_real is not False})


def _degree_bound(expr, symbol) -> int:
    """An upper bound on the degree in ``symbol`` of a polynomial expression, read off its
    tree without expanding it."""
    if expr.is_Atom or symbol not in expr.free_symbols:
        return int(expr == symbol)
    if expr.is_Add:
        return max(_degree_bound(term, symbol) for term in expr.args)
    if expr.is_Mul:
        return sum(_degree_bound(factor, symbol) for factor in expr.args)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp >= 0:
        return int(expr.exp) * _degree_bound(expr.base, symbol)
    return MAX_KINK_DEGREE + 1


class _Place(Fraction):
    """An irrational kink's place: a Fraction close to it (what the rounded numbers use),
    and ``exact``, SymPy's own value (√2, atanh(1/2)), which the point's closed forms use:
    there a branch whose argument is 0 is decided 0, not by its rounding."""

    def __new__(cls, close: Fraction, exact: sympy.Expr, digits: int = 60):
        place = super().__new__(cls, close.numerator, close.denominator)
        place.exact, place.digits = exact, digits
        return place

    def error(self) -> Fraction:
        """How far the Fraction may be from the place (a bound, with room)."""
        return Fraction(1, 10 ** (self.digits - 5)) * max(1, abs(Fraction(self)))

    def refined(self) -> _Place:
        """The same place to twice the digits."""
        digits = 2 * self.digits
        value = sympy.N(self.exact, digits)
        if not (value.is_real and value.is_finite):
            raise _UnsolvedError
        return _Place(Fraction(str(value)), self.exact, digits)


MAX_PLACE_DIGITS = 4_000  # two places not told apart at this many digits: refused


def _separated(places) -> list[Fraction]:
    """The sorted places, each irrational one refined until it is told apart from its
    neighbours by far more than its rounding (√2 beside a rational that agrees with it to
    80 digits: the piece between them gets a point really inside), places SymPy shows
    equal merged; _UnsolvedError past MAX_PLACE_DIGITS."""
    places = sorted(places)
    index = 0
    while index + 1 < len(places):
        low, high = places[index], places[index + 1]
        room = sum(p.error() for p in (low, high) if isinstance(p, _Place))
        if room == 0 or high - low > room * 10**12:
            index += 1
            continue
        exact = [p.exact if isinstance(p, _Place) else sympy.Rational(p.numerator, p.denominator)
                 for p in (low, high)]
        if _step(_simplifies_to_zero, exact[0] - exact[1]):
            del places[index + 1]
            continue
        if max(p.digits for p in (low, high) if isinstance(p, _Place)) > MAX_PLACE_DIGITS:
            raise _UnsolvedError
        places[index:index + 2] = sorted(p.refined() if isinstance(p, _Place) else p
                                         for p in (low, high))
        index = max(0, index - 1)
    return places


def _exact(number) -> Fraction:
    """A real number as a Fraction: exactly if rational, else a _Place: to 60 digits (a
    root of a polynomial: to 200 bits, bisected in Fractions from its isolating interval),
    with SymPy's exact value kept."""
    if number.is_Rational:
        return Fraction(int(number.p), int(number.q))
    if isinstance(number, sympy.CRootOf) and number.is_real:
        interval = number._get_interval()
        coefficients = [_fraction(c) for c in number.poly.all_coeffs()]
        return _Place(_bisected(coefficients, _fraction(interval.a), _fraction(interval.b)),
                      number)
    value = sympy.N(number, 60)
    if not (value.is_real and value.is_finite):
        raise _UnsolvedError
    return _Place(Fraction(str(value)), number)


def _fraction(rational) -> Fraction:
    """A SymPy or gmpy rational as a Fraction."""
    return Fraction(int(rational.numerator), int(rational.denominator))


def _bisected(coefficients: list[Fraction], low: Fraction, high: Fraction) -> Fraction:
    """The root of the polynomial (coefficients highest first) in [low, high], where it
    changes sign, to 200 bits relative (exactly if a bisection point hits it)."""
    def sign(t):
        total = Fraction(0)
        for coefficient in coefficients:
            total = total * t + coefficient
        return (total > 0) - (total < 0)

    below = sign(low)
    if below == 0 or sign(high) == 0:
        return low if below == 0 else high
    for _ in range(20_000):
        middle = (low + high) / 2
        side = sign(middle)
        if side == 0:
            return middle
        low, high = (middle, high) if side == below else (low, middle)
        if (low > 0 or high < 0) and high - low <= min(abs(low), abs(high)) / 2**200:
            break
    return (low + high) / 2


def _line_points(places: list[Fraction]) -> list[Fraction]:
    """Points strictly inside every interval the sorted, distinct ``places`` cut the line
    into: two inside each gap (the midpoint, and a power of 2 near the geometric mean of
    a gap spanning orders of magnitude, 0 in a gap around it, else 3/8 of the way), and
    beyond each end one step of its size and then past twice the largest place."""
    low, high = places[0], places[-1]
    largest = max(abs(low), abs(high))
    found = [-(2 * largest + 1), low - max(Fraction(1), abs(low))]
    for left, right in zip(places, places[1:]):
        found.append((left + right) / 2)
        if left < 0 < right:
            found.append(Fraction(0))
        else:
            inside = left + (right - left) * 3 / 8
            if left != 0 and right != 0 and max(abs(right / left), abs(left / right)) >= 4:
                small, big = sorted((abs(left), abs(right)))
                power = Fraction(2) ** ((_log2(small) + _log2(big)) // 2)
                power = power if right > 0 else -power
                if left < power < right:
                    inside = power
            found.append(inside)
    found += [high + max(Fraction(1), abs(high)), 2 * largest + 1]
    ordered = sorted(set(found))
    return [value for value in ordered if value not in places]


def _log2(value: Fraction) -> int:
    """About log2 of a positive Fraction (an integer)."""
    return value.numerator.bit_length() - value.denominator.bit_length()


# ---------------------------------------------------------------------------------------
# Numbers


class _UndefinedError(Exception):
    """Not a finite real number here (a division by 0, a log of a negative, ...)."""


class _UnsettledError(Exception):
    """A value the rounding cannot tell from where the claim stops being defined (a
    denominator 1 − tanh(60) that rounds to 0, the square root of a cancellation that
    rounds below 0): not a proof the claim is undefined there; more digits may settle it."""


class _TooLargeError(Exception):
    """A function of a number too large to evaluate."""


class _InexactError(Exception):
    """Exact rationals cannot hold this value."""


@dataclass(frozen=True)
class _Arithmetic:
    digits: int | None  # None: exact rationals
    # SymPy's exact numbers (tanh(1) stays tanh(1)), for the forward pass only: the closed
    # forms of a point on a kink, where every branch is decided exactly
    symbolic: bool = False

    @property
    def exact(self) -> bool:
        return self.digits is None

    def rational(self, value: Fraction | sympy.Rational):
        numerator, denominator = (value.numerator, value.denominator) if isinstance(
            value, Fraction) else (int(value.p), int(value.q))
        if self.symbolic:  # (an irrational kink's place as SymPy has it exactly)
            return value.exact if isinstance(value, _Place) else sympy.Rational(numerator,
                                                                                 denominator)
        if self.exact:
            return _checked(Fraction(numerator, denominator))
        if isinstance(value, _Place) and value.digits < self.digits + 10:
            # (an irrational place at the working digits, not its shorter Fraction: a
            # factor that is 0 there, z1 − √2, is 0 to those digits too)
            return mpmath.mpf(str(sympy.N(value.exact, self.digits + 10)))
        return mpmath.mpf(numerator) / denominator


_UNKNOWN = object()  # a name's value exact rationals cannot hold (the walker refuses it)


def _checked(value: Fraction) -> Fraction:
    if value.numerator.bit_length() + value.denominator.bit_length() > MAX_EXACT_BITS:
        raise _InexactError
    return value


def _forward(spec, point: _Point, arithmetic: _Arithmetic):
    """Every name's value at the point (the forward pass from the free coordinates), and the
    point as shown in a counterexample (x, y, the weights, biases and preactivations)."""
    number = arithmetic.rational
    free = {name: number(value) for name, value in point.free.items()}
    activation = _activation(spec)
    if isinstance(spec, RecurrentNet):
        return _cell_forward(spec, free, arithmetic)

    def sigma_of(z):
        if arithmetic.symbolic:
            return activation.at(z)
        return _Walker(arithmetic, {VARIABLE: z}, activation).value(activation.expr)

    if isinstance(spec, MatrixNet):
        widths, values, inputs = spec.widths, {}, {}
        for k in range(1, widths[0] + 1):
            inputs[f"a_0_{k}"] = values[entry("a", 0, k)] = free[f"a_0_{k}"]
        for j in range(1, widths[-1] + 1):
            inputs[f"y_{j}"] = values[output_target(j)] = free[f"y_{j}"]
        for layer in range(1, spec.depth + 1):
            for j in range(1, widths[layer] + 1):
                z = values[entry("z", layer, j)] = free[f"z_{layer}_{j}"]
                total = 0
                for k in range(1, widths[layer - 1] + 1):
                    w = values[entry("w", layer, j, k)] = free[f"w_{layer}_{j}_{k}"]
                    inputs[f"w_{layer}_{j}_{k}"] = w
                    total += w * values[entry("a", layer - 1, k)]
                inputs[f"b_{layer}_{j}"] = values[entry("b", layer, j)] = z - total
                inputs[f"z_{layer}_{j}"] = z  # (shown: where a kink or a claim's edge is)
                values[entry("a", layer, j)] = sigma_of(z)
        outputs = [values[entry("a", spec.depth, j)] for j in range(1, widths[-1] + 1)]
    else:
        values = {x: free["x"], layer_symbol("a", 0): free["x"], y: free["y"]}
        inputs = {"x": free["x"], "y": free["y"]}
        if spec.tied:
            values.update({tied_symbol("w"): free["w"], tied_symbol("b"): free["b"]})
            inputs.update(w=free["w"], b=free["b"])
        previous = free["x"]
        for n in range(1, spec.depth + 1):
            if spec.tied:
                w, z = free["w"], free["w"] * previous + free["b"]
            else:
                w, z = free[f"w{n}"], free[f"z{n}"]
                b = z - w * previous
                values.update({layer_symbol("w", n): w, layer_symbol("b", n): b})
                inputs[f"w{n}"], inputs[f"b{n}"] = w, b
            values[layer_symbol("z", n)] = z
            if spec.layer.simple is None:
                for name in spec.layer.parameters:
                    values[layer_symbol(name, n)] = inputs[f"{name}{n}"] = free[f"{name}{n}"]
                values.update(_gated_values(spec, n, sigma_of(z), values, arithmetic))
                output = values[layer_symbol("a", n)]
            else:
                output = values[layer_symbol("a", n)] = _layer_output(spec, previous, sigma_of(z))
            inputs[f"z{n}"] = z  # (shown: where a kink or a claim's edge is)
            previous = output
        outputs = [previous]
        gradient = cost_derivative_at(spec.cost, layer_symbol("a", spec.depth))
        if arithmetic.symbolic:  # (the rounded pass has checked where C is defined)
            values[dC_daL] = gradient.xreplace(values)
            return values, inputs
        if spec.cost == "cross-entropy" and not 0 < previous < 1:
            raise _UndefinedError
        values[dC_daL] = _Walker(arithmetic, values, activation).value(gradient)
    if spec.cost == "cross-entropy" and not arithmetic.symbolic and \
            not all(0 < output < 1 for output in outputs):
        raise _UndefinedError
    return values, inputs


@dataclass
class _Sample:
    """The claim and the truth at one point in one arithmetic."""

    claim: object  # a number, None (undefined there) or _TooLargeError (too large to evaluate)
    true: object
    inputs: dict
    needed: float  # digits the claim's own structure needs beyond CHECK_DIGITS
    walker: _Walker
    rounded_to: int | None = None  # exact arithmetic at an irrational point: values to these digits


@dataclass
class _Numbers:
    """How the numbers ended."""

    arithmetic: str = "mpmath"
    digits: int | None = CHECK_DIGITS  # digits compared (None: exact)
    working_digits: int | None = FIRST_DIGITS
    points_checked: int = POINTS
    needed: int = CHECK_DIGITS  # digits agreement must reach
    agreed: bool = False
    agreed_digits: int = 0  # the fewest digits every random point agreed to, when not decided
    differing: Counterexample | None = None
    on_kinks: Counterexample | None = None  # differing only where σ has no derivative
    differing_on_kinks: int = 0
    too_large: bool = False
    out_of_time: bool = False
    undecided: int = 0  # points on kinks whose branches could not be decided (left out)
    samples: list = field(default_factory=list)  # the first round's samples (for equals)


def _slopes_in(true, subject: _Subject, activation) -> dict[sympy.Symbol, tuple[sympy.Expr, ...]]:
    """The preactivations z whose σ'(z) the truth holds, each with the forms it takes there
    (σ'(z), or written through the output a = σ(z)): only on their kinks is σ' a
    convention the claim may differ from."""
    found = {f.args[0]: [f] for f in true.atoms(dsigma)}
    for z, a in subject.outputs.items():
        through = activation.derivative_from_output(a)
        if through is not None and through.has(a) and true.has(through):
            found.setdefault(z, []).append(through)
    return {z: tuple(forms) for z, forms in found.items()}


def _numbers(spec, claim, true, points: list[_Point], kinks: _Kinks, needs=(),
             slopes: dict | None = None, rounds: int | None = None,
             reachable_only: bool = False) -> _Numbers:
    """Claim against truth at every point: exactly if every value is rational, else at
    rising working precision until decided, MAX_WORKING_DIGITS reached or time is up
    (``rounds``: at most that many precisions; ``reachable_only``: stop as soon as the
    digits needed are beyond reach, when SymPy has already decided). The points on the
    kinks themselves count too: there a relu claim with Heaviside(0) = 1/2 is told from
    σ'(0) = 0, and a tanh claim + Heaviside(-(z1 - 1)²) from δ at z1 = 1. In rounded
    arithmetic the rounded digits of a kink's argument (0 there) decide nothing, so on a
    kink every branch is decided in exact rationals (|z| − 50 at 50 is 0, not a rounding
    of it), or at an irrational place by SymPy's exact root; a point whose branches
    cannot be decided so is left out. (In exact rationals an irrational place is its
    60-digit Fraction: a claim off only at √2 of a relu chain is not seen.) Where the
    claim's needs are 0
    (z1/z1 at z1 = 0) counts in exact arithmetic only when undefined there: rounding can
    only make such a point defined, never a difference."""
    everything = points + kinks.points + kinks.at_kinks + \
        [point for point in kinks.at_edges if point.undefined_claim]
    try:
        exact = [_sample(spec, claim, true, point, _Arithmetic(None), needs)
                 for point in everything]
    except _InexactError:
        exact = None
        everything = points + kinks.points + kinks.at_edges + kinks.at_kinks
    result = _Numbers(points_checked=len(everything))
    if exact is not None:
        result.arithmetic, result.digits, result.working_digits = "rational", None, None
        result.samples = exact[:len(points)]
        for sample in exact:
            if sample.true is None:
                continue
            if sample.claim is None or sample.claim != sample.true:
                example = _counterexample(sample, slopes)
                if _a_subgradient(sample, example, true, slopes):  # (another value there, or none)
                    result.on_kinks = result.on_kinks or example  # (a convention there)
                    result.differing_on_kinks += 1
                    continue
                result.differing = example
                return result
        result.differing = _one_convention(exact, true, slopes)
        result.agreed = result.differing is None
        return result
    on_kink = {id(point) for point in kinks.at_kinks}
    digits, done = FIRST_DIGITS, 0
    try:
        with time_budget(NUMERIC_SECONDS):
            while True:
                more = digits + max(10, digits // 4)
                low = [_sample(spec, claim, true, point, _Arithmetic(digits), needs,
                               id(point) in on_kink) for point in everything]
                high = [_sample(spec, claim, true, point, _Arithmetic(more), needs,
                                id(point) in on_kink) for point in everything]
                decided = [not (a.walker and a.walker.undecided or b.walker and b.walker.undecided)
                           for a, b in zip(low, high)]
                low = [sample for sample, kept in zip(low, decided) if kept]
                high = [sample for sample, kept in zip(high, decided) if kept]
                result.points_checked, result.undecided = len(high), decided.count(False)
                if not result.samples:
                    result.samples = low[:len(points)]
                result.working_digits = more
                needed = CHECK_DIGITS + math.ceil(max(s.needed for s in low))
                result.needed = needed
                states = [_compare(a, b, digits, more, needed) for a, b in zip(low, high)]
                result.on_kinks, result.differing_on_kinks = None, 0
                for index, ((state, _), sample) in enumerate(zip(states, high)):
                    if state != "differs":
                        continue
                    example = _counterexample(sample, slopes)
                    if _a_subgradient(sample, example, true, slopes):  # (a convention there)
                        result.on_kinks = result.on_kinks or example
                        result.differing_on_kinks += 1
                        states[index] = ("agrees", needed)
                        continue
                    result.differing = example
                    result.digits = digits
                    return result
                result.too_large = any(s.claim is _TooLargeError for s in high)
                result.agreed_digits = min(d for _, d in states)
                if all(state == "agrees" for state, _ in states):
                    result.differing = _one_convention(high, true, slopes)
                    if result.differing is not None:
                        result.digits = digits
                        return result
                    result.agreed, result.digits = True, needed
                    return result
                done += 1
                if (rounds is not None and done >= rounds) or digits >= MAX_WORKING_DIGITS \
                        or result.too_large or (reachable_only and needed > MAX_WORKING_DIGITS):
                    return result
                digits = min(MAX_WORKING_DIGITS, max(2 * digits, needed + 15))
    except OverBudget:
        result.out_of_time = True
        return result


def _sample(spec, claim, true, point: _Point, arithmetic: _Arithmetic, needs=(),
            on_kink: bool = False) -> _Sample:
    """Claim and truth at the point; the claim is undefined (None) where what it needs as
    written fails (a denominator 0, sqrt or log outside their domain). On a kink in
    rounded arithmetic (``on_kink``) every branch is decided in exact rationals, from the
    point's exact coordinates (the walker is ``undecided`` where that cannot be done)."""
    if arithmetic.exact and any(isinstance(v, _Place) for v in point.free.values()):
        return _closed_form_sample(spec, claim, true, point, needs)
    context = nullcontext() if arithmetic.exact else mpmath.workdps(arithmetic.digits)
    with context:
        try:
            values, inputs = _forward(spec, point, arithmetic)
        except _UndefinedError:
            return _Sample(None, None, {}, 0.0, None)
        exact = _exact_walker(spec, point) if on_kink and not arithmetic.exact else None
        walker = _Walker(arithmetic, values, _activation(spec), track=True, exact=exact,
                         on_kink=on_kink)
        try:
            claimed = walker.value(claim)
        except _UndefinedError:
            claimed = None
        except (_TooLargeError, _UnsettledError) as error:
            claimed = type(error)
        walker.track = False
        if _evaluated(claimed):
            defined = _defined_as_written(walker, needs)
            claimed = claimed if defined else None if defined is False else _UnsettledError
        try:
            truth = walker.value(true)
        except (_UndefinedError, _TooLargeError):
            truth = None
        if point.undefined_claim:
            claimed = None
        return _Sample(claimed, truth, inputs, walker.needed, walker)


def _closed_form_sample(spec, claim, true, point: _Point, needs=()) -> _Sample:
    """Claim and truth at a point with an irrational coordinate (√2, a kink's place), in
    exact arithmetic: from the point's closed forms, decided by SymPy — a relu claim off
    only by Heaviside(−(z1² − 2)²) is 1/2 off at z1 = √2, which the place's 60-digit
    Fraction would miss. What SymPy cannot decide moves the check to rounded arithmetic
    (_InexactError)."""
    exact_values, inputs = _forward(spec, point, _Arithmetic(None))
    closed_forms, _ = _forward(spec, point, _Arithmetic(None, symbolic=True))
    activation = _activation(spec)

    def at(expr):
        return expr.xreplace(closed_forms).replace(sigma, activation.at).replace(
            dsigma, activation.derivative_at)

    def sign(value) -> int:
        if not value.is_number or value.has(sympy.zoo, sympy.nan) or value.is_real is False:
            raise _UndefinedError
        if value.is_zero or (value.is_zero is None and _step(_simplifies_to_zero, value)):
            return 0
        number = sympy.N(value, 60)
        if number.is_real and abs(number) > sympy.Float(10) ** -50:
            return 1 if number > 0 else -1
        raise _InexactError

    def fraction(value, digits: int = 80) -> Fraction:
        return Fraction(str(sympy.N(value, digits)))

    for name, value in list(exact_values.items()):  # (z2 = w a1 + b at a place where it is 0:
        # on σ's corner exactly, where σ' is a convention, which _on_kinks reads off here)
        if not isinstance(value, Fraction) or name not in closed_forms:
            continue
        for corner in map(_fraction, activation.corners):
            if value != corner and abs(value - corner) < Fraction(1, 10**40):
                try:
                    if sign(closed_forms[name] - corner) == 0:
                        exact_values[name] = corner
                except (_InexactError, _UndefinedError):
                    pass
    walker = _Walker(_Arithmetic(None), exact_values, activation)
    truth = at(true)
    try:
        sign(truth)
    except _UndefinedError:
        return _Sample(None, None, inputs, 0.0, walker)
    claimed = at(claim)
    try:
        sign(claimed)
        defined = all(_RELATIONS[relation](sign(at(u))) for relation, u in needs)
    except _UndefinedError:
        defined = False
    if not defined or point.undefined_claim:
        return _Sample(None, fraction(truth), inputs, 0.0, walker)
    if sign(claimed - truth) == 0:
        return _Sample(fraction(truth), fraction(truth), inputs, 0.0, walker)
    claimed, truth = fraction(claimed), fraction(truth)
    if claimed == truth:
        raise _InexactError
    return _Sample(claimed, truth, inputs, 0.0, walker, rounded_to=80)


def _simplifies_to_zero(expr: sympy.Expr) -> bool:
    """Whether SymPy shows ``expr`` is 0: at once, or by simplify on a small form (only
    there: simplify can run long on a large one; call it under ``_step``'s budget)."""
    if expr == 0 or expr.is_zero:
        return True
    return sympy.count_ops(expr) <= 20 * SIMPLE and sympy.simplify(expr) == 0


def _exactly_zero(expr, closed_forms: dict, activation) -> bool:
    """Whether SymPy shows ``expr`` 0 with the names' closed forms put in (σ and σ' written
    out): tanh(1) − tanh(1), not a rounding of it."""
    written = expr.xreplace(closed_forms).replace(sigma, activation.at).replace(
        dsigma, activation.derivative_at)
    # (a1 + y at y = −σ(z1): the place's closed form and the name's are written apart)
    return written.is_zero if written.is_zero is not None else _simplifies_to_zero(written)


def _exact_walker(spec, point: _Point) -> _Walker | None:
    """The exact walker of a point on a kink: every name's exact rational where it has one,
    and every name's closed form (for what SymPy can still decide: a1 − tanh(1) at z1 = 1
    is 0); None if the point's numbers are too large for exact arithmetic."""
    closed_forms, _ = _forward(spec, point, _Arithmetic(None, symbolic=True))
    values = {}
    for name, value in closed_forms.items():
        if value.is_Rational:
            try:
                values[name] = _checked(_fraction(value))
            except _InexactError:
                return None
        else:
            values[name] = _UNKNOWN
    walker = _Walker(_Arithmetic(None), values, _activation(spec))
    walker.closed_forms = closed_forms
    return walker


_RELATIONS = {">": lambda v: v > 0, ">=": lambda v: v >= 0, "!=": lambda v: v != 0}


def _defined_as_written(walker: _Walker, needs) -> bool | None:
    """Whether every need of the claim as written holds at the walker's point; None when
    one fails only by rounding (its value lost its digits to a cancellation)."""
    for relation, u in needs:
        gauge = walker if walker.arithmetic.exact else \
            _Walker(walker.arithmetic, walker.values, walker.activation, track=True,
                    exact=walker.exact, on_kink=walker.on_kink)
        try:
            if not _RELATIONS[relation](gauge.value(u)):
                return None if gauge.lost() else False
        except _UndefinedError:
            return False
        except _UnsettledError:
            return None
        except _TooLargeError:
            continue  # (too large to evaluate, so not 0)
    return True


def _evaluated(claimed) -> bool:
    """Whether a sample's claim is a number (not undefined, too large or unsettled)."""
    return claimed is not None and claimed is not _TooLargeError and \
        claimed is not _UnsettledError


def _compare(low: _Sample, high: _Sample, digits: int, more: int, needed: int):
    """("differs" | "agrees" | "open", digits agreed) at one point, from its values at two
    working precisions: each value is trusted to where the two precisions agree."""
    if high.true is None or low.true is None:
        return "agrees", needed  # the truth itself is undefined at this (kink) point
    if low.claim is None and high.claim is None:
        return "differs", 0
    if any(not _evaluated(s.claim) for s in (low, high)):
        return "open", 0
    with mpmath.workdps(more):
        scale = max(abs(high.claim), abs(high.true))
        if scale == 0:
            return "agrees", needed
        error = (abs(low.claim - high.claim) + abs(low.true - high.true)
                 + scale * mpmath.mpf(10) ** (3 - digits))
        difference = abs(high.claim - high.true)
        if difference > 2 * error:
            if low.walker.wiped and high.walker.wiped:  # a sum inside lost every digit at
                return "open", 0  # both precisions alike (1 − σ(10^30) is 0 at any reached)
            return "differs", 0
        agreed = int(-mpmath.log10((difference + error) / scale))
        if difference + error <= scale * mpmath.mpf(10) ** -needed:
            return "agrees", agreed
        return "open", max(0, agreed)


def _counterexample(sample: _Sample, slopes: dict | None = None) -> Counterexample:
    digits = sample.walker.arithmetic.digits if sample.walker is not None else None
    if digits is None:  # exact: enough digits to show the relative difference
        digits = FIRST_DIGITS
        claimed, true = sample.claim, sample.true
        if isinstance(claimed, Fraction) and true and claimed != true:
            relative = abs(claimed - true) / abs(true)
            if relative < 1:
                shortfall = relative.denominator.bit_length() - relative.numerator.bit_length()
                digits = min(MAX_WORKING_DIGITS, FIRST_DIGITS + int(shortfall * _LOG10_2))
    with mpmath.workdps(digits):
        point = {name: _shown_number(value) for name, value in sample.inputs.items()}
        claimed = None if sample.claim is None else _shown_number(sample.claim)
        return Counterexample(point, claimed, _shown_number(sample.true), digits,
                              _on_kinks(sample, slopes))


def _a_subgradient(sample: _Sample, example: Counterexample, true, slopes: dict) -> bool:
    """Whether a claim that differs from the truth at a point whose preactivations sit on
    corners of σ (``example.on_kinks``) is the truth with a subgradient there: some value
    between σ's one-sided slopes in place of each such σ'(z), or no value at all (the claim
    undefined only there). The truth is affine in each σ'(z), so its values over those
    choices fill the interval between its values at the slopes' ends: relu's
    Heaviside(z) = 1/2 at 0 passes, a claim 500 there does not. Where σ jumps no slope
    lies between, and only the truth's own value passes. In rounded arithmetic the ends
    are widened by the working precision's last digits only."""
    if not example.on_kinks or sample.claim is None:  # (no value is no convention: an
        return False  # autodiff gives one, and δ has one at most points of a corner)
    walker, activation = sample.walker, sample.walker.activation
    ends = []
    for z, place, _ in example.on_kinks:
        sides = activation.corner_slopes.get(place)
        if sides is None:
            return False
        ends.append([(z, side) for side in sides])
    digits = walker.arithmetic.digits
    with nullcontext() if digits is None else mpmath.workdps(digits):
        values = [walker.value(true.xreplace({form: slope for z, slope in choice
                                              for form in slopes[z]}))
                  for choice in itertools.product(*ends)]
        low, high = min(values), max(values)
        slack = _slack(sample, max(1, abs(low), abs(high)))
        return low - slack <= sample.claim <= high + slack


def _one_convention(samples: list[_Sample], true, slopes: dict) -> Counterexample | None:
    """The first point where the claim leaves the one value of σ' it takes at a corner
    elsewhere, as a counterexample; None if it keeps one everywhere. On a corner any
    value between σ's one-sided slopes is a convention, but one value, the same at every
    point (as an autodiff's relu'(0)): the truth is affine in each σ'(z), so each point
    with one preactivation on a corner (where the truth depends on its σ') fixes the
    share t of the way from the left slope to the right one the claim takes there, and
    every other point on that corner must take the same t — a residual claim that is a
    subgradient at w2 = 1/2 and another at w2 = 2 is no convention. Points with several
    preactivations on corners at once must be the truth with each of those shares."""
    known: dict = {}  # (z, place) -> (t, its uncertainty, the sample that fixed it)
    usable = [s for s in samples if s.walker is not None and s.true is not None
              and _evaluated(s.claim)]
    on = {id(s): _on_kinks(s, slopes) for s in usable}
    for sample in sorted((s for s in usable if on[id(s)]), key=lambda s: len(on[id(s)])):
        corners, walker = on[id(sample)], sample.walker
        sides = [walker.activation.corner_slopes.get(place) for _, place, _ in corners]
        if any(side is None for side in sides):
            continue  # (a jump: only the truth's own value passes, checked apart)
        keys = [(z, place) for z, place, _ in corners]
        if len(keys) > 1 and any(key not in known for key in keys):
            continue
        digits = walker.arithmetic.digits
        with mpmath.workdps(digits or FIRST_DIGITS):
            values = {ends: walker.value(true.xreplace(
                {form: side[end] for (z, _), side, end in zip(keys, sides, ends)
                 for form in slopes[z]})) for ends in itertools.product((0, 1), repeat=len(keys))}
            scale = max([1, abs(sample.claim), *map(abs, values.values())])
            slack = _slack(sample, scale)
            if len(keys) == 1:
                low, high = values[(0,)], values[(1,)]
                spread = high - low
                if abs(spread) <= 1000 * slack:
                    continue  # (the truth does not depend on this σ' here)
                here = (sample.claim - low) / spread
                if keys[0] not in known:
                    known[keys[0]] = (here, slack / abs(spread), sample)
                    continue
                share, uncertainty, fixed = known[keys[0]]
                predicted, allowed = low + share * spread, slack + uncertainty * abs(spread)
            else:
                here, predicted, allowed = None, 0, slack
                for ends, value in values.items():
                    weight = 1
                    for key, end in zip(keys, ends):
                        share, uncertainty, fixed = known[key]
                        weight *= share if end else 1 - share
                        allowed += uncertainty * abs(value)
                    predicted += weight * value
            if abs(sample.claim - predicted) <= allowed:
                continue
            share, _, fixed = known[keys[0]]
            left, right = (_shown_number(side) for side in sides[0])
            return dataclasses.replace(_counterexample(sample, slopes), convention=(
                None if here is None else _shown_number(here) * (right - left) + left,
                _shown_number(share) * (right - left) + left,
                _counterexample(fixed, slopes).point))
    return None


def _slack(sample: _Sample, scale):
    """How far a sample's values may be from exact: nothing in exact rationals (to
    ``rounded_to`` digits at an irrational point), else the working precision's last
    digits."""
    digits = sample.walker.arithmetic.digits
    if digits is None:
        return 0 if sample.rounded_to is None else \
            Fraction(1, 10 ** (sample.rounded_to - 20)) * scale
    return mpmath.mpf(10) ** (10 - digits) * scale


def _shown_number(value) -> mpmath.mpf:
    """A Fraction, SymPy number or mpf as an mpf at the working precision."""
    if isinstance(value, Fraction):
        return mpmath.mpf(value.numerator) / value.denominator
    if isinstance(value, sympy.Basic):
        return mpmath.mpf(str(sympy.N(value, mpmath.mp.dps)))
    return mpmath.mpf(value)


def _on_kinks(sample: _Sample, slopes: dict | None
              ) -> tuple[tuple[sympy.Symbol, sympy.Expr, sympy.Expr], ...]:
    """The preactivations of a sample whose σ' the truth holds (``slopes``) that sit exactly
    on a kink of σ where σ has no derivative (its one-sided slopes differ; σ' there is a
    convention: the slope of the piece that holds there), with that kink and symgrad's σ'
    at it. (A z drawn exactly: a Fraction, or the mpf of one.)"""
    walker = sample.walker
    if walker is None:
        return ()
    activation = walker.activation
    found = []
    for symbol in slopes or ():
        value = walker.values.get(symbol)
        if isinstance(value, mpmath.mpf) and mpmath.isfinite(value):
            mantissa, exponent = value.man_exp
            value = Fraction(int(mantissa)) * Fraction(2) ** int(exponent)
        if isinstance(value, Fraction):
            place = sympy.Rational(value.numerator, value.denominator)
            if place in activation.corners:
                found.append((symbol, place, activation.derivative_at(place)))
    return tuple(sorted(found, key=lambda entry: str(entry[0])))


def _equals(subject: _Subject, target: str, numbers: _Numbers,
            correct: bool = True) -> tuple[str, ...]:
    """The other quantities the claim equals at every point (to CHECK_DIGITS digits), at
    the first round's values: each quantity tried at one point first."""
    samples = [s for s in numbers.samples if s.walker is not None]
    if not samples or any(not _evaluated(s.claim) for s in samples):
        return ()
    truth = subject.quantities[target]
    found = []
    for name, expr in subject.quantities.items():
        if name != target and all(_close(s, _quantity(s, expr)) for s in samples):
            if not correct and all(_close(s, _quantity(s, expr), _quantity(s, truth))
                                   for s in samples):
                continue  # the truth under another name (∂C/∂b_l is δ_l): not "instead"
            found.append(name)
    return tuple(found)


def _quantity(sample: _Sample, expr):
    """A quantity of the chain at the sample's point, in the sample's arithmetic (None if
    it cannot be evaluated there)."""
    digits = sample.walker.arithmetic.digits
    with nullcontext() if digits is None else mpmath.workdps(digits):
        try:
            return sample.walker.value(expr)
        except (_UndefinedError, _TooLargeError, _InexactError):
            return None


def _close(sample: _Sample, value, claimed=None) -> bool:
    claimed = sample.claim if claimed is None else claimed
    if value is None:
        return False
    if isinstance(claimed, Fraction) and isinstance(value, Fraction):
        return claimed == value
    with mpmath.workdps(FIRST_DIGITS):
        claimed, value = mpmath.mpf(claimed) if not isinstance(claimed, Fraction) else \
            mpmath.mpf(claimed.numerator) / claimed.denominator, \
            mpmath.mpf(value) if not isinstance(value, Fraction) else \
            mpmath.mpf(value.numerator) / value.denominator
        return abs(claimed - value) <= mpmath.mpf(10) ** -CHECK_DIGITS * max(abs(claimed),
                                                                             abs(value))


_MOST_DIGITS = 1e12  # "more than can ever be reached"


def _bits_to_digits(bits) -> float:
    """Decimal digits of a count of bits (a Python int of any size, or an mpmath number),
    at least 0 and at most _MOST_DIGITS."""
    if bits != bits or bits <= 0:
        return 0.0
    return min(float(min(bits, 10**13)) * _LOG10_2, _MOST_DIGITS)


_ANALYTIC = {sympy.exp: mpmath.exp, sympy.log: mpmath.log, sympy.tanh: mpmath.tanh,
             sympy.sinh: mpmath.sinh, sympy.cosh: mpmath.cosh, sympy.atan: mpmath.atan,
             sympy.erf: mpmath.erf, sympy.erfc: mpmath.erfc}
_COMPARE = {sympy.StrictLessThan: lambda a, b: a < b, sympy.LessThan: lambda a, b: a <= b,
            sympy.StrictGreaterThan: lambda a, b: a > b, sympy.GreaterThan: lambda a, b: a >= b,
            sympy.Eq: lambda a, b: a == b, sympy.Ne: lambda a, b: a != b}


class _Walker:
    """Evaluates SymPy expressions node by node (each node once) in exact rationals or at
    mpmath's working precision, refusing what cannot be done in bounded time and memory,
    and, with ``track``, recording the digits the expression's own structure needs
    (``needed``): a term small beside the others in a sum, a cancellation, a long literal,
    a function or power that hardly depends on its argument there, a comparison close to
    its kink."""

    def __init__(self, arithmetic: _Arithmetic, values: dict, activation, track: bool = False,
                 exact: _Walker | None = None, on_kink: bool = False):
        self.arithmetic, self.values, self.activation = arithmetic, values, activation
        self.track, self.needed, self.memo = track, 0.0, {}
        self.wiped = False  # a sum of nonzero terms came out exactly 0 (mpmath only)
        # on a kink (``on_kink``) every branch (abs, sign, max, min, Heaviside, a piece's
        # condition) is decided in exact rationals by ``exact``, the same point's exact
        # walker: the rounded digits of a kink's argument, 0 there, decide nothing. A
        # branch exact rationals cannot decide leaves the point ``undecided``.
        self.exact, self.on_kink, self.undecided = exact, on_kink, False
        self.closed_forms: dict | None = None  # (an exact walker's: its names' SymPy values)

    def value(self, expr):
        try:
            found = self.memo[expr]
        except KeyError:
            pass
        else:
            if found is None:  # (an exact walker's failure, remembered)
                raise _InexactError
            return found
        exact = self.exact.known(expr) if self.on_kink and self.exact is not None else None
        if exact is not None:  # (rounded only at the end: no cancellation, no digit demand)
            found = self.memo[expr] = self.arithmetic.rational(exact)
            return found
        found = self.memo[expr] = self._value(expr)
        return found

    def known(self, expr) -> Fraction | None:
        """The exact value (an exact walker), or None where exact rationals cannot hold it
        (tanh of a rational, too many bits); undefined (1/0) is raised."""
        try:
            return self.value(expr)
        except (_InexactError, _TooLargeError):
            self.memo[expr] = None  # (not tried again: a failure below fails every parent)
            return None

    def _note(self, digits) -> None:
        """Record that ``digits`` (a float, or a count of bits times log10 2) are needed."""
        digits = min(float(digits), _MOST_DIGITS) if digits == digits else _MOST_DIGITS
        if self.track and digits > self.needed:
            self.needed = digits

    def _exact(self) -> bool:
        return self.arithmetic.exact

    def lost(self) -> bool:
        """Whether a value so far may have lost every digit to rounding (a sum of terms
        that cancelled to 0, or past the working digits): only when tracking."""
        return not self._exact() and self.track and (
            self.wiped or self.needed >= mpmath.mp.dps - 5)

    def _undefined(self):
        """Raise: undefined here — or, where rounding may have put the value at the edge,
        unsettled."""
        raise _UnsettledError if self.lost() else _UndefinedError

    def _decided(self, expr) -> Fraction | None:
        """On a kink: a number with the sign of a branch's argument there (0 only if it is
        exactly 0), or None, and the point is undecided. Elsewhere None: the branch is
        decided by the rounded value. The exact value where exact rationals hold it; else
        the sign of the rounded value, if the argument's own digit demand (a cancellation,
        a term small beside the others) is within half the working digits: a branch far
        from its kink (Heaviside(a1 − 1/2) at a kink of z2) cannot be flipped by rounding."""
        if not self.on_kink:
            return None
        if self.exact is not None:
            try:
                exact = self.exact.known(expr)
            except _UndefinedError:
                exact = None
            if exact is not None:
                return exact
        if not self._exact():
            gauge = _Walker(self.arithmetic, self.values, self.activation, track=True)
            try:
                u = gauge.value(expr)
            except (_InexactError, _UndefinedError, _TooLargeError):
                u = 0
            if u != 0 and not gauge.wiped and gauge.needed < mpmath.mp.dps / 2:
                return Fraction(1 if u > 0 else -1)
        if self.exact is not None and self.exact.closed_forms is not None and \
                _step(_exactly_zero, expr, self.exact.closed_forms, self.activation):
            return Fraction(0)
        self.undecided = True
        return None

    def _value(self, expr):
        if expr.is_Symbol:
            found = self.values[expr]
            if found is _UNKNOWN:
                raise _InexactError
            return found
        if expr.is_Rational:
            if self.track and (expr.q != 1 or abs(expr.p) > 1):
                self._note(_bits_to_digits(int(abs(expr.p)).bit_length() + int(expr.q).bit_length()))
            return self.arithmetic.rational(expr)
        if expr is sympy.pi or expr is sympy.E:
            if self._exact():
                raise _InexactError
            return mpmath.pi() if expr is sympy.pi else mpmath.e()
        if expr.is_Add:
            return self._sum([self.value(term) for term in expr.args])
        if expr.is_Mul:
            total = 1
            for factor in expr.args:
                total = total * self.value(factor)
                if self._exact():
                    total = _checked(total)
            return total
        if expr.is_Pow:
            return self._power(expr)
        function = expr.func
        if function in _ANALYTIC:
            return self._analytic(function, self.value(expr.args[0]))
        if function is sigma or function is dsigma:
            return self._activation(function, expr.args[0])
        if function is sympy.Abs:
            exact = self._decided(expr.args[0])
            if exact is not None:
                return -self.value(expr.args[0]) if exact < 0 else \
                    self.value(expr.args[0]) if exact > 0 else self.arithmetic.rational(exact)
            return abs(self.value(expr.args[0]))
        if function is sympy.sign:
            exact = self._decided(expr.args[0])
            u = self.value(expr.args[0]) if exact is None else exact
            return (u > 0) - (u < 0)
        if function in (sympy.Max, sympy.Min):
            return self._extreme(expr)
        if function is sympy.Heaviside:
            exact = self._decided(expr.args[0])
            u = self.value(expr.args[0]) if exact is None else exact
            if u == 0:
                return self.value(expr.args[1]) if len(expr.args) > 1 else self.arithmetic.rational(
                    sympy.S.Half)
            return self.arithmetic.rational(sympy.S.One if u > 0 else sympy.S.Zero)
        if function is sympy.Piecewise:
            for piece, condition in expr.args:
                if self._truth(condition):
                    return self.value(piece)
            raise _UndefinedError
        raise _UndefinedError(f"cannot evaluate {function}")

    def _activation(self, function, argument):
        """σ or σ' of the argument: the activation's formula in a walker of its own (on a
        kink, with the argument's exact value for σ's own branches)."""
        formula = self.activation.expr if function is sigma else self.activation.derivative
        exact = None
        if self.on_kink and self.exact is not None:
            known = self.exact.known(argument)
            if known is not None:
                exact = _Walker(self.exact.arithmetic, {VARIABLE: known}, self.activation)
        inner = _Walker(self.arithmetic, {VARIABLE: self.value(argument)}, self.activation,
                        self.track, exact, self.on_kink)
        found = inner.value(formula)
        self._note(inner.needed)
        self.wiped = self.wiped or inner.wiped
        self.undecided = self.undecided or inner.undecided
        return found

    def _on_kink_value(self, expr):
        """An argument's value on a kink: exactly 0 where its sign is decided 0 (z1 − √2 at
        the place of √2, which the rounded coordinate only comes close to), else as any."""
        if self.exact is None or self.exact.known(expr) is not None:
            return self.value(expr)
        return self.arithmetic.rational(Fraction(0)) if self._decided(expr) == 0 else \
            self.value(expr)

    def _extreme(self, expr):
        """max or min of the arguments (on a kink, the largest or smallest told by the
        decided signs of their differences)."""
        arguments = expr.args
        if self.on_kink:
            chosen, larger = arguments[0], 1 if expr.func is sympy.Max else -1
            for argument in arguments[1:]:
                exact = self._decided(argument - chosen)
                if exact is None:
                    break
                if exact * larger > 0:
                    chosen = argument
            else:
                return self._on_kink_value(chosen)
        values = [self.value(argument) for argument in arguments]
        # (no digits to tell close arguments apart: max and min are continuous, so the
        # one picked is within the rounding of the other — max(1, 1) needs no digit)
        return max(values) if expr.func is sympy.Max else min(values)

    def _sum(self, values):
        total = 0
        for value in values:
            total = total + value
        if self._exact():
            return _checked(total)
        if total == 0 and sum(1 for value in values if value != 0) >= 2:
            self.wiped = True
        if self.track:
            magnitudes = [mpmath.mag(v) for v in values if v != 0]
            if len(magnitudes) >= 2:
                spread = _bits_to_digits(max(magnitudes) - min(magnitudes))
                lost = mpmath.mp.dps if total == 0 else _bits_to_digits(
                    max(magnitudes) - mpmath.mag(total))
                self._note(spread + lost)
        return total

    def _closeness(self, first, second) -> None:
        """A comparison of two values close to each other needs the digits that tell them
        apart."""
        if not self.track or self._exact() or (first == 0 and second == 0):
            return
        if first == second:
            self._note(mpmath.mp.dps)
            return
        big = max(mpmath.mag(first) if first else -math.inf,
                  mpmath.mag(second) if second else -math.inf)
        self._note(_bits_to_digits(big - mpmath.mag(first - second)))

    def _truth(self, condition) -> bool:
        if condition is sympy.true:
            return True
        if condition is sympy.false:
            return False
        if isinstance(condition, sympy.And):
            return all(self._truth(c) for c in condition.args)
        if isinstance(condition, sympy.Or):
            return any(self._truth(c) for c in condition.args)
        if isinstance(condition, sympy.Not):
            return not self._truth(condition.args[0])
        if isinstance(condition, sympy.ITE):
            return self._truth(condition.args[1] if self._truth(condition.args[0]) else
                               condition.args[2])
        compare = _COMPARE.get(type(condition))
        if compare is None:
            raise _UndefinedError(f"cannot evaluate {condition}")
        if self.on_kink:
            exact = self._decided(condition.lhs - condition.rhs)
            if exact is not None:
                return bool(compare(exact, 0))
        left, right = self.value(condition.lhs), self.value(condition.rhs)
        self._closeness(left, right)
        return bool(compare(left, right))

    def _power(self, expr):
        base = self.value(expr.base)
        exponent = expr.exp
        if exponent.is_Integer:
            n = int(exponent)
            if base == 0 and n < 0:
                self._undefined()
            if self._exact():
                size = base.numerator.bit_length() + base.denominator.bit_length()
                if size * abs(n) > MAX_EXACT_BITS:
                    raise _InexactError
                return _checked(base ** n)
            return base ** n
        if self._exact():
            if exponent == sympy.S.Half and base >= 0:
                top, bottom = math.isqrt(base.numerator), math.isqrt(base.denominator)
                if top * top == base.numerator and bottom * bottom == base.denominator:
                    return Fraction(top, bottom)
            raise _InexactError
        e = self.value(exponent)
        if base < 0:
            self._undefined()
        if base == 0:
            if e > 0:
                return mpmath.mpf(0)
            self._undefined()
        logarithm = mpmath.log(base)
        product = e * logarithm
        if product != 0 and mpmath.mag(product) > MAX_ARGUMENT_BITS:
            raise _TooLargeError
        if self.track and product != 0 and abs(product) < 1:
            self._note(_bits_to_digits(-mpmath.mag(product)))
        return mpmath.exp(product)

    def _analytic(self, function, u):
        if self._exact():
            if u == 0 and function in (sympy.exp, sympy.cosh):
                return Fraction(1)
            if u == 0 and function in (sympy.tanh, sympy.sinh, sympy.atan, sympy.erf):
                return Fraction(0)
            if u == 1 and function is sympy.log:
                return Fraction(0)
            raise _InexactError
        if function is sympy.log and u <= 0:
            self._undefined()
        if u != 0 and mpmath.mag(u) > MAX_ARGUMENT_BITS:
            raise _TooLargeError
        evaluate = _ANALYTIC[function]
        found = evaluate(u)
        if self.track and u != 0 and found != 0:
            self._note(self._flatness(evaluate, u))
        return found

    def _flatness(self, evaluate, u) -> float:
        """Digits to tell f(u) from f at a nearby argument: -log10 of the condition number
        |u f'(u) / f(u)| where it is below 1 (tanh(50), exp(10**-40)), measured at twice the
        working digits."""
        digits = mpmath.mp.dps
        with mpmath.workdps(2 * digits):
            step = mpmath.mpf(10) ** -digits
            here, near = evaluate(u), evaluate(u * (1 + step))
            change = abs(near - here)
            if change == 0:
                return digits
            condition = change / (step * abs(here))
            return _bits_to_digits(-mpmath.mag(condition))


def _layer_output(chain: ScalarChain, previous, activated):
    """a_k from a_{k-1} and σ(z_k) by a layer kind with no numbers of its own (plain,
    residual), on any number kind."""
    return chain.layer.simple[0](previous, activated)


def _gated_layer(chain: ScalarChain, n: int, previous: sympy.Expr,
                 activated: sympy.Expr) -> dict:
    """Layer n's gates and a_n by its kind's one definition (a highway's t_n and a_n), as
    SymPy expressions of a_{n-1} (``previous``), σ(z_n) (``activated``) and the layer's own
    parameters p_n, q_n; a gate's sigmoid written out, 1/(1 + e^-u)."""
    form = chain.layer.bound_form
    rule = {form.previous: previous, form.activated: activated}
    rule.update({sympy.Symbol(name, real=True): layer_symbol(name, n)
                 for name in chain.layer.parameters})
    found = {}
    for gate, preactivation in form.gates.items():
        rule[gate] = found[layer_symbol(gate.name, n)] = \
            sigmoid(preactivation.xreplace(rule)).rewrite(sympy.exp)
    found[layer_symbol("a", n)] = form.output.xreplace(rule)
    return found


_ACTIVATED = sympy.Symbol("activated", real=True)  # σ(z_n) in a gated layer's forward step


def _gated_values(chain: ScalarChain, n: int, activated, values: dict,
                  arithmetic: _Arithmetic) -> dict:
    """Layer n's gates and a_n at the point (``values`` holds a_{n-1} and the layer's
    parameters), in the point's arithmetic."""
    quantities = _gated_layer(chain, n, layer_symbol("a", n - 1), _ACTIVATED)
    known = {**values, _ACTIVATED: activated}
    if arithmetic.symbolic:
        return {name: expr.xreplace(known) for name, expr in quantities.items()}
    walker = _Walker(arithmetic, known, chain.activation)
    return {name: walker.value(expr) for name, expr in quantities.items()}


def _walkable(expr: sympy.Expr, sigma_at: Callable | None = None) -> sympy.Expr:
    """A cell's step expression as the walker reads it: each gate's sigmoid written through
    its own rewrite, 1/(1 + e^-u), and with ``sigma_at`` the rnn's σ written in."""
    written = expr.replace(sigmoid, lambda u: sigmoid(u).rewrite(sympy.exp))
    return written if sigma_at is None else written.replace(sigma, sigma_at)


def _cell_forward(net: RecurrentNet, free: dict, arithmetic: _Arithmetic):
    """A recurrent cell's forward pass at the point: every step's quantities by the cell's
    own definition (``CellKind.quantities``, the one the derivation differentiates), in
    the point's arithmetic; and the point as shown (the parameters by their plain names,
    x_1..x_T, the initial state and y)."""
    kind, activation = net.cell, _activation(net)
    values, inputs = {}, {}
    for name, symbol in zip(kind.parameters, kind.parameter_symbols, strict=True):
        values[symbol] = inputs[name] = free[symbol.name]
    for name in [f"x{t}" for t in range(1, net.steps + 1)] + [f"{s}0" for s in kind.state] + ["y"]:
        values[sympy.Symbol(name, real=True)] = inputs[name] = free[name]
    walker = None if arithmetic.symbolic else _Walker(arithmetic, values, activation)
    for t in range(1, net.steps + 1):
        for symbol, expr in kind.quantities(t):
            if arithmetic.symbolic:  # (the closed forms: σ written in, exactly)
                values[symbol] = _walkable(expr, activation.at).xreplace(values)
            else:
                values[symbol] = walker.value(_walkable(expr))
    return values, inputs
