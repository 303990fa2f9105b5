"""Matrix nets, evaluated: gradients against mpmath.diff of an independent forward pass,
the Jacobian's singular values against numpy's SVD and |det J|, the scalar chain as the
widths-all-1 case, and the initialisations."""

import json

import mpmath
import numpy
import pytest
import sympy

import symgrad
from symgrad.networks import MatrixNet
from symgrad.numeric.matrix_net import evaluate_net
from symgrad.numeric.net_parameters import NetParameters, draw_parameters
from tests.clirun import symgrad as symgrad_cli
from tests.numbers import agree, as_mpf
from tests.oracle import MPMATH_ACTIVATIONS
from tests.oracle_matrix import mp_net_forward, mpmath_diff_net, point_as_mpf, random_net_point

R = sympy.Rational


def write_point(tmp_path, point):
    weights, biases, _, _ = point
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"weights": weights[1:], "biases": biases[1:]}))
    return str(path)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "softplus"])
def test_wide_deep_net_against_mpmath_diff(tmp_path, act):
    widths = (8,) * 21
    text_point = random_net_point(widths, seed=11, scale=0.9)
    result = symgrad.evaluate_net(widths, act, weights=write_point(tmp_path, text_point),
                                  x=text_point[2], y=text_point[3], dps=50)
    point = point_as_mpf(text_point)
    for target in (("w", 1, 3, 5), ("w", 10, 8, 1), ("w", 20, 2, 2), ("b", 1, 4), ("b", 15, 7),
                   ("x", 6)):
        expected = mpmath_diff_net(act, "quadratic", point, target, dps=90)
        if target[0] == "w":
            got = result.layers[target[1] - 1].grad_w[target[2] - 1][target[3] - 1]
        elif target[0] == "b":
            got = result.layers[target[1] - 1].grad_b[target[2] - 1]
        else:
            got = result.input_gradient[target[1] - 1]
        assert agree(got, expected, 40), (target, got, expected)


def independent_jacobian(act, point):
    """D_L W^L ⋯ D_1 W^1 from the oracle's forward pass, σ' by mpmath.diff."""
    weights, biases, x, _ = point
    with mpmath.workdps(60):
        zs, _ = mp_net_forward(act, weights, biases, x)
        sigma = MPMATH_ACTIVATIONS[act]
        jacobian = mpmath.eye(len(x))
        factors = []
        for layer in range(1, len(weights)):
            slopes = [mpmath.diff(sigma, z) for z in zs[layer]]
            w = mpmath.matrix(weights[layer])
            factors.append((w, slopes))
            jacobian = mpmath.diag(slopes) * w * jacobian
    return jacobian, factors


def test_singular_values_against_numpy_svd(tmp_path):
    widths, act = (4, 5, 4), "tanh"
    text_point = random_net_point(widths, seed=5)
    result = symgrad.evaluate_net(widths, act, weights=write_point(tmp_path, text_point),
                                  x=text_point[2], y=text_point[3], dps=30)
    jacobian, _ = independent_jacobian(act, point_as_mpf(text_point))
    expected = numpy.linalg.svd(numpy.array(jacobian.tolist(), dtype=float), compute_uv=False)
    got = numpy.array([float(as_mpf(v)) for v in result.spectrum.values])
    assert numpy.allclose(got, expected, rtol=1e-12, atol=0)


def test_product_of_singular_values_is_abs_det(tmp_path):
    widths, act = (4, 4, 4, 4), "sigmoid"
    text_point = random_net_point(widths, seed=8)
    result = symgrad.evaluate_net(widths, act, weights=write_point(tmp_path, text_point),
                                  x=text_point[2], y=text_point[3], dps=40)
    _, factors = independent_jacobian(act, point_as_mpf(text_point))
    with mpmath.workdps(60):
        det = mpmath.fprod(mpmath.det(w) * mpmath.fprod(slopes) for w, slopes in factors)
        product = mpmath.fprod(as_mpf(v) for v in result.spectrum.values)
        assert abs(product - abs(det)) < mpmath.mpf(10) ** -38 * abs(det)


