"""A scalar chain's derived backpropagation as a Python module for NumPy, PyTorch or JAX.

The module implements the derived recursion (δ_l = ∂a_l/∂z_l · ∂C/∂a_l, then
∂C/∂a_(l-1) = direct_l ∂C/∂a_l + w_l δ_l, layer by layer back), not autograd. Every formula
in it is one of symgrad's own expressions printed by SymPy's code printers
(``code_printers``): σ and σ', the cost and ∂C/∂a_L, and a layer kind's numbers per layer
(``ChainLayer.numeric_form``: its output, its gates, ∂a_l/∂z_l, the gain's direct part and
∂a_l/∂θ of its own parameters), so a plain, residual or highway chain comes out of the one
generator. Only the module's skeleton (the loops, the functions' names) is text here.

``check_against_autograd()`` in the module runs the framework's own autograd on the same
chain (NumPy has none: central differences of the forward pass) and compares.

``log_space`` (NumPy): the backward products are carried as (sign, ln|·|), so the front
layer's gradient of a depth-10,000 chain comes out as a finite log10 where float64 gives 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import version

import sympy

from symgrad.costs import cost_at, cost_derivative_at
from symgrad.errors import SymgradError
from symgrad.networks import ScalarChain
from symgrad.notation import y as target_y
from symgrad.numeric.stable import cross_entropy_of_preactivation, signed_log, without_cancellation
from symgrad.render.code_printers import TARGETS, code, prelude

_Z, _A, _Y = (sympy.Symbol(name, real=True) for name in ("z", "a", "y"))
_S, _DS = sympy.Symbol("s_l", real=True), sympy.Symbol("ds_l", real=True)  # σ(z_l), σ'(z_l)
_PREVIOUS = sympy.Symbol("a_prev", real=True)  # a_(l-1)
_DS_SIGN, _DS_LOG = sympy.Symbol("ds_sign", real=True), sympy.Symbol("ds_log", real=True)


@dataclass(frozen=True)
class _Layer:
    """A layer kind's numbers as code, and the locals each part reads."""

    own: tuple[str, ...]  # its own parameters (a highway's p, q)
    gates: tuple[tuple[str, str], ...]  # (name, code) in order
    output: str  # a_l
    through: str  # ∂a_l/∂z_l
    log_through: tuple[str, str]  # (sign, ln|·|) of ∂a_l/∂z_l, σ'(z_l) from ds_sign, ds_log
    direct: sympy.Expr  # the gain's direct part (0 plain, 1 residual, else an expression)
    direct_code: str
    partials: tuple[str, ...]  # ∂a_l/∂θ per own parameter
    forward_reads: frozenset  # the locals a_l reads (a_prev, s_l, ds_l, gates, own)
    backward_reads: frozenset  # the locals the backward step reads
    log_backward_reads: frozenset  # the locals the log-space backward step reads


def _layer_code(chain: ScalarChain, target: str) -> _Layer:
    """The chain's layer kind (``numeric_form``) as code in ``target``: placeholders
    renamed to the module's locals (a_prev, s_l, ds_l, p_l, ...), each gate a local of
    its own, named t_l, and 1 - t as the complement of a logistic gate."""
    kind = chain.layer
    arguments, expressions = kind.numeric_form
    previous, activated, slope, *own = arguments
    names = {previous: _PREVIOUS, activated: _S, slope: _DS}
    names.update({symbol: sympy.Symbol(f"{symbol}_l", real=True) for symbol in own})
    count = len(kind.gate_names)
    output, gates = expressions[0], expressions[1:1 + count]
    through, direct, *partials = expressions[1 + count:]
    gate_symbols = {}
    for name, gate in zip(kind.gate_names, gates):
        symbol = sympy.Symbol(f"{name}_l", real=True)
        gate_symbols[gate] = symbol
        if isinstance(gate, sympy.Function) and len(gate.args) == 1:  # logistic: σ(-u) = 1 - σ(u)
            gate_symbols[gate.func(-gate.args[0])] = 1 - symbol
    gate_code = tuple((str(gate_symbols[g]), g.xreplace(names)) for g in gates)

    def written(expr):
        return expr.xreplace(gate_symbols).xreplace(names)

    def reads(*exprs) -> frozenset:
        """The locals ``exprs`` read, a gate's own arguments with it."""
        found = {str(s) for e in exprs for s in e.free_symbols}
        for name, gate in gate_code:
            if name in found:
                found |= {str(s) for s in gate.free_symbols}
        return frozenset(found)

    lines = [written(e) for e in (output, through, direct, *partials)]
    log_through = signed_log(lines[1], {_DS: (_DS_SIGN, _DS_LOG)})
    return _Layer(
        own=tuple(str(p) for p in own),
        gates=tuple((name, code(gate, target)) for name, gate in gate_code),
        output=code(lines[0], target), through=code(lines[1], target),
        log_through=(code(log_through[0], target), code(log_through[1], target)),
        direct=lines[2],
        direct_code=code(lines[2], target),
        partials=tuple(code(e, target) for e in lines[3:]),
        forward_reads=reads(lines[0]), backward_reads=reads(*lines[1:]),
        log_backward_reads=reads(*log_through, *lines[2:]))


