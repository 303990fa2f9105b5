"""Independent oracles for matrix nets: the composed network in SymPy (differentiated
by sympy.diff), and a forward pass in plain mpmath (differentiated by mpmath.diff).

Only the activation's defining formula is shared with symgrad (as in tests/oracle.py);
the mpmath forward pass uses the activations written again in tests/oracle.py.
"""

from __future__ import annotations

import random

import mpmath
import sympy

from symgrad.activations import VARIABLE
from tests.oracle import MPMATH_ACTIVATIONS, local_expression


def random_net_point(widths, seed, cost="quadratic", scale=1.2):
    """Weights W[l][j][k], biases B[l][j] (l = 1..L, lists padded at index 0), input x
    and targets y, as 6-digit decimal strings (read exactly by both sides)."""
    rng = random.Random(seed)

    def draw(low, high):
        return str(round(rng.uniform(low, high), 6))

    depth = len(widths) - 1
    weights = [None] + [[[draw(-scale, scale) for _ in range(widths[layer - 1])]
                         for _ in range(widths[layer])] for layer in range(1, depth + 1)]
    biases = [None] + [[draw(-0.5, 0.5) for _ in range(widths[layer])]
                       for layer in range(1, depth + 1)]
    x = [draw(-1, 1) for _ in range(widths[0])]
    y = [draw(0.1, 0.9) if cost == "cross-entropy" else draw(-1, 1) for _ in range(widths[-1])]
    return weights, biases, x, y


def mp_cost(cost, outputs, targets):
    if cost == "quadratic":
        return sum((a - t) ** 2 for a, t in zip(outputs, targets)) / 2
    return -sum(t * mpmath.log(a) + (1 - t) * mpmath.log(1 - a) for a, t in zip(outputs, targets))


def mp_net_forward(act, weights, biases, x):
    """Preactivations z[l][j] and activations a[l][j] (a[0] = x), in plain mpmath."""
    sigma = MPMATH_ACTIVATIONS[act]
    a, zs, outputs = list(x), [None], [list(x)]
    for layer in range(1, len(weights)):
        z = [mpmath.fsum(w * v for w, v in zip(row, a)) + b
             for row, b in zip(weights[layer], biases[layer])]
        a = [sigma(value) for value in z]
        zs.append(z)
        outputs.append(a)
    return zs, outputs


def point_as_mpf(point):
    weights, biases, x, y = point
    with mpmath.workdps(80):
        def convert(value):
            return mpmath.mpf(value) if isinstance(value, str) else [convert(v) for v in value]
        return ([None] + [convert(w) for w in weights[1:]], [None] + [convert(b) for b in biases[1:]],
                convert(x), convert(y))


def mpmath_diff_net(act, cost, point, target, dps=60):
    """∂C/∂target, target ("w", l, j, k), ("b", l, j) or ("x", k), by mpmath.diff."""
    weights, biases, x, y = point

    def loss(t):
        ws = [None] + [[list(row) for row in w] for w in weights[1:]]
        bs = [None] + [list(b) for b in biases[1:]]
        xs = list(x)
        if target[0] == "w":
            ws[target[1]][target[2] - 1][target[3] - 1] = t
        elif target[0] == "b":
            bs[target[1]][target[2] - 1] = t
        else:
            xs[target[1] - 1] = t
        _, outputs = mp_net_forward(act, ws, bs, xs)
        return mp_cost(cost, outputs[-1], y)

    at = {"w": lambda: weights[target[1]][target[2] - 1][target[3] - 1],
          "b": lambda: biases[target[1]][target[2] - 1],
          "x": lambda: x[target[1] - 1]}[target[0]]()
    with mpmath.workdps(dps):
        return mpmath.diff(loss, mpmath.mpf(at))


