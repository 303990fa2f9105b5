"""``symgrad export`` (issue 18): the derived backpropagation as NumPy, PyTorch and JAX
modules. Each exported module is imported and its gradients compared with symgrad's eval
(at 30 digits, rounded to float64), with mpmath.diff of a forward pass written here, and
with the framework's own autograd where it is installed; its own autograd check is shown
to fail on a wrong formula; the log-space module against the exact log10 at depth 10,000."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import mpmath
import numpy
import pytest

import symgrad
from tests.clirun import symgrad as symgrad_cli
from tests.oracle import MPMATH_ACTIVATIONS, mp_loss

ACTS = symgrad.ACTIVATIONS
POINT = {"w": [0.9, -1.2, 1.1, 0.7, -0.8, 1.3], "b": [0.1, -0.2, 0.3, 0.05, -0.15, 0.2],
         "p": [0.5, -0.4, 0.3, 0.8, -0.6, 0.2], "q": [-0.3, 0.2, 0.1, -0.5, 0.4, 0.0],
         "x": 0.4, "y": 0.3}
DEPTH = len(POINT["w"])


def load(source: str, folder, name: str):
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _arguments(kind: str, tied: bool = False):
    """gradients()' arguments at POINT: (w, b, x, y, own...)."""
    take = (lambda v: v[0]) if tied else list
    own = [take(POINT[n]) for n in ("p", "q")] if kind == "highway" else []
    return (take(POINT["w"]), take(POINT["b"]), POINT["x"], POINT["y"], *own)


def _evaluated(kind: str, act: str, cost: str = "quadratic", tied: bool = False):
    """symgrad eval at 30 digits at POINT: {name: value or per-layer list}."""
    given = {n: (POINT[n][0] if tied else POINT[n]) for n in ("w", "b")}
    if kind == "highway":
        given.update({n: (POINT[n][0] if tied else POINT[n]) for n in ("p", "q")})
    evaluation = symgrad.evaluate(
        DEPTH, act, residual=kind == "residual", highway=kind == "highway", tied=tied,
        cost=cost, x=str(POINT["x"]), y=str(POINT["y"]), dps=30,
        **{n: ",".join(map(str, v)) if isinstance(v, list) else str(v) for n, v in given.items()})
    layers = [evaluation.layer(n) for n in range(1, DEPTH + 1)]
    values = {"x": evaluation.input_gradient, "w": [v.grad_w for v in layers],
              "b": [v.grad_b for v in layers]}
    if kind == "highway":
        values.update({n: [v.own_gradients[n] for v in layers] for n in ("p", "q")})
    if tied:
        values = {n: (sum(v) if isinstance(v, list) else v) for n, v in values.items()}
        values["w"] = evaluation.grad_w_total
    return values


def _close(found: dict, expected: dict, tolerance: float) -> None:
    flat = [(name, i, float(f), float(e)) for name in expected
            for i, (f, e) in enumerate(zip(*(v if isinstance(v, list) else [v]
                                             for v in (found[name], expected[name])),
                                           strict=True))]
    scale = max(abs(e) for *_, e in flat)
    for name, i, f, e in flat:
        assert abs(f - e) <= tolerance * scale, (name, i, f, e)


@pytest.mark.parametrize("kind", ["plain", "residual", "highway"])
@pytest.mark.parametrize("act", ACTS)
def test_numpy_gradients_equal_eval_rounded_to_float64(act, kind, tmp_path):
    source = symgrad.export(DEPTH, act, residual=kind == "residual", highway=kind == "highway")
    module = load(source, tmp_path, f"chain_{kind}")
    found = module.gradients(*_arguments(kind))
    _close(found, _evaluated(kind, act), 1e-12)