def test_rank_deficient_jacobian_is_not_given_false_digits():
    net = MatrixNet((3, 1, 3), symgrad.get_activation("tanh"))  # J has rank 1
    result = evaluate_net(net, draw_parameters(net, "normal", 3, 1, 30), (R(1),) * 3, (R(0),) * 3, 30)
    spectrum = result.spectrum
    assert spectrum.resolved[0] and mpmath.isinf(spectrum.condition_number)
    for value, resolved in zip(spectrum.values[1:], spectrum.resolved[1:]):
        assert value == 0 or (not resolved and value <= spectrum.floor)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
def test_widths_all_one_is_the_scalar_chain(act):
    depth = 12
    weights = [R(k % 5 + 1, 3) * (-1) ** k for k in range(depth)]
    biases = [R(k % 3 - 1, 4) for k in range(depth)]
    net = MatrixNet((1,) * (depth + 1), symgrad.get_activation(act))
    parameters = NetParameters(tuple(((w,),) for w in weights), tuple((b,) for b in biases), "test")
    matrix = evaluate_net(net, parameters, (R(1, 2),), (R(1, 3),), 40)
    scalar = symgrad.evaluate(depth, act, w=weights, b=biases, x="1/2", y="1/3", dps=40)
    with mpmath.workdps(60):
        for n in range(1, depth + 1):
            assert agree(matrix.layers[n - 1].delta[0], as_mpf(scalar.layer(n).delta), 38)
        assert agree(matrix.input_gradient[0], as_mpf(scalar.input_gradient), 38)
        gain = mpmath.fprod(as_mpf(scalar.layer(n).gain) for n in range(1, depth + 1))
        (singular,) = matrix.spectrum.values
        assert singular == 0 and gain == 0 or agree(singular, abs(gain), 38)


def test_cancellation_in_a_later_layer_raises_the_digits(tmp_path):
    """z^2 = 10^25 (tanh(1) - tanh(1 + 10^-25)) loses 25 digits: the pass must raise its
    working digits until the values shown agree (a fixed guard would print 6 right ones)."""
    point = ([None, [["1", "0"], ["0", "1"]], [["1e25", "-1e25"]]], [None, ["0", "1e-25"], ["0"]],
             ["1", "1"], ["1/3"])
    result = symgrad.evaluate_net((2, 2, 1), "tanh", weights=write_point(tmp_path, point),
                                  x=point[2], y=point[3], dps=30)
    with mpmath.workdps(200):
        weights, biases, x, y = point_as_mpf(point)
        zs, _ = mp_net_forward("tanh", weights, biases, x)
        assert agree(result.layers[1].z[0], zs[2][0], 30)
    for target in (("w", 2, 1, 1), ("b", 1, 2), ("x", 1)):
        expected = mpmath_diff_net("tanh", "quadratic", point_as_mpf(point), target, dps=200)
        got = {"w": lambda: result.layers[1].grad_w[0][0], "b": lambda: result.layers[0].grad_b[1],
               "x": lambda: result.input_gradient[0]}[target[0]]()
        assert agree(got, expected, 30), (target, got, expected)


def test_saturated_tanh_unit_has_its_tiny_derivative(tmp_path):
    """σ'(z) = 1 - tanh(z)² at z ≈ 75 is 0 in any working precision below 66 digits: the
    pass evaluates sech²(z) instead, and δ reaches the front layer."""
    point = ([None, [["1", "1"]], [["100"]]], [None, ["0"], ["-0.7615941559557649"]],
             ["0.5", "0.5"], ["0"])
    result = symgrad.evaluate_net((2, 1, 1), "tanh", weights=write_point(tmp_path, point),
                                  x=point[2], y=point[3], dps=20)
    for target in (("w", 1, 1, 1), ("x", 2)):
        expected = mpmath_diff_net("tanh", "quadratic", point_as_mpf(point), target, dps=300)
        got = result.layers[0].grad_w[0][0] if target[0] == "w" else result.input_gradient[1]
        assert expected != 0 and agree(got, expected, 20), (target, got, expected)