def sympy_diff_net(activation, act, cost, point, target):
    """∂C/∂target by sympy.diff of the composed network, with every other parameter a
    60-digit number, evaluated at the point."""
    weights, biases, x, y = point
    t = sympy.Symbol("t", real=True)

    def number(value):
        return sympy.Float(mpmath.nstr(value, 70), 60)

    zs, _ = mp_net_forward(act, weights, biases, x)
    a = [t if target == ("x", k + 1) else number(v) for k, v in enumerate(x)]
    for layer in range(1, len(weights)):
        new = []
        for j, (row, bias) in enumerate(zip(weights[layer], biases[layer]), start=1):
            total = t if target == ("b", layer, j) else number(bias)
            for k, (w, v) in enumerate(zip(row, a), start=1):
                total += (t if target == ("w", layer, j, k) else number(w)) * v
            piece = local_expression(activation, zs[layer][j - 1])
            new.append(piece.xreplace({VARIABLE: total}))
        a = [v if v.has(t) else v.evalf(60) for v in new]
    ys = [number(v) for v in y]
    if cost == "quadratic":
        expr = sum((v - w) ** 2 for v, w in zip(a, ys)) / 2
    else:
        expr = -sum(w * sympy.log(v) + (1 - w) * sympy.log(1 - v) for v, w in zip(a, ys))
    derivative = sympy.diff(expr, t)
    at = {"w": lambda: weights[target[1]][target[2] - 1][target[3] - 1],
          "b": lambda: biases[target[1]][target[2] - 1],
          "x": lambda: x[target[1] - 1]}[target[0]]()
    with mpmath.workdps(60):
        return sympy.lambdify(t, derivative, "mpmath", cse=True)(at)


def forward_values(act, point):
    """{name: value} of every z_l_j, a_l_j, w_l_j_k, b_l_j, y_j at the point (names of DESIGN.md)."""
    weights, biases, x, y = point
    with mpmath.workdps(60):
        zs, outputs = mp_net_forward(act, weights, biases, x)
    values = {f"y_{j}": v for j, v in enumerate(y, start=1)}
    for k, v in enumerate(x, start=1):
        values[f"a_0_{k}"] = v
    for layer in range(1, len(weights)):
        for j, row in enumerate(weights[layer], start=1):
            values[f"z_{layer}_{j}"] = zs[layer][j - 1]
            values[f"a_{layer}_{j}"] = outputs[layer][j - 1]
            values[f"b_{layer}_{j}"] = biases[layer][j - 1]
            for k, w in enumerate(row, start=1):
                values[f"w_{layer}_{j}_{k}"] = w
    return values


def evaluate_at(expr, values):
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    with mpmath.workdps(60):
        return mpmath.mpf(sympy.lambdify(symbols, expr, "mpmath")(*[values[s.name] for s in symbols]))


def mp_net_backward(act, cost, point):
    """A plain mpmath pass at the current precision, forward then backward, written
    without symgrad: σ' by mpmath.diff of the oracle's σ, ∂C/∂a by mpmath.diff of the
    cost of one output. Returns (z, σ'(z), δ per layer l = 1..L (index 0 unused),
    ∂C/∂a^0, C)."""
    weights, biases, x, y = point
    sigma = MPMATH_ACTIVATIONS[act]
    zs, outputs = mp_net_forward(act, weights, biases, x)
    slopes = [None] + [[mpmath.diff(sigma, z) for z in layer] for layer in zs[1:]]
    upstream = [mpmath.diff(lambda a, t=t: mp_cost(cost, [a], [t]), a)
                for a, t in zip(outputs[-1], y)]
    deltas = [None] * len(weights)
    for layer in range(len(weights) - 1, 0, -1):
        delta = [u * s for u, s in zip(upstream, slopes[layer])]
        deltas[layer] = delta
        w = weights[layer]
        upstream = [mpmath.fsum(w[j][k] * delta[j] for j in range(len(delta)))
                    for k in range(len(w[0]))]
    return zs, slopes, deltas, upstream, mp_cost(cost, outputs[-1], y)