@pytest.mark.parametrize("kind", ["plain", "residual", "highway"])
def test_tied_and_cross_entropy_modules_equal_eval(kind, tmp_path):
    for act, cost, tied in (("tanh", "quadratic", True), ("sigmoid", "cross-entropy", False),
                            ("gelu", "cross-entropy", True)):
        if (tied and kind == "highway") or (cost == "cross-entropy" and kind == "residual"):
            continue  # (no tied highway chain; a residual chain's output leaves (0, 1))
        source = symgrad.export(DEPTH, act, residual=kind == "residual",
                                highway=kind == "highway", tied=tied, cost=cost)
        module = load(source, tmp_path, f"chain_{kind}_{act}_{tied}")

        found = module.gradients(*_arguments(kind, tied))
        _close(found, _evaluated(kind, act, cost, tied), 1e-12)


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "gelu", "softplus"])
def test_numpy_gradients_equal_mpmath_diff_of_a_forward_pass_written_here(act, residual,
                                                                        tmp_path):
    module = load(symgrad.export(DEPTH, act, residual=residual), tmp_path, "chain")
    found = module.gradients(*_arguments("plain"))
    with mpmath.workdps(40):
        weights, biases = ([mpmath.mpf(str(v)) for v in POINT[n]] for n in ("w", "b"))
        x, y = mpmath.mpf(str(POINT["x"])), mpmath.mpf(str(POINT["y"]))
        assert act in MPMATH_ACTIVATIONS

        def loss_at(name, index, value):
            moved = {"w": list(weights), "b": list(biases), "x": x}
            if name == "x":
                moved["x"] = value
            else:
                moved[name][index] = value
            return mp_loss(act, "quadratic", moved["w"], moved["b"], moved["x"], y, residual)

        expected = {"x": mpmath.diff(lambda v: loss_at("x", None, v), x)}
        for name, values in (("w", weights), ("b", biases)):
            expected[name] = [mpmath.diff(lambda v, i=i, n=name: loss_at(n, i, v), values[i])
                              for i in range(DEPTH)]
    _close(found, expected, 1e-12)


def test_numpy_autograd_check_passes_and_fails_on_a_wrong_formula(tmp_path):
    """The module's central differences agree with its recursion, and catch a wrong σ'
    (one factor of 1.001 in a single layer's slope)."""
    for kind in ("plain", "residual", "highway"):
        for tied in (False, True) if kind != "highway" else (False,):
            source = symgrad.export(DEPTH, "tanh", residual=kind == "residual",
                                    highway=kind == "highway", tied=tied)
            module = load(source, tmp_path, f"check_{kind}_{tied}")
            assert module.check_against_autograd() < 1e-6
            right = module.sigma_prime
            module.sigma_prime = lambda z, right=right: right(z) * 1.001
            with pytest.raises(AssertionError):
                module.check_against_autograd()


def test_log_space_gives_the_front_gradient_where_float64_gives_0(tmp_path):
    """Depth 10,000 sigmoid: |∂C/∂w_1| ≈ 10^-(thousands); float64's recursion gives 0, the
    log-space module the exact log10 to 12 digits."""
    depth = 10_000
    source = symgrad.export(depth, "sigmoid", log_space=True)
    module = load(source, tmp_path, "deep")
    w, b, x, y = [1.5] * depth, [-0.2] * depth, 0.5, 0.0
    plain = module.gradients(w, b, x, y)
    assert plain["w"][0] == 0.0 and plain["x"] == 0.0
    logged = module.log10_gradients(w, b, x, y)
    evaluation = symgrad.evaluate(depth, "sigmoid", w="1.5", b="-0.2", x="0.5", y="0", dps=30,
                                  keep={1, depth})
    for name, shown, exact in (("w_1", logged["w"][0], evaluation.layer(1).grad_w),
                               ("x", logged["x"], evaluation.input_gradient),
                               ("b_L", logged["b"][-1], evaluation.layer(depth).grad_b)):
        expected = float(mpmath.log10(abs(mpmath.mpf(exact))))
        assert shown[0] == float(mpmath.sign(mpmath.mpf(exact))), name
        assert shown[1] == pytest.approx(expected, rel=1e-12), name
    assert logged["x"][1] < -300  # beyond float64's range