def export_chain(chain: ScalarChain, target: str = "numpy", log_space: bool = False) -> str:
    """The module's source for ``chain`` (a concrete depth; plain, residual or highway;
    tied or not; any activation and cost) in ``target``: numpy, torch or jax."""
    check_target(target)
    if chain.depth is None:
        raise SymgradError("Give a concrete depth to export: the module's loops run over it.")
    if log_space and target != "numpy":
        raise SymgradError("The log-space module is written for NumPy (--to numpy).")
    layer = _layer_code(chain, target)
    through_z = _chain_through_preactivation(chain, layer)
    own = "".join(f", {p}" for p in layer.own)
    own_returned = "own, " if layer.own else ""
    parts = [
        _docstring(chain, target, log_space, layer),
        "",  # the prelude, once the code it serves is known
        _FUNCTIONS.format(
            own=own,
            scalar_functions=scalar_functions(chain.activation, chain.cost, through_z, target),
            start=_backward_start(through_z, log_space=False),
            forward=_forward_body(layer), backward=_backward_body(layer),
            own_gradients=_own_gradient_lists(layer), own_returned=own_returned),
        (_TIED_GRADIENTS if chain.tied else _GRADIENTS).format(
            own=own, own_result=_own_result(layer), own_returned=own_returned,
            index=0 if through_z else 1),
    ]
    if log_space:
        tied_lists = "\n    w, b = [w] * DEPTH, [b] * DEPTH" if chain.tied else ""
        own_logs = "".join(f", \"{p}\": [log10(v) for v in own[\"{p}\"]]" for p in layer.own)
        log_result = ("    total = functools.reduce\n"
                      "    return {\"w\": log10(total(_log_sum, grad_w)), "
                      "\"b\": log10(total(_log_sum, delta)),\n"
                      "            \"x\": log10(upstream)}") if chain.tied else (
            "    return {\"w\": [log10(v) for v in grad_w], \"b\": [log10(v) for v in delta],\n"
            f"            \"x\": log10(upstream){own_logs}}}")
        slope = without_cancellation(chain.activation.derivative_at(_Z))
        slope_sign, slope_log = signed_log(slope)
        in_logarithms = not any(isinstance(argument, sympy.Abs)  # (signed_log's fallback)
                                for log in slope_log.atoms(sympy.log) for argument in log.args)
        if through_z is not None:
            parts.append(_log_output_delta(through_z, target))
        plain = layer.output == "s_l"  # a_l = σ(z_l): its logarithm from z_l, not from a_l
        activation_sign, activation_log = signed_log(without_cancellation(chain.activation.at(_Z)))
        log_sigma = (f'\n\ndef log_sigma(z):\n    """(sign, ln|σ(z)|), in logarithms where '
                     f'symgrad has the form."""\n    return {code(activation_sign, target)}, '
                     f"{code(activation_log, target)}\n") if plain else ""
        parts.append(_LOG_SPACE.format(own=own, backward=_log_backward_body(layer),
                                       start=_backward_start(through_z, log_space=True),
                                       log_slope_sign=code(slope_sign, target),
                                       log_slope=code(slope_log, target),
                                       log_form=_LOG_FORM[in_logarithms],
                                       log_sigma=log_sigma,
                                       from_log_sigma=(
                                           " and a_(l-1) = σ(z_(l-1)) from\n    ``log_sigma``"
                                           if plain else ", a_(l-1) is a float64 number"),
                                       log_inputs=(
                                           "[_signed_log(x)] + [log_sigma(value) for value "
                                           "in z[:-1]]" if plain else
                                           "[_signed_log(value) for value in a[:-1]]"),
                                       tied_lists=tied_lists, log_result=log_result,
                                       own_gradients=_own_gradient_lists(layer)))
    parts.append(_checks(chain, target, layer))
    parts[1] = prelude(target, "\n".join(parts[2:]), f"DEPTH = {chain.depth}")
    return "\n\n\n".join(part.strip("\n") for part in parts) + "\n"


