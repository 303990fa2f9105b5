"""A matrix net's derived backpropagation as a Python module for NumPy, PyTorch or JAX.

The module implements the matrix form symgrad derives (``derive.matrix``): δ^L =
D^L ∇_a C, δ^l = D^l (W^(l+1))ᵀ δ^(l+1) with D^l = diag(σ'(z^l)), applied as the product
σ'(z^l) ⊙ (·) (no diagonal matrix is formed), ∂C/∂W^l = δ^l (a^(l-1))ᵀ, ∂C/∂b^l = δ^l
and ∂C/∂a^0 = (W^1)ᵀ δ^1. σ, σ' and the cost are symgrad's expressions printed by SymPy's
code printers (``code_printers``, shared with the chains' ``export``), elementwise on
vectors; the docstring carries the matrix form as symgrad printed it. Only the loops and
the framework's matrix product, transpose and outer product are text here.
"""

from __future__ import annotations

from importlib.metadata import version

import sympy

from symgrad.derive.matrix import MAX_DERIVE_LAYERS, general_form, matrix_form
from symgrad.networks import MatrixNet
from symgrad.render.code_printers import prelude
from symgrad.render.export import check_target, scalar_functions, through_preactivation
from symgrad.render.printing import TextPrinter

_Z = sympy.Symbol("z", real=True)
_ARRAYS = {"numpy": "numpy", "torch": "torch", "jax": "jax.numpy"}  # outer, sum
_COST_WORDS = {"quadratic": "½ Σ_j (a^L_j - y_j)²",
               "cross-entropy": "-Σ_j (y_j log a^L_j + (1 - y_j) log(1 - a^L_j))"}


def export_net(net: MatrixNet, target: str = "numpy") -> str:
    """The module's source for ``net`` in ``target``: numpy, torch or jax."""
    check_target(target)
    arrays = _ARRAYS[target]
    through_z = through_preactivation(net.activation, net.cost)
    start = ("    upstream = cost_gradient(a[-1], y)  # ∂C/∂a^L\n"
             "    for layer in reversed(range(DEPTH)):") if through_z is None else (
        "    delta[-1] = output_delta(z[-1], y)  # δ^L = ∂C/∂z^L\n"
        "    upstream = W[-1].T @ delta[-1]  # ∂C/∂a^(L-1)\n"
        "    for layer in reversed(range(DEPTH - 1)):")
    parts = [
        _docstring(net, target, through_z is not None),
        "",  # the prelude, once the code it serves is known
        _FUNCTIONS.format(scalar_functions=scalar_functions(net.activation, net.cost, through_z,
                                                            target, summed=f"{arrays}.sum"),
                          start=start, outer=f"{arrays}.outer",
                          index=0 if through_z is not None else 1),
        _CHECKS[target],
    ]
    constants = f"WIDTHS = {net.widths!r}\nDEPTH = {net.depth}"
    parts[1] = prelude(target, "\n".join(parts[2:]), constants)
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


def _docstring(net: MatrixNet, target: str, through_z: bool) -> str:
    widths = ",".join(map(str, net.widths))
    options = [f"--widths {widths}", f"--act {net.activation.name}", f"--to {target}"]
    if net.cost != "quadratic":
        options.append(f"--cost {net.cost}")
    printer = TextPrinter()
    rows = (*(matrix_form(net.depth) if net.depth <= MAX_DERIVE_LAYERS else ()), *general_form())
    backward = "\n".join(f"    {'backward' if n == 0 else '':<11}{printer.doprint(e.lhs)} = "
                         f"{printer.doprint(e.rhs)}" for n, e in enumerate(rows))
    through = ("\n               taken through z^L: cost(z^L, y) and δ^L = output_delta(z^L, y)"
               if through_z else "")
    return f'''"""The {net.activation.name} net of widths {", ".join(map(str, net.widths))} \
({net.cost} cost), backpropagation in matrix form as
symgrad {version("symgrad")} derived it (symgrad export {" ".join(options)}).

W[l - 1] is W^l (n_l × n_(l-1)) and b[l - 1] is b^l; vectors are 1-D arrays, and
D_l = diag(σ'(z^l)) is applied as the elementwise product σ'(z^l) ⊙ (·):

    forward    z^l = W^l a^(l-1) + b^l,   a^l = σ(z^l)
{backward}
    gradients  ∂C/∂b^l = δ^l,   ∂C/∂a^0 = (W^1)ᵀ δ^1   (∂a^L/∂a^0: the Jacobian)
    cost       C = {_COST_WORDS[net.cost]}{through}

with σ(z) = {sympy.sstr(net.activation.at(_Z))}
and σ'(z) = {sympy.sstr(net.activation.derivative_at(_Z))}, elementwise.
"""'''