def test_piecewise_linear_net_at_a_kink_is_exact(tmp_path):
    """z^2 = 3·0.1 - 1.5·0.2 is exactly 0 (relu's flat side): in exact rationals the
    gradient behind it is exactly 0, where rounding would pick a side at random."""
    point = ([None, [["1", "0"], ["0", "1"]], [["3", "-1.5"]]], [None, ["0", "0"], ["0"]],
             ["0.1", "0.2"], ["1"])
    result = symgrad.evaluate_net((2, 2, 1), "relu", weights=write_point(tmp_path, point),
                                  x=point[2], y=point[3], dps=30)
    assert R(3) * R("0.1") - R("1.5") * R("0.2") == 0  # the oracle: exact arithmetic
    assert result.arithmetic == "rational" and result.layers[1].z[0] == 0
    assert all(v == 0 for v in result.input_gradient)
    assert all(v == 0 for layer in result.layers for v in layer.delta)


def test_weights_beyond_mpfr_range_do_not_crash():
    """Weights of 10^300 send σ' below 10^-(10^299): the pass runs in balls (Arb's
    exponents are unbounded), its values handed on as mpmath numbers."""
    result = run("--widths", "2,3,2", "--init", "normal", "--scale", "1e300", "--x", "1,1",
                 "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["arithmetic"] == "ball"
    jacobian = data["jacobian"]
    for value, known in zip(jacobian["singular_values"], jacobian["resolved"]):
        assert mpmath.isfinite(mpmath.mpf(value)) if known else value is None


def test_one_digit_asked_prints_one_digit():
    result = run("--widths", "2,3,2", "--act", "tanh", "--init", "normal", "--dps", "1")
    assert result.returncode == 0, result.stderr
    line = " ".join(result.stdout.split())
    norm = line.split("‖J‖₂ = ")[1].split(" ")[0]
    assert len(norm.replace(".", "").strip("0")) == 1, norm


def test_draws_are_reproducible_and_seeded():
    net = MatrixNet((3, 4, 2), symgrad.get_activation("tanh"))
    first = draw_parameters(net, "he", 7, 1, 30)
    assert first.weights == draw_parameters(net, "he", 7, 1, 30).weights
    assert first.weights != draw_parameters(net, "he", 8, 1, 30).weights


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 5)])
def test_orthogonal_init_is_orthogonal_to_the_digits(shape):
    net = MatrixNet((shape[1], shape[0]), symgrad.get_activation("tanh"))
    (w,) = draw_parameters(net, "orthogonal", 1, "3/2", 40).weights
    with mpmath.workdps(60):
        m = mpmath.matrix([[as_mpf(v) for v in row] for row in w]) / mpmath.mpf(1.5)
        gram = m.T * m if shape[0] >= shape[1] else m * m.T
        assert mpmath.mnorm(gram - mpmath.eye(gram.rows), 1) < mpmath.mpf(10) ** -40


def _mpmath_qr_q(draw: numpy.ndarray, dps: int):
    """Q of the QR of the tall one of A, Aᵀ (Householder, in mpmath at ``dps``), R's
    diagonal made positive: the orthogonal draw's definition, computed independently."""
    tall = draw if draw.shape[0] >= draw.shape[1] else draw.T
    with mpmath.workdps(dps):
        q, r = mpmath.qr(mpmath.matrix(tall.tolist()), mode="skinny")
        for j in range(tall.shape[1]):
            if r[j, j] < 0:
                for i in range(tall.shape[0]):
                    q[i, j] = -q[i, j]
    return q if draw.shape[0] >= draw.shape[1] else q.T