def check_target(target: str) -> None:
    if target not in TARGETS:
        raise SymgradError(f"Unknown target '{target}'; symgrad exports to {', '.join(TARGETS)}.")


def _docstring(chain: ScalarChain, target: str, log_space: bool, layer: _Layer) -> str:
    options = [f"--depth {chain.depth}", f"--act {chain.activation.name}", f"--to {target}"]
    options += [flag for flag, given in (("--residual", chain.residual),
                                         ("--highway", chain.highway), ("--tied", chain.tied),
                                         ("--log-space", log_space)) if given]
    if chain.cost != "quadratic":
        options.append(f"--cost {chain.cost}")
    gates = "".join(f"\n               {name} = {text}" for name, text in layer.gates)
    through = ("\n               taken through z_L: cost(z_L, y) and δ_L = output_delta(z_L, y)"
               if _chain_through_preactivation(chain, layer) is not None else "")
    tied = ("\nTied: every layer shares w and b" + (" (and " + ", ".join(layer.own) + ")"
                                                    if layer.own else "")
            + ", so each gradient is the sum over the layers.\n") if chain.tied else ""
    return f'''"""The {chain.kind} {chain.activation.name} chain of depth {chain.depth} \
({chain.cost} cost), backpropagation as symgrad {version("symgrad")} derived it
(symgrad export {" ".join(options)}).

Layer l (index l - 1 of the lists: w[0] is w_1), with a_prev = a_(l-1), s_l = σ(z_l) and
ds_l = σ'(z_l):

    forward    z_l = w_l a_prev + b_l{gates}
               a_l = {layer.output}
    backward   δ_l = ∂C/∂z_l = ({layer.through}) ∂C/∂a_l
               ∂C/∂a_(l-1) = {_carried(layer, "∂C/∂a_l", "w_l δ_l", " ")}   (l = L, ..., 1)
    gradients  ∂C/∂w_l = δ_l a_(l-1),   ∂C/∂b_l = δ_l{_words_of_own(layer)}
    cost       C = {code(cost_at(chain.cost, _A).xreplace({target_y: _Y}), target)}{through}
{tied}
with σ(z) = {sympy.sstr(chain.activation.at(_Z))}
and σ'(z) = {sympy.sstr(chain.activation.derivative_at(_Z))}.
"""'''


def _carried(layer: _Layer, upstream: str, product: str, times: str = " * ") -> str:
    """∂C/∂a_(l-1) = direct_l ∂C/∂a_l + w_l δ_l, written with ``upstream`` for ∂C/∂a_l and
    ``product`` for w_l δ_l: the direct part left out where it is 0, and 1 not written."""
    if layer.direct == 0:
        return product
    if layer.direct == 1:
        return f"{upstream} + {product}"
    return f"({layer.direct_code}){times}{upstream} + {product}"


def _words_of_own(layer: _Layer) -> str:
    return "".join(f",   ∂C/∂{p}_l = ({partial}) ∂C/∂a_l"
                   for p, partial in zip(layer.own, layer.partials))