_FUNCTIONS = '''
{scalar_functions}


def forward(W, b, x):
    """The preactivations z^1..z^L and the activations a^0..a^L (lists of vectors)."""
    a, z = [x], []
    for layer in range(DEPTH):
        z.append(W[layer] @ a[-1] + b[layer])
        a.append(sigma(z[-1]))
    return z, a


def backward(W, z, a, y):
    """δ^1..δ^L and ∂C/∂a^0, from the output back: δ^l = σ'(z^l) ⊙ (W^(l+1))ᵀ δ^(l+1)."""
    delta = [None] * DEPTH
{start}
        delta[layer] = sigma_prime(z[layer]) * upstream
        upstream = W[layer].T @ delta[layer]  # ∂C/∂a^(l-1)
    return delta, upstream


def gradients(W, b, x, y):
    """∂C/∂W^l and ∂C/∂b^l (lists, layer 1 first), and ∂C/∂a^0 as "x"."""
    z, a = forward(W, b, x)
    delta, input_gradient = backward(W, z, a, y)
    return {{"W": [{outer}(delta[layer], a[layer]) for layer in range(DEPTH)], "b": delta,
            "x": input_gradient}}


def loss(W, b, x, y):
    """C of the forward pass (what autograd differentiates)."""
    return cost(forward(W, b, x)[{index}][-1], y)
'''

_NUMPY_CHECK = '''
def check_against_autograd(seed=0, tolerance=1e-5, entries=200):
    """NumPy has no autograd: central differences of ``loss`` at up to ``entries`` entries
    of W, b and x (drawn at random), at a random point, against ``gradients``. Returns the
    largest difference relative to the largest gradient, and raises AssertionError when it
    is above ``tolerance``."""
    draw = numpy.random.default_rng(seed)
    W = [draw.normal(0, 1 / numpy.sqrt(WIDTHS[layer]), (WIDTHS[layer + 1], WIDTHS[layer]))
         for layer in range(DEPTH)]
    b = [draw.uniform(-0.5, 0.5, WIDTHS[layer + 1]) for layer in range(DEPTH)]
    x = draw.uniform(-1, 1, WIDTHS[0])
    y = draw.uniform(0.1, 0.9, WIDTHS[-1])
    found = gradients(W, b, x, y)
    values = {"W": W, "b": b}
    arrays = [("x", None)] + [(name, layer) for name in ("W", "b") for layer in range(DEPTH)]
    sizes = numpy.array([(x if layer is None else values[name][layer]).size
                         for name, layer in arrays])
    places = []  # up to ``entries`` entries, each array in proportion to its size
    for number in sorted(draw.choice(sizes.sum(), min(entries, sizes.sum()), replace=False)):
        which = int(numpy.searchsorted(numpy.cumsum(sizes), number, side="right"))
        name, layer = arrays[which]
        shape = (x if layer is None else values[name][layer]).shape
        places.append((name, layer, numpy.unravel_index(number - sizes[:which].sum(), shape)))
    pairs = []
    for name, layer, index in places:
        array = x if layer is None else values[name][layer]
        ours = found[name][index] if layer is None else found[name][layer][index]
        kept = array[index]
        step = 1e-6 * max(1.0, abs(kept))
        ends = []
        for shift in (step, -step):
            array[index] = kept + shift
            ends.append(loss(W, b, x, y))
        array[index] = kept
        pairs.append((ours, (ends[0] - ends[1]) / (2 * step)))
    scale = max(abs(float(ours)) for ours, _ in pairs) or 1.0
    worst = max(abs(float(ours) - float(theirs)) for ours, theirs in pairs) / scale
    assert worst <= tolerance, worst
    return worst
'''