@pytest.mark.parametrize("route", ["floats", "balls"])
@pytest.mark.parametrize("shape, dps, seed", [((16, 16), 30, 0), ((6, 4), 20, 3),
                                              ((5, 12), 40, 1), ((16, 9), 60, 2)])
def test_orthogonal_draw_is_the_qr_q_of_the_same_gaussian(monkeypatch, route, shape, dps,
                                                          seed):
    """The draw against mpmath's own QR of the same Gaussian A (PCG64, the seed, layer by
    layer), signs fixed, at twice the digits: equal to dps + 10 digits, and orthonormal
    to 10^-(dps+10) by an mpmath product of its exact entries. Both routes (float64
    slices, ball matrices) are held to it."""
    from symgrad.numeric import orthogonal
    if route == "balls":
        monkeypatch.setattr(orthogonal, "FLOAT_ROUTE_BITS", 0)
    else:  # the float route must not give up on these (it would fall back silently)
        monkeypatch.setattr(orthogonal, "_orthogonal_in_balls", None)
    net = MatrixNet((shape[1], shape[0]), symgrad.get_activation("tanh"))
    (w,) = draw_parameters(net, "orthogonal", seed, 1, dps).weights
    draw = numpy.random.Generator(numpy.random.PCG64(seed)).standard_normal(shape)
    expected = _mpmath_qr_q(draw, 2 * dps + 40)
    with mpmath.workdps(2 * dps + 40):
        m = mpmath.matrix([[as_mpf(v) for v in row] for row in w])
        tolerance = mpmath.mpf(10) ** -(dps + 10)
        assert max(abs(v) for v in (m - expected)) < tolerance
        gram = m.T * m if shape[0] >= shape[1] else m * m.T
        assert max(abs(v) for v in (gram - mpmath.eye(gram.rows))) < tolerance


def test_orthogonal_draw_of_width_256_is_quick_and_orthonormal():
    """A 256 × 256 draw at 30 digits (40 drawn) in float64 slices: within 5 s (about
    0.2 s), and its QᵀQ − I, in balls at 300 bits, below 10^-40."""
    import time

    from flint import arb_mat

    from symgrad.numeric.balls import precision
    net = MatrixNet((256, 256), symgrad.get_activation("tanh"))
    start = time.perf_counter()
    (w,) = draw_parameters(net, "orthogonal", 5, 1, 30).weights
    assert time.perf_counter() - start < 5
    with precision(300):
        error = (w.balls.transpose() * w.balls - arb_mat(numpy.eye(256).tolist())).entries()
        assert max(abs(v).upper() for v in error) < mpmath.mpf(10) ** -40


@pytest.mark.parametrize("init, variance", [("he", lambda n_in, n_out: 2 / n_in),
                                            ("xavier", lambda n_in, n_out: 2 / (n_in + n_out)),
                                            ("normal", lambda n_in, n_out: 1)])
def test_init_variance_within_its_sampling_error(init, variance):
    n_in, n_out = 300, 200
    net = MatrixNet((n_in, n_out), symgrad.get_activation("relu"))
    (w,) = draw_parameters(net, init, 0, 1, 20).weights
    values = numpy.array([float(as_mpf(v)) for row in w for v in row])
    expected = variance(n_in, n_out)
    # the sample variance of N normal draws has relative standard error sqrt(2/(N - 1))
    tolerance = 5 * numpy.sqrt(2 / (values.size - 1))
    assert abs(values.var() / expected - 1) < tolerance
    assert abs(values.mean()) < 5 * numpy.sqrt(expected / values.size)


def run(*args):
    """``symgrad eval *args`` in this process (tests/clirun.py): what it prints and
    exits with is the subject here, not the process."""
    return symgrad_cli("eval", *args)