@pytest.mark.parametrize("target", ["numpy", "torch", "jax"])
@pytest.mark.parametrize("kind", ["plain", "residual", "highway"])
def test_the_exported_module_is_ruff_clean(target, kind, tmp_path):
    source = symgrad.export(DEPTH, "gelu", to=target, residual=kind == "residual",
                            highway=kind == "highway", log_space=target == "numpy")
    path = tmp_path / "module.py"
    path.write_text(source)
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache",
                          "--select", "E4,E7,E9,F,I,B", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


@pytest.mark.parametrize("kind", ["plain", "residual", "highway"])
@pytest.mark.parametrize("act", ["sigmoid", "relu", "gelu", "elu"])
def test_torch_module_equals_eval_and_torch_autograd(act, kind, tmp_path):
    torch = pytest.importorskip("torch")
    source = symgrad.export(DEPTH, act, to="torch", residual=kind == "residual",
                            highway=kind == "highway")
    module = load(source, tmp_path, f"torch_{act}_{kind}")
    assert module.check_against_autograd() < 1e-9
    tensors = [torch.tensor(v, dtype=torch.float64) for v in _arguments(kind)]
    found = module.gradients(*tensors)
    _close({n: [float(t) for t in v] if isinstance(v, list) else float(v)
            for n, v in found.items()}, _evaluated(kind, act), 1e-12)


@pytest.mark.parametrize("kind", ["plain", "residual", "highway"])
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "gelu", "silu"])
def test_jax_module_equals_eval_and_jax_autograd(act, kind, tmp_path):
    pytest.importorskip("jax")
    import jax.numpy

    source = symgrad.export(DEPTH, act, to="jax", residual=kind == "residual",
                            highway=kind == "highway")
    module = load(source, tmp_path, f"jax_{act}_{kind}")
    assert module.check_against_autograd() < 1e-9
    arrays = [jax.numpy.asarray(v, dtype=jax.numpy.float64) for v in _arguments(kind)]
    found = module.gradients(*arrays)
    _close({n: [float(t) for t in v] if isinstance(v, list) else float(v)
            for n, v in found.items()}, _evaluated(kind, act), 1e-12)


def test_the_cli_writes_the_module_atomically_and_refuses_in_one_sentence(tmp_path):
    target = tmp_path / "chain10.py"
    run = symgrad_cli("export", "--depth", "10", "--act", "sigmoid", "-o", str(target))
    assert run.returncode == 0, run.stderr
    module = load(target.read_text(), tmp_path, "chain10_loaded")
    assert module.DEPTH == 10 and module.check_against_autograd() < 1e-6
    before = target.read_text()
    for arguments, words in (
            (("--depth", "3", "--to", "pandas"), "Unknown target 'pandas'"),
            (("--depth", "3", "--to", "torch", "--log-space"), "written for NumPy"),
            (("--act", "tanh"), "Give the number of layers"),
            (("--depth", "0"), "depth"),
            (("--depth", "3", "--act", "bogus"), "bogus")):
        run = symgrad_cli("export", *arguments, "-o", str(target))
        assert run.returncode == 2 and words in run.stderr and len(run.stderr.splitlines()) == 1
        assert target.read_text() == before
    run = symgrad_cli("export", "--depth", "3", "-o", str(tmp_path / "chain.txt"))
    assert run.returncode == 2 and "FILE.py" in run.stderr
    printed = symgrad_cli("export", "--depth", "3", "--act", "tanh", "--to", "jax")
    assert printed.returncode == 0 and printed.stdout == symgrad.export(3, "tanh", to="jax")


def test_the_api_refuses_wrong_types_in_one_sentence():
    for call, words in ((lambda: symgrad.export(3, to=5), "The target must be text"),
                        (lambda: symgrad.export("3"), "depth"),
                        (lambda: symgrad.export(3, log_space="yes"), "log_space")):
        with pytest.raises(symgrad.SymgradError, match=words):
            call()
    assert numpy is not None