def _locals(layer: _Layer, source: str) -> list[str]:
    """The lines that set the locals a step reads ("forward": from a[-1] and z[-1];
    "backward" and "log backward": from a[layer] and z[layer])."""
    index, needed = {"forward": ("-1", layer.forward_reads),
                     "backward": ("layer", layer.backward_reads),
                     "log backward": ("layer", layer.log_backward_reads)}[source]
    lines = [f"a_prev = a[{index}]"] if "a_prev" in needed else []
    lines += [f"{p}_l = {p}[layer]" for p in layer.own if f"{p}_l" in needed]
    lines += [f"{name} = sigma{prime}(z[{index}])"
              for name, prime in (("s_l", ""), ("ds_l", "_prime")) if name in needed]
    if "ds_sign" in needed or "ds_log" in needed:
        lines.append(f"ds_sign, ds_log = log_sigma_prime(z[{index}])")
    lines += [f"{name} = {text}" for name, text in layer.gates if name in needed]
    return lines


def _forward_body(layer: _Layer) -> str:
    lines = ["z.append(w[layer] * a[-1] + b[layer])"]
    if layer.output == "s_l":  # a plain layer: a_l = σ(z_l)
        lines.append("a.append(sigma(z[-1]))")
    else:
        lines += _locals(layer, "forward")
        lines.append(f"a.append({layer.output})")
    return "\n".join(" " * 8 + line for line in lines)


def _backward_body(layer: _Layer) -> str:
    lines = _locals(layer, "backward")
    lines.append(f"delta[layer] = ({layer.through}) * upstream")
    lines += [f"own[\"{p}\"][layer] = ({partial}) * upstream"
              for p, partial in zip(layer.own, layer.partials)]
    lines.append(f"upstream = {_carried(layer, 'upstream', 'w[layer] * delta[layer]')}"
                 "  # ∂C/∂a_(l-1)")
    return "\n".join(" " * 8 + line for line in lines)


def _log_backward_body(layer: _Layer) -> str:
    lines = _locals(layer, "log backward")
    sign, log = layer.log_through
    lines.append(f"delta[layer] = _log_product(({sign}, {log}), upstream)")
    lines += [f"own[\"{p}\"][layer] = _log_product(_signed_log({partial}), upstream)"
              for p, partial in zip(layer.own, layer.partials)]
    carried = "_log_product(_signed_log(w[layer]), delta[layer])"
    if layer.direct == 0:
        lines.append(f"upstream = {carried}")
    elif layer.direct == 1:
        lines.append(f"upstream = _log_sum(upstream, {carried})")
    else:
        lines.append(f"upstream = _log_sum(_log_product(_signed_log({layer.direct_code}), "
                     f"upstream), {carried})")
    return "\n".join(" " * 8 + line for line in lines)


def through_preactivation(activation, cost: str) -> tuple | None:
    """(C, A, B) as expressions in z_L (C also in y) where the cost is taken through z_L:
    cross-entropy on a smooth σ, whose output is a_L = σ(z_L); then δ_L = ∂C/∂z_L =
    (1 - y) A - y B with A = σ'/(1 - σ) and B = σ'/σ, each simplified (sigmoid: A = σ(z),
    B = σ(-z)). ∂C/∂a_L = (1 - y)/(1 - a_L) - y/a_L divides by 1 - a_L, which float64
    rounds to 0 from z_L ≈ 37 on, and σ(z) - y cancels at y = 1; the two positive terms
    do neither, and each has a logarithmic form. Else None: the cost is taken at a_L."""
    if cost != "cross-entropy" or activation.expr.has(sympy.Piecewise):
        return None
    cost_expr, _ = cross_entropy_of_preactivation(activation.at(_Z))
    sigma, slope = activation.at(_Z), activation.derivative_at(_Z)
    away_from_one = sympy.simplify(slope / sympy.together(1 - sigma))
    away_from_zero = sympy.simplify(slope / sigma)
    return tuple(without_cancellation(e).xreplace({target_y: _Y})
                 for e in (cost_expr, away_from_one, away_from_zero))


def _log_output_delta(through_z: tuple, target: str) -> str:
    """``log_output_delta(z, y)``: (sign, ln|δ_L|) from the logarithms of A and B."""
    (a_sign, a_log), (b_sign, b_log) = (signed_log(e) for e in through_z[1:])
    return (f'def log_output_delta(z, y):\n'
            f'    """(sign, ln|δ_L|) of δ_L = (1 - y) A(z) - y B(z), A and B in logarithms."""\n'
            f"    away_from_one = ({code(a_sign, target)}, {code(a_log, target)})\n"
            f"    away_from_zero = ({code(b_sign, target)}, {code(b_log, target)})\n"
            f"    return _log_sum(_log_product(_signed_log(1 - y), away_from_one),\n"
            f"                    _log_product(_signed_log(-y), away_from_zero))")