_TORCH_CHECK = '''
def check_against_autograd(seed=0, tolerance=1e-9):
    """torch's autograd (``loss(...).backward()``, float64) at a random point against
    ``gradients``. Returns the largest difference relative to the largest gradient, and
    raises AssertionError when it is above ``tolerance``."""
    draw = torch.Generator().manual_seed(seed)

    def uniform(size, low, high):
        return torch.rand(size, generator=draw, dtype=torch.float64) * (high - low) + low

    W = [(torch.randn(WIDTHS[layer + 1], WIDTHS[layer], generator=draw, dtype=torch.float64)
          / WIDTHS[layer] ** 0.5).requires_grad_() for layer in range(DEPTH)]
    b = [uniform(WIDTHS[layer + 1], -0.5, 0.5).requires_grad_() for layer in range(DEPTH)]
    x = uniform(WIDTHS[0], -1, 1).requires_grad_()
    y = uniform(WIDTHS[-1], 0.1, 0.9)
    loss(W, b, x, y).backward()
    with torch.no_grad():
        found = gradients(W, b, x, y)
    pairs = [(found["x"], x.grad)]
    pairs += [(found["W"][layer], W[layer].grad) for layer in range(DEPTH)]
    pairs += [(found["b"][layer], b[layer].grad) for layer in range(DEPTH)]
    scale = max(float(ours.abs().max()) for ours, _ in pairs) or 1.0
    worst = max(float((ours - theirs).abs().max()) for ours, theirs in pairs) / scale
    assert worst <= tolerance, worst
    return worst
'''

_JAX_CHECK = '''
def check_against_autograd(seed=0, tolerance=1e-9):
    """JAX's autograd (``jax.grad(loss)``, float64) at a random point against
    ``gradients``. Returns the largest difference relative to the largest gradient, and
    raises AssertionError when it is above ``tolerance``."""
    keys = iter(jax.random.split(jax.random.PRNGKey(seed), 2 * DEPTH + 2))

    def uniform(shape, low, high):
        return jax.random.uniform(next(keys), shape, dtype=jax.numpy.float64, minval=low,
                                  maxval=high)

    W = [jax.random.normal(next(keys), (WIDTHS[layer + 1], WIDTHS[layer]),
                           dtype=jax.numpy.float64) / WIDTHS[layer] ** 0.5
         for layer in range(DEPTH)]
    b = [uniform((WIDTHS[layer + 1],), -0.5, 0.5) for layer in range(DEPTH)]
    x = uniform((WIDTHS[0],), -1, 1)
    y = uniform((WIDTHS[-1],), 0.1, 0.9)
    automatic = dict(zip(("W", "b", "x"), jax.grad(loss, argnums=(0, 1, 2))(W, b, x, y),
                         strict=True))
    found = gradients(W, b, x, y)
    pairs = [(found["x"], automatic["x"])]
    pairs += [(found[name][layer], automatic[name][layer]) for name in ("W", "b")
              for layer in range(DEPTH)]
    scale = max(float(jax.numpy.abs(ours).max()) for ours, _ in pairs) or 1.0
    worst = max(float(jax.numpy.abs(ours - theirs).max()) for ours, theirs in pairs) / scale
    assert worst <= tolerance, worst
    return worst
'''

_CHECKS = {"numpy": _NUMPY_CHECK, "torch": _TORCH_CHECK, "jax": _JAX_CHECK}