@pytest.mark.parametrize(("act", "w", "x"), [
    ("sigmoid", [-800, 1], 1), ("sigmoid", [800, -1], 1), ("softplus", [800, 1], 1),
    ("elu", [1, 1], -1e-17), ("elu", [1, 1], -3e-9), ("tanh", [400, 1], 1), ("silu", [-800, 1], 1),
    ("erfc(x)", [3, 1], 0.5), ("gelu", [-30, 1], 1)])
def test_each_value_is_right_where_a_naive_float_formula_overflows_or_cancels(act, w, x,
                                                                              tmp_path):
    """Each gradient to 1e-12 of its own size (a value below float64's range: 0), against
    eval at 30 digits: sigmoid's e^-z/(1 + e^-z)² is inf/inf at z = -800, softplus's
    log(1 + e^z) is inf at 800, elu's e^z - 1 loses every digit at 10^-17."""
    module = load(symgrad.export(2, act), tmp_path, "edge")
    with numpy.errstate(over="ignore"):
        found = module.gradients([float(v) for v in w], [0.0, 0.0], float(x), 0.25)
    evaluation = symgrad.evaluate(2, act, w=",".join(map(str, w)), b="0,0", x=str(x), y="0.25",
                                  dps=30)
    expected = {"x": evaluation.input_gradient,
                "w": [evaluation.layer(n).grad_w for n in (1, 2)],
                "b": [evaluation.layer(n).grad_b for n in (1, 2)]}
    for name, values in expected.items():
        for ours, exact in zip(found[name] if name != "x" else [found[name]],
                               values if name != "x" else [values], strict=True):
            exact = float(mpmath.mpf(exact))
            assert abs(float(ours) - exact) <= 1e-12 * abs(exact), (name, ours, exact)


def test_a_tied_log_space_module_sums_the_layers(tmp_path):
    """``log10_gradients`` of a tied chain: the shared w's and b's gradients (sums over the
    layers, formed in logarithms) against eval's exact ones."""
    depth = 2000
    module = load(symgrad.export(depth, "sigmoid", tied=True, log_space=True), tmp_path, "tied")
    logged = module.log10_gradients(1.5, -0.2, 0.5, 0.0)
    evaluation = symgrad.evaluate(depth, "sigmoid", tied=True, w="1.5", b="-0.2", x="0.5",
                                  y="0", dps=30, keep={1})
    for name, exact in (("w", evaluation.grad_w_total), ("x", evaluation.input_gradient)):
        exact = mpmath.mpf(exact)
        assert logged[name][0] == float(mpmath.sign(exact))
        assert logged[name][1] == pytest.approx(float(mpmath.log10(abs(exact))), rel=1e-12)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "softplus", "elu", "leaky_relu:0.1"])
def test_log_sigma_prime_is_finite_and_right_where_sigma_prime_underflows(act, tmp_path):
    """``log_sigma_prime`` against ln|σ'(z)| by mpmath.diff of σ written in tests/oracle.py,
    at points where float64's σ'(z) is 0 (|z| = 800, 5000) and at ordinary ones."""
    module = load(symgrad.export(2, act, log_space=True), tmp_path, "logslope")
    assert "written in logarithms" in module.log_sigma_prime.__doc__
    sigma = MPMATH_ACTIVATIONS[act]
    for z in (-5000, -800, -30, -0.5, 0.25, 3, 800, 5000):
        with mpmath.workdps(60 + abs(z)):  # (σ'(z) ≈ e^-|z| against σ(z) ≈ 1)
            slope = mpmath.diff(sigma, mpmath.mpf(z))
            expected = mpmath.log(abs(slope))
        sign, log = module.log_sigma_prime(float(z))
        assert sign == mpmath.sign(slope), z
        assert float(log) == pytest.approx(float(expected), rel=1e-13, abs=1e-13), z


