"""Independent oracles: the composed network in SymPy, and a forward pass in mpmath.

Nothing here uses symgrad's derivation; only the activation's defining formula
(the spec) is shared, and the mpmath forward pass does not even share that. (One
library function is FLINT's rather than mpmath's: erf of large arguments at high
precision, ``_erf``.)
"""

from __future__ import annotations

import random

import flint
import mpmath
import sympy

from symgrad.activations import VARIABLE


def _erf(x: mpmath.mpf) -> mpmath.mpf:
    """erf(x) to mpmath's working precision: mpmath's own, but where its series takes
    milliseconds a call (|x| ≥ 8 at over 200 bits: 13 ms at |x| = 40, 1,500 bits, where
    deep residual gelu chains go) FLINT's Arb's: x exactly as a ball, erf 30 bits beyond,
    the midpoint rounded to the working bits."""
    if abs(x) < 8 or mpmath.mp.prec <= 200:
        return mpmath.erf(x)
    sign, mantissa, exponent, _ = mpmath.mpf(x)._mpf_
    before = flint.ctx.prec
    flint.ctx.prec = mpmath.mp.prec + 30
    try:
        value = flint.arb((flint.fmpz(int(-mantissa if sign else mantissa)),
                           flint.fmpz(int(exponent))))
        result = value.erf()
        assert result.rel_accuracy_bits() >= mpmath.mp.prec + 10
        man, exp = result.mid().man_exp()
    finally:
        flint.ctx.prec = before
    return mpmath.mpf((int(man), int(exp)))


# The activations written again, directly in mpmath, for a forward pass that
# shares no code with symgrad.
MPMATH_ACTIVATIONS = {
    "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
    "tanh": mpmath.tanh,
    "relu": lambda z: z if z > 0 else mpmath.mpf(0),
    "leaky_relu:0.1": lambda z: z if z > 0 else z / 10,
    "leaky_relu": lambda z: z if z > 0 else z / 100,
    "elu": lambda z: z if z > 0 else mpmath.exp(z) - 1,
    "elu:0.5": lambda z: z if z > 0 else (mpmath.exp(z) - 1) / 2,
    "softplus": lambda z: mpmath.log(1 + mpmath.exp(z)),
    "gelu": lambda z: z / 2 * (1 + _erf(z / mpmath.sqrt(2))),
    "silu": lambda z: z / (1 + mpmath.exp(-z)),
    "linear": lambda z: z,
}


def mp_cost(cost: str, output, target):
    if cost == "quadratic":
        return (output - target) ** 2 / 2
    return -(target * mpmath.log(output) + (1 - target) * mpmath.log(1 - output))


def mp_forward(act: str, weights, biases, x, residual=False):
    """Preactivations and activations, layer by layer, in plain mpmath."""
    sigma = MPMATH_ACTIVATIONS[act]
    a, zs, as_ = x, [], [x]
    for w, b in zip(weights, biases):
        z = w * a + b
        a = a + sigma(z) if residual else sigma(z)
        zs.append(z)
        as_.append(a)
    return zs, as_


def mp_loss(act, cost, weights, biases, x, y, residual=False):
    _, outputs = mp_forward(act, weights, biases, x, residual)
    return mp_cost(cost, outputs[-1], y)


def random_point(depth: int, seed: int, tied: bool = False, cost: str = "quadratic",
                 x_range=(-1, 1)):
    """Weights, biases, input and target as exact decimals (strings) and mpf."""
    rng = random.Random(seed)

    def draw(low, high):
        return mpmath.mpf(str(round(rng.uniform(low, high), 6)))

    count = 1 if tied else depth
    weights = [draw(-1.6, 1.6) for _ in range(count)]
    biases = [draw(-0.5, 0.5) for _ in range(count)]
    if tied:
        weights, biases = weights * depth, biases * depth
    x = draw(*x_range)
    y = draw(0.1, 0.9) if cost == "cross-entropy" else draw(-1, 1)
    return weights, biases, x, y


def composed_cost(activation, depth, cost_expr, residual=False, tied=False):
    """C(x, y, w.., b..) as one nested SymPy expression, and its parameter symbols."""
    x, y = sympy.symbols("x y", real=True)
    if tied:
        w, b = sympy.symbols("w b", real=True)
        weights, biases = [w] * depth, [b] * depth
    else:
        weights = list(sympy.symbols(f"w1:{depth + 1}", real=True))
        biases = list(sympy.symbols(f"b1:{depth + 1}", real=True))
    a = x
    for weight, bias in zip(weights, biases):
        activated = activation.expr.xreplace({VARIABLE: weight * a + bias})
        a = a + activated if residual else activated
    output = sympy.Symbol("out")
    return cost_expr(output, y).xreplace({output: a}), x, y, weights, biases


def local_expression(activation, z_value):
    """The activation's expression on the piece that holds at ``z_value``.

    A piecewise activation equals its active piece on an open neighbourhood of a
    point off the kinks, so differentiating that piece gives the network's
    derivative there; it keeps SymPy from folding nested Piecewise objects.
    """
    expr = activation.expr
    if not isinstance(expr, sympy.Piecewise):
        return expr
    for piece, condition in expr.args:
        if condition is sympy.true or bool(condition.subs(VARIABLE, sympy.Float(str(z_value), 60))):
            return piece
    raise AssertionError("no piece holds")