def _chain_through_preactivation(chain: ScalarChain, layer: _Layer) -> tuple | None:
    """``through_preactivation`` for a chain whose output is σ(z_L) (a plain layer)."""
    return through_preactivation(chain.activation, chain.cost) if layer.output == "s_l" else None


def cost_functions(cost: str, through_z: tuple | None, target: str, summed: str = "") -> str:
    """The module's cost functions: C(a_L, y) and ∂C/∂a_L, or (``through_z``) C(z_L, y)
    and δ_L(z_L, y); ``summed``: the function that sums C over a net's output units."""
    def total(text: str) -> str:
        return f"{summed}({text})" if summed else text

    if through_z is not None:
        return (f'def cost(z, y):\n    """C as a function of z_L (no 1 - a_L rounded to 0)."""\n'
                f"    return {total(code(through_z[0], target))}\n\n\n"
                f'def output_delta(z, y):\n    """δ_L = ∂C/∂z_L = (1 - y) A(z) - y B(z), taken through '
                f'z_L."""\n    return (1 - y) * ({code(through_z[1], target)}) - y * '
                f"({code(through_z[2], target)})")
    cost_code = code(cost_at(cost, _A).xreplace({target_y: _Y}), target)
    upstream = code(cost_derivative_at(cost, _A).xreplace({target_y: _Y}), target)
    return (f'def cost(a, y):\n    """C(a_L, y)."""\n    return {total(cost_code)}\n\n\n'
            f'def cost_gradient(a, y):\n    """∂C/∂a_L."""\n    return {upstream}')


def _backward_start(through_z: tuple | None, log_space: bool) -> str:
    """The backward pass's first lines, to its loop over the layers."""
    logged = (lambda text: f"_signed_log({text})") if log_space else (lambda text: text)
    if through_z is None:
        return (f"    upstream = {logged('cost_gradient(a[-1], y)')}  # ∂C/∂a_L\n"
                "    for layer in reversed(range(DEPTH)):")
    carried = ("_log_product(_signed_log(w[-1]), delta[-1])" if log_space else
               "w[-1] * delta[-1]")
    first = "log_output_delta(z[-1], y)" if log_space else "output_delta(z[-1], y)"
    return (f"    delta[-1] = {first}  # ∂C/∂z_L\n"
            f"    upstream = {carried}  # ∂C/∂a_(L-1)\n"
            "    for layer in reversed(range(DEPTH - 1)):")


def _own_gradient_lists(layer: _Layer) -> str:
    """The line that makes the own parameters' gradient lists (none for a layer without)."""
    if not layer.own:
        return ""
    return "\n    own = {" + ", ".join(f"\"{p}\": [None] * DEPTH" for p in layer.own) + "}"


def _own_result(layer: _Layer) -> str:
    """The own parameters' gradients in ``gradients``' result (a tied chain has none: a
    highway's gates have p and q of their own in each layer)."""
    return "".join(f", \"{p}\": own[\"{p}\"]" for p in layer.own)


_ACTIVATION_FUNCTIONS = '''
def sigma(z):
    """σ(z){elementwise}."""
    return {sigma}


def sigma_prime(z):
    """σ'(z){elementwise}."""
    return {slope}
'''


def scalar_functions(activation, cost: str, through_z: tuple | None, target: str,
                     summed: str = "") -> str:
    """The module's σ, σ' and cost functions (``cost_functions``); ``summed``: a net's,
    elementwise on vectors, the cost summed by that function."""
    return _ACTIVATION_FUNCTIONS.format(
        sigma=code(activation.at(_Z), target), slope=code(activation.derivative_at(_Z), target),
        elementwise=", elementwise" if summed else "") + "\n\n" + \
        cost_functions(cost, through_z, target, summed)


_FUNCTIONS = '''
{scalar_functions}


def forward(w, b, x{own}):
    """The preactivations z_1..z_L and the activations a_0..a_L (lists)."""
    a, z = [x], []
    for layer in range(DEPTH):
{forward}
    return z, a


def backward(w, z, a, y{own}):
    """δ_1..δ_L, the gradients of the layer's own parameters, and ∂C/∂a_0, by the
    recursion from the output back."""
    delta = [None] * DEPTH{own_gradients}
{start}
{backward}
    return delta, {own_returned}upstream
'''