def test_log_space_keeps_the_layers_where_sigma_prime_itself_underflows(tmp_path):
    """A residual tanh chain whose activations grow past z = 355, where tanh'(z) is below
    10^-308: float64 gives δ_l = 0 from there down, the log-space module the exact log10
    (eval at 30 digits) to 12 digits."""
    depth = 3000
    module = load(symgrad.export(depth, "tanh", residual=True, log_space=True), tmp_path, "sat")
    w, b, x, y = [1.5] * depth, [-0.2] * depth, 0.5, 0.0
    plain, logged = module.gradients(w, b, x, y), module.log10_gradients(w, b, x, y)
    evaluation = symgrad.evaluate(depth, "tanh", residual=True, w="1.5", b="-0.2", x="0.5",
                                  y="0", dps=30, keep={1, 300, 1500, depth})
    for n in (300, 1500, depth):
        exact = mpmath.mpf(evaluation.layer(n).delta)
        assert plain["b"][n - 1] == 0.0
        assert logged["b"][n - 1][0] == mpmath.sign(exact)
        assert logged["b"][n - 1][1] == pytest.approx(float(mpmath.log10(abs(exact))), rel=1e-12)


@pytest.mark.parametrize("weights", [(20, 40), (20, 1000), (-3, 900, 2)])
def test_cross_entropy_at_a_saturated_output_is_finite_and_right(weights, tmp_path):
    """sigmoid with cross-entropy where float64 rounds a_L to 1 (z_L = 40, 1000): the cost
    taken through z_L gives every gradient; against eval at 30 digits."""
    depth = len(weights)
    module = load(symgrad.export(depth, "sigmoid", cost="cross-entropy"), tmp_path, "ce")
    biases, x, y = [0.0] * depth, 1.0, 0.0
    found = module.gradients(list(map(float, weights)), biases, x, y)
    evaluation = symgrad.evaluate(depth, "sigmoid", w=",".join(map(str, weights)),
                                  b=",".join("0" * depth), x="1", y="0", cost="cross-entropy",
                                  dps=30)
    expected = [mpmath.mpf(evaluation.layer(n).grad_w) for n in range(1, depth + 1)]
    scale = max(abs(v) for v in expected)
    for ours, exact in zip(found["w"], expected):
        assert numpy.isfinite(ours) and abs(ours - exact) <= 1e-12 * scale
    assert float(found["x"]) == pytest.approx(float(mpmath.mpf(evaluation.input_gradient)),
                                              rel=1e-12, abs=1e-300)


# --- matrix nets (--widths) ---------------------------------------------------------------

NET_WIDTHS = (3, 5, 4, 2)


def _net_point():
    """W^l, b^l, x, y with short decimals (read exactly by eval, as floats by the module)."""
    draw = numpy.random.default_rng(5)

    def decimals(shape, low, high):
        return numpy.round(draw.uniform(low, high, shape), 3)

    weights = [decimals((n, m), -1.2, 1.2) for m, n in zip(NET_WIDTHS, NET_WIDTHS[1:])]
    biases = [decimals(n, -0.4, 0.4) for n in NET_WIDTHS[1:]]
    return weights, biases, decimals(NET_WIDTHS[0], -1, 1), decimals(NET_WIDTHS[-1], 0.1, 0.9)


def _net_evaluated(act: str, cost: str, tmp_path):
    weights, biases, x, y = _net_point()
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"weights": [w.tolist() for w in weights],
                                "biases": [b.tolist() for b in biases]}))
    return symgrad.evaluate_net(NET_WIDTHS, act, weights=str(path), x=[str(v) for v in x],
                                y=[str(v) for v in y], cost=cost, dps=30, spectrum=False)


def _converter(target: str):
    """Numbers and lists as the framework's float64 arrays."""
    if target == "torch":
        import torch

        return lambda v: torch.tensor(v, dtype=torch.float64)
    if target == "jax":
        import jax.numpy

        return lambda v: jax.numpy.asarray(v, dtype=jax.numpy.float64)
    return numpy.asarray


def _as_numpy(value):
    return numpy.asarray(value.detach() if hasattr(value, "detach") else value, dtype=float)