def sympy_diff_gradient(activation, cost_expr, point, target, residual=False):
    """∂C/∂target by sympy.diff of the composed network, evaluated at ``point``.

    ``target`` is ("w", l), ("b", l), ("x", 0), or ("w", "all") / ("b", "all")
    for the shared parameter of a tied chain. All other parameters are
    60-digit numbers, so only the layers the target feeds stay symbolic.
    """
    weights, biases, x, y = point
    # The assumptions on t change only how long SymPy's automatic evaluation takes, never
    # the derivative: a real t makes every sum answer sign questions (the silu chains:
    # twice as slow), an unknown one makes tanh ask whether its argument's imaginary part
    # is a multiple of iπ (the tanh chains: five times as slow).
    t = sympy.Symbol("t", real=activation.expr.has(sympy.tanh))

    def number(value):
        return sympy.Float(mpmath.nstr(value, 70), 60)

    ws, bs, a = [number(w) for w in weights], [number(b) for b in biases], number(x)
    kind, layer = target
    values = {"w": weights, "b": biases}
    if kind == "x":
        a, at = t, x
    elif layer == "all":
        (ws if kind == "w" else bs)[:] = [t] * len(ws)
        at = values[kind][0]
    else:
        (ws if kind == "w" else bs)[layer - 1] = t
        at = values[kind][layer - 1]
    zs, _ = mp_forward_with(activation, weights, biases, x, residual)
    for w, b, z_value in zip(ws, bs, zs):
        piece = local_expression(activation, z_value)
        activated = piece.xreplace({VARIABLE: w * a + b})
        a = a + activated if residual else activated
        if not a.has(t):  # layers before the target are numbers; keep them so
            a = a.evalf(60)  # (Float·sqrt(2) inside erf would not evaluate by itself)
    output = sympy.Symbol("out")
    cost = cost_expr(output, number(y)).xreplace({output: a})
    derivative = sympy.diff(cost, t)
    with mpmath.workdps(60):
        return sympy.lambdify(t, derivative, "mpmath", cse=True)(mpmath.mpf(at))


def mp_forward_with(activation, weights, biases, x, residual=False):
    """Forward pass with the activation's own expression (to find active pieces)."""
    evaluate = sympy.lambdify(VARIABLE, activation.expr, "mpmath")
    a, zs, outputs = x, [], [x]
    with mpmath.workdps(60):
        for w, b in zip(weights, biases):
            z = w * a + b
            a = a + evaluate(z) if residual else evaluate(z)
            zs.append(z)
            outputs.append(a)
    return zs, outputs


def substitute_forward(expr, zs, outputs, weights, biases, x, y, tied=False, dps=60):
    """Evaluate a derived expression at the forward values (names as in DESIGN.md), with
    ``dps`` working digits: the formula as written may cancel (gelu's σ'(z) has
    (1 + erf(z/√2))/2, 10^-81 at z = -19 out of terms of order 1)."""
    values = {"x": x, "y": y}
    for k, (z, w, b) in enumerate(zip(zs, weights, biases), start=1):
        values.update({f"z{k}": z, f"w{k}": w, f"b{k}": b})
    for k, a in enumerate(outputs):
        values[f"a{k}"] = a
    if tied:
        values.update({"w": weights[0], "b": biases[0]})
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    with mpmath.workdps(dps):
        evaluate = sympy.lambdify(symbols, expr, "mpmath")
        return mpmath.mpf(evaluate(*[mpmath.mpf(values[s.name]) for s in symbols]))


def quadratic(output, target):
    return (output - target) ** 2 / 2


def cross_entropy(output, target):
    return -(target * sympy.log(output) + (1 - target) * sympy.log(1 - output))


COST_EXPRESSIONS = {"quadratic": quadratic, "cross-entropy": cross_entropy}


def close(derived, expected, digits=40):
    """Relative agreement to ``digits`` digits (absolute near zero)."""
    with mpmath.workdps(digits + 20):
        scale = max(abs(expected), abs(derived), mpmath.mpf(10) ** -200)
        return abs(derived - expected) <= scale * mpmath.mpf(10) ** (-digits)


def mpmath_diff_gradient(act, cost, point, target, residual=False, dps=60):
    """∂C/∂target by mpmath.diff of the independent mpmath forward pass."""
    weights, biases, x, y = point
    kind, layer = target

    def loss(t):
        ws, bs, x0 = list(weights), list(biases), x
        if kind == "x":
            x0 = t
        elif layer == "all":
            ws, bs = ([t] * len(ws), bs) if kind == "w" else (ws, [t] * len(bs))
        elif kind == "w":
            ws[layer - 1] = t
        else:
            bs[layer - 1] = t
        return mp_loss(act, cost, ws, bs, x0, y, residual)

    at = {"x": x, "w": weights[0 if layer in (0, "all") else layer - 1],
          "b": biases[0 if layer in (0, "all") else layer - 1]}[kind]
    with mpmath.workdps(dps):
        return mpmath.diff(loss, mpmath.mpf(at))