_GRADIENTS = '''
def gradients(w, b, x, y{own}):
    """∂C/∂w_l and ∂C/∂b_l (lists, layer 1 first), and ∂C/∂a_0 as "x"."""
    z, a = forward(w, b, x{own})
    delta, {own_returned}input_gradient = backward(w, z, a, y{own})
    return {{"w": [delta[layer] * a[layer] for layer in range(DEPTH)], "b": delta,
            "x": input_gradient{own_result}}}


def loss(w, b, x, y{own}):
    """C of the forward pass (what autograd differentiates)."""
    return cost(forward(w, b, x{own})[{index}][-1], y)
'''

_TIED_GRADIENTS = '''
def gradients(w, b, x, y{own}):
    """∂C/∂w and ∂C/∂b of the shared weight and bias (sums over the layers), and
    ∂C/∂a_0 as "x"."""
    ws, bs = [w] * DEPTH, [b] * DEPTH
    z, a = forward(ws, bs, x)
    delta, {own_returned}input_gradient = backward(ws, z, a, y)
    return {{"w": sum(delta[layer] * a[layer] for layer in range(DEPTH)), "b": sum(delta),
            "x": input_gradient{own_result}}}


def loss(w, b, x, y{own}):
    """C of the forward pass (what autograd differentiates)."""
    return cost(forward([w] * DEPTH, [b] * DEPTH, x)[{index}][-1], y)
'''

_LOG_FORM = {
    True: "(sign, ln|σ'(z)|), written in logarithms: finite wherever σ'(z) is not 0, even\n"
          "    where σ'(z) itself is below float64's 10^-308.",
    False: "(sign, ln|σ'(z)|) of σ'(z) in float64: symgrad has no logarithmic form of this\n"
           "    σ', so below 10^-308 it is 0 and its logarithm -inf.",
}

_LOG_SPACE = '''
def _signed_log(value):
    """(sign, ln|value|) of a float: (0.0, -inf) for 0."""
    value = float(value)
    if value == 0:
        return 0.0, -numpy.inf
    return float(numpy.sign(value)), float(numpy.log(abs(value)))


def _log_product(first, second):
    return first[0] * second[0], first[1] + second[1]


def _log_sum(first, second):
    """(sign, ln|·|) of the sum of two (sign, ln|·|) numbers."""
    if first[0] == 0:
        return second
    if second[0] == 0:
        return first
    big, small = (first, second) if first[1] >= second[1] else (second, first)
    rest = 1 + big[0] * small[0] * numpy.exp(small[1] - big[1])
    if rest == 0:
        return 0.0, -numpy.inf
    return (big[0] if rest > 0 else -big[0]), big[1] + float(numpy.log(abs(rest)))


def log_sigma_prime(z):
    """{log_form}"""
    return {log_slope_sign}, {log_slope}
{log_sigma}

def log10_gradients(w, b, x, y{own}):
    """As ``gradients``, each value as (sign, log10|·|): the backward products are
    carried in logarithms, so no product over- or underflows however deep the chain.
    σ'(z_l) comes from ``log_sigma_prime``{from_log_sigma}; the forward pass and w_l are
    float64 numbers as in ``gradients``."""{tied_lists}
    z, a = forward(w, b, x{own})
    delta = [None] * DEPTH{own_gradients}
{start}
{backward}

    def log10(value):
        return value[0], value[1] / numpy.log(10)

    log_inputs = {log_inputs}  # a_0, ..., a_(L-1)
    grad_w = [_log_product(log_inputs[layer], delta[layer]) for layer in range(DEPTH)]
{log_result}
'''