@pytest.mark.parametrize("target", ["numpy", "torch", "jax"])
@pytest.mark.parametrize("act, cost", [(act, "quadratic") for act in ACTS] +
                         [("sigmoid", "cross-entropy")])
def test_net_module_equals_eval_and_its_autograd(target, act, cost, tmp_path):
    """The exported net's gradients against eval at 30 digits rounded to float64 (1e-12 of
    the largest), and its check against the framework's autograd, which fails when σ' is
    off by 0.1 %."""
    if target != "numpy":
        pytest.importorskip(target)
    module = load(symgrad.export(widths=NET_WIDTHS, act=act, cost=cost, to=target), tmp_path,
                  f"net_{target}_{act.replace(':', '_')}")
    weights, biases, x, y = _net_point()
    convert = _converter(target)
    found = module.gradients([convert(w) for w in weights], [convert(b) for b in biases],
                             convert(x), convert(y))
    evaluation = _net_evaluated(act, cost, tmp_path)
    expected = {"W": [layer.grad_w for layer in evaluation.layers],
                "b": [layer.grad_b for layer in evaluation.layers],
                "x": evaluation.input_gradient}
    scale = max(abs(float(v)) for values in (*expected["W"], *expected["b"], expected["x"])
                for v in numpy.ravel(values))
    pairs = [(found["x"], expected["x"])] + list(zip(found["W"], expected["W"])) + \
        list(zip(found["b"], expected["b"]))
    for ours, exact in pairs:
        exact = numpy.asarray([float(v) for v in numpy.ravel(exact)]).reshape(numpy.shape(exact))
        assert numpy.max(numpy.abs(_as_numpy(ours) - exact)) <= 1e-12 * scale
    assert module.check_against_autograd() < (1e-6 if target == "numpy" else 1e-12)
    right = module.sigma_prime
    module.sigma_prime = lambda z, right=right: right(z) * 1.001
    with pytest.raises(AssertionError):
        module.check_against_autograd()


@pytest.mark.parametrize("target", ["numpy", "torch", "jax"])
def test_the_exported_net_module_is_ruff_clean(target, tmp_path):
    path = tmp_path / f"net_{target}.py"
    path.write_text(symgrad.export(widths=(4, 6, 3), act="gelu", to=target,
                                   cost="cross-entropy"))
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--select",
                           "E4,E7,E9,F,I,B", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("kwargs, words", [
    (dict(depth=3, widths=(2, 2)), "not both"),
    (dict(widths=(2, 2), residual=True), "residual is for chains"),
    (dict(widths=(2, 2), log_space=True), "log_space is for chains"),
    (dict(widths=(2,)), "at least two widths"),
    (dict(widths=(2, 0, 1)), "at least 1"),
    (dict(widths="2,3"), "list of whole numbers"),
    (dict(widths={2, 9}), "list of whole numbers"),
    (dict(widths={2: 1, 3: 1}), "list of whole numbers"),
])
def test_a_net_export_refuses_what_a_net_cannot_have(kwargs, words):
    with pytest.raises(symgrad.SymgradError, match=words):
        symgrad.export(**kwargs)


def test_the_net_command_writes_the_module(tmp_path):
    target = tmp_path / "net.py"
    done = symgrad_cli("export", "--widths", "2,3,2", "--act", "tanh", "-o", str(target))
    assert done.returncode == 0 and done.stderr == ""
    module = load(target.read_text(), tmp_path, "net_cli")
    assert module.WIDTHS == (2, 3, 2) and module.check_against_autograd() < 1e-6
    refused = symgrad_cli("export", "--widths", "2,3,2", "--tied")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "--tied is for chains" in refused.stderr