def test_cli_json_shapes(tmp_path):
    result = run("--widths", "2,3,2", "--act", "tanh", "--init", "xavier", "--seed", "2",
                 "--x", "1,-1", "--y", "0,1", "--dps", "20", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    first = data["layers"][0]
    assert len(first["delta"]) == 3 and len(first["grad_w"]) == 3 and len(first["grad_w"][0]) == 2
    assert len(data["jacobian"]["singular_values"]) == 2 and data["widths"] == [2, 3, 2]


@pytest.mark.parametrize("args, message", [
    (["--widths", "2,3,2"], "needs weights"),
    (["--widths", "2,3,2", "--init", "he", "--depth", "3"], "--depth belongs to a scalar chain"),
    (["--widths", "2,3,2", "--init", "glorot"], "Unknown initialisation"),
    (["--widths", "2,3,2", "--init", "he", "--seed", "-1"], "at least 0"),
    (["--widths", "2,3,2", "--init", "he", "--x", "1,2,3"], "exactly 2, not 3"),
    (["--widths", "2,3,2", "--weights", "/nonexistent/net.json"], "Cannot read the weights file"),
    (["--widths", "2,3,2", "--init", "he", "--weights", "x.json"], "not both"),
    (["--depth", "3", "--init", "he", "--x", "1"], "belongs to a matrix net"),
])
def test_bad_input_is_one_sentence(args, message):
    result = run(*args)
    assert result.returncode == 2 and result.stdout == "" and message in result.stderr


@pytest.mark.parametrize("content, message", [
    ("not json", "is not JSON"),
    ('{"weights": [[[1, 2]], [[1]]]}', "weights[1] must have 3 rows"),
    ('{"weights": [[[1, 2], [1, 2], [1, "x"]], [[1, 1, 1], [1, 1, 1]]]}', "'x' is not a number"),
    ('{"weights": [[[1, 2], [1, 2], [1, true]], [[1, 1, 1], [1, 1, 1]]]}', "numbers only"),
    ('{"weights": [[[1, 2], [1, 2], [1, 2]], [[1, 1, 1], [1, 1, 1]]], "bias": []}', "unknown key"),
    ('{"weights": [[[1, 2], [1, 2], [1, 2]], [[1, 1, 1], [1, 1, 1]]], "biases": [[0, 0], [0]]}',
     "biases[1] must be a list of 3 numbers"),
])
def test_bad_weights_files(tmp_path, content, message):
    path = tmp_path / "net.json"
    path.write_text(content)
    result = run("--widths", "2,3,2", "--weights", str(path))
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_a_singular_value_the_digits_cannot_resolve_is_null_with_its_bound(tmp_path):
    """W = [[1, 1], [1, 1 + 10^-80]] with tanh: the Jacobian diag(σ'(z)) W is nonsingular,
    its smaller singular value about 2·10^-81 (mpmath's SVD at 200 digits, here): the JSON
    gives no number for what the working digits cannot tell from 0 (it said "0.0" and a
    condition number "inf"), only bounds that hold."""
    weights = tmp_path / "w.json"
    weights.write_text(json.dumps({"weights": [[[1, 1], [1, "1." + "0" * 79 + "1"]]]}))
    result = symgrad_cli("eval", "--widths", "2,2", "--act", "tanh", "--weights", str(weights),
                         "--x", "0.5", "--format", "json")
    assert result.returncode == 0, result.stderr
    jacobian = json.loads(result.stdout)["jacobian"]
    with mpmath.workdps(200):
        w = mpmath.matrix([[1, 1], [1, 1 + mpmath.mpf(10) ** -80]])
        z = w * mpmath.matrix([mpmath.mpf(1) / 2, mpmath.mpf(1) / 2])
        j = mpmath.diag([mpmath.sech(z[0]) ** 2, mpmath.sech(z[1]) ** 2]) * w
        values = sorted(mpmath.svd_r(j, compute_uv=False), reverse=True)
        assert 0 < values[1] < mpmath.mpf(10) ** -80  # the oracle: tiny, not 0
        for value, shown, known in zip(values, jacobian["singular_values"],
                                       jacobian["resolved"]):
            if known:
                assert abs(mpmath.mpf(shown) - value) < mpmath.mpf(10) ** -40 * value
            else:
                assert shown is None and value <= mpmath.mpf(jacobian["unresolved_below"])
        assert jacobian["resolved"][-1] is False and jacobian["condition_number"] is None
        assert mpmath.mpf(jacobian["condition_number_at_least"]) <= values[0] / values[1]


@pytest.mark.parametrize("seed, size, scale", [(0, 8, 1e-14), (1, 16, 1e-20), (2, 5, 3e-9)])
def test_orthogonal_refinement_estimate_is_within_its_bound(seed, size, scale):
    """The refinement's next QᵀQ − I, −FᵀF − FF − (FF)ᵀ + FᵀEF, estimated in float64 from
    F̂ (the float sum of F's exact slices) and Ê (within e_error of the true E): exact
    rational arithmetic (Fractions) of the true F and E is within the returned bound of
    the estimate, entrywise, and the bound is small enough to be of use (the draw takes
    the estimate instead of a Gram product only then)."""
    from fractions import Fraction

    from symgrad.numeric import orthogonal
    rng = numpy.random.default_rng(seed)
    e_hat = rng.standard_normal((size, size)) * scale
    e_hat = e_hat + e_hat.T
    e_error = scale * 2.0 ** -60
    true_e = [[Fraction(v) + Fraction(e_error) * int(rng.integers(-1, 2)) for v in row]
              for row in e_hat]
    upper = numpy.triu(e_hat)
    upper[numpy.diag_indices(size)] /= 2
    high = upper.astype(numpy.float32).astype(float)  # F in two exact slices
    slices = [high, upper - high, numpy.triu(rng.standard_normal((size, size))) * scale * 2 ** -70]
    phi = sum(reversed(slices))
    f = [[sum(Fraction(s[i, j]) for s in slices) for j in range(size)] for i in range(size)]

    def norms(m):
        return max(max(numpy.sqrt((m ** 2).sum(axis=0))), max(numpy.sqrt((m ** 2).sum(axis=1))))
    norm_f = norms(phi) * 1.01
    norm_e = float(numpy.sqrt((e_hat ** 2).sum())) * 1.01 + size * e_error
    estimate, bound = orthogonal._next_gram(slices, phi, e_hat, e_error, norm_f, norm_e)

    def mul(x, y):
        return [[sum(x[i][k] * y[k][j] for k in range(size)) for j in range(size)]
                for i in range(size)]
    ft = [list(row) for row in zip(*f)]
    ff, ftf, ftef = mul(f, f), mul(ft, f), mul(ft, mul(true_e, f))
    worst = max(abs(Fraction(estimate[i, j]) - (ftef[i][j] - ftf[i][j] - ff[i][j] - ff[j][i]))
                for i in range(size) for j in range(size))
    assert worst <= Fraction(bound)
    assert bound < scale ** 2 * 1e-10  # far below the terms themselves (≈ n scale²)


def test_orthogonal_draws_beside_each_other_equal_one_by_one():
    """The pipelined draws (float64 stage on a thread) give exactly the matrices each draw
    gives alone, in order, including a wide one and a scale."""
    from symgrad.numeric import orthogonal
    from symgrad.numeric.work import Work
    rng = numpy.random.default_rng(11)
    draws = [rng.standard_normal(shape) for shape in [(40, 40), (30, 50), (50, 30), (40, 40)]]
    scale = sympy.Rational(3, 2)
    together = orthogonal.orthogonal_draws(((d, "d") for d in draws), scale, 40, Work())
    alone = [orthogonal.orthogonal(d, scale, 40, Work(), "d") for d in draws]
    assert len(together) == len(alone) == 4
    for (q, unit), (q_alone, unit_alone) in zip(together, alone):
        assert (q.nrows(), q.ncols()) == (q_alone.nrows(), q_alone.ncols())
        assert all(a.is_exact() and a.mid() == b.mid() for a, b in zip(q.entries(), q_alone.entries()))
        assert numpy.array_equal(unit, unit_alone)