def _checks(chain: ScalarChain, target: str, layer: _Layer) -> str:
    """``check_against_autograd`` for ``target``: the framework's autograd (NumPy:
    central differences) at a random point, against ``gradients``."""
    names = ("w", "b", *layer.own)
    ranges = {"w": (0.5, 1.5), "b": (-0.5, 0.5), **{p: (-1.0, 1.0) for p in layer.own}}
    shape = "()" if chain.tied else "(DEPTH,)"
    own = "".join(f", {p}" for p in layer.own)
    if target == "numpy":
        draws = "\n".join(
            f"    {name} = " + (f"float(draw.uniform({low}, {high}))" if chain.tied else
                                f"list(draw.uniform({low}, {high}, DEPTH))")
            for name, (low, high) in ranges.items())
        collect = ("        pairs.append((found[name], central(name, None)))" if chain.tied else
                   "        pairs += [(found[name][index], central(name, index)) "
                   "for index in range(DEPTH)]")
        return _NUMPY_CHECK.format(draws=draws, names=repr(names), own=own, collect=collect,
                                   moved_own="".join(f", moved[\"{p}\"]" for p in layer.own),
                                   tied=chain.tied, values=", ".join(f"\"{n}\": {n}" for n in names))
    if target == "torch":
        draws = "\n".join(
            f"    {name} = (torch.rand({shape}, generator=draw, dtype=torch.float64) * "
            f"{high - low} + {low}).requires_grad_()" for name, (low, high) in ranges.items())
        return _TORCH_CHECK.format(draws=draws, names=repr(names), own=own, tied=chain.tied,
                                   collect="found[name]" if chain.tied else
                                   "torch.stack(list(found[name]))",
                                   values=", ".join(f"\"{n}\": {n}" for n in names))
    draws = "\n".join(
        f"    {name} = jax.random.uniform(keys[{i}], {shape}, dtype=jax.numpy.float64, "
        f"minval={low}, maxval={high})" for i, (name, (low, high)) in enumerate(ranges.items()))
    return _JAX_CHECK.format(draws=draws, count=len(names), names=repr(names), own=own,
                             collect="found[name]" if chain.tied else
                             "found[name] if name == \"x\" else "
                             "jax.numpy.stack(list(found[name]))",
                             tied=chain.tied, differentiated=repr(("w", "b", "x", *layer.own)),
                             argnums=repr((0, 1, 2, *range(4, 4 + len(layer.own)))))


_NUMPY_CHECK = '''
def check_against_autograd(seed=0, tolerance=1e-5):
    """NumPy has no autograd: central differences of ``loss`` at a random point against
    ``gradients``. Returns the largest difference relative to the largest gradient, and
    raises AssertionError when it is above ``tolerance``."""
    draw = numpy.random.default_rng(seed)
{draws}
    x, y = 0.5, 0.3
    values = {{{values}, "x": x}}
    found = gradients(w, b, x, y{own})

    def central(name, index):
        value = values[name] if index is None else values[name][index]
        step = 1e-6 * max(1.0, abs(value))
        ends = []
        for shift in (step, -step):
            moved = dict(values)
            if index is None:
                moved[name] = value + shift
            else:
                moved[name] = list(values[name])
                moved[name][index] = value + shift
            ends.append(loss(moved["w"], moved["b"], moved["x"], y{moved_own}))
        return (ends[0] - ends[1]) / (2 * step)

    pairs = [(found["x"], central("x", None))]
    for name in {names}:
{collect}
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
{draws}
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(0.3, dtype=torch.float64)
    loss(w, b, x, y{own}).backward()
    with torch.no_grad():
        found = gradients(w, b, x, y{own})
    values = {{{values}}}
    pairs = [(torch.as_tensor(found["x"]), x.grad)]
    for name in {names}:
        ours = {collect}
        pairs.append((torch.as_tensor(ours), values[name].grad))
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
    keys = jax.random.split(jax.random.PRNGKey(seed), {count})
{draws}
    x, y = jax.numpy.float64(0.5), jax.numpy.float64(0.3)
    automatic = dict(zip({differentiated}, jax.grad(loss, argnums={argnums})(w, b, x, y{own}),
                         strict=True))
    found = gradients(w, b, x, y{own})
    pairs = []
    for name in ("x", *{names}):
        ours = {collect}
        pairs.append((jax.numpy.asarray(ours), automatic[name]))
    scale = max(float(jax.numpy.abs(ours).max()) for ours, _ in pairs) or 1.0
    worst = max(float(jax.numpy.abs(ours - theirs).max()) for ours, theirs in pairs) / scale
    assert worst <= tolerance, worst
    return worst
'''