@pytest.mark.parametrize("target", ["torch", "jax"])
@pytest.mark.parametrize("act", ["sigmoid", "gelu"])
def test_cross_entropy_chains_run_in_each_framework(target, act, tmp_path):
    """The cost through z_L (logaddexp of a number and a tensor) in torch and JAX: against
    eval, and against the framework's autograd."""
    pytest.importorskip(target)
    module = load(symgrad.export(DEPTH, act, cost="cross-entropy", to=target), tmp_path,
                  f"ce_{target}_{act}")
    convert = _converter(target)
    w, b, x, y = _arguments("plain")
    found = module.gradients(convert(w), convert(b), convert(x), convert(y))
    found = {name: (float(value) if name == "x" else [float(v) for v in value])
             for name, value in found.items()}
    _close(found, _evaluated("plain", act, "cross-entropy"), 1e-12)
    assert module.check_against_autograd() < 1e-12


def test_a_wide_net_is_exported_with_the_general_form(tmp_path):
    """Widths past those whose entries derive writes out: the module is the same code, its
    docstring the general form, and its check passes (200 entries of 101,632)."""
    module = load(symgrad.export(widths=(784, 128, 10), act="tanh"), tmp_path, "wide")
    assert "δ^l = D_l (W^(l+1))ᵀ D_(l+1) ⋯ (W^L)ᵀ D_L" in module.__doc__
    assert module.check_against_autograd() < 1e-6


@pytest.mark.parametrize("y, bias", [(1, 19), (1, 39), (1, 799), (0, -801), (0.3, 39),
                                     (0.75, 0)])
def test_cross_entropy_output_delta_neither_cancels_nor_underflows(y, bias, tmp_path):
    """δ_L = σ(z_L) - y at y = 1 and z_L ≫ 0 cancels, and at z_L ≪ 0 its terms underflow:
    written as (1 - y) A - y B, in logarithms in the log-space module; against eval at 30
    digits, z_L = bias + 1."""
    module = load(symgrad.export(1, "sigmoid", cost="cross-entropy", log_space=True), tmp_path,
                  "ce_delta")
    evaluation = symgrad.evaluate(1, "sigmoid", w="1", b=str(bias), x="1", y=str(y),
                                  cost="cross-entropy", dps=30)
    exact = mpmath.mpf(evaluation.layer(1).delta)
    sign, log10 = module.log10_gradients([1.0], [float(bias)], 1.0, float(y))["b"][0]
    assert sign == mpmath.sign(exact)
    assert log10 == pytest.approx(float(mpmath.log10(abs(exact))), rel=1e-12)
    plain = module.gradients([1.0], [float(bias)], 1.0, float(y))["b"][0]
    if abs(exact) > 1e-300:  # (below, float64 has no such number)
        assert abs(plain - exact) <= 1e-13 * abs(exact)


@pytest.mark.parametrize("tied", [False, True])
def test_log_space_gradients_where_an_activation_underflows(tied, tmp_path):
    """b = -800: a_l = σ(z_l) ≈ e^-800 is 0 in float64's forward pass; ∂C/∂w_l = δ_l a_(l-1)
    takes a_(l-1) from log σ(z_(l-1)) and keeps its log10 (review: -1738.6 where eval has
    -694.9). Against eval at 30 digits, cross-entropy at y = 0.5."""
    depth = 5
    module = load(symgrad.export(depth, "sigmoid", cost="cross-entropy", tied=tied,
                                 log_space=True), tmp_path, f"under_{tied}")
    w, b = (0.5, -800.0) if tied else ([0.5] * depth, [-800.0] * depth)
    logged = module.log10_gradients(w, b, 1.0, 0.5)
    evaluation = symgrad.evaluate(depth, "sigmoid", w="0.5", b="-800", x="1", y="0.5",
                                  cost="cross-entropy", tied=tied, dps=30)
    if tied:
        pairs = [(logged["w"], evaluation.grad_w_total)]
    else:
        pairs = [(logged["w"][n - 1], evaluation.layer(n).grad_w) for n in range(1, depth + 1)]
    for (sign, log10), exact in pairs:
        exact = mpmath.mpf(exact)
        assert sign == mpmath.sign(exact)
        assert log10 == pytest.approx(float(mpmath.log10(abs(exact))), rel=1e-12)
