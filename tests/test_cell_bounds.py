"""``symgrad bounds --cell`` against runs written here, apart from symgrad.

The step of each cell is written below from torch's documented equations; J_t comes from
``mpmath.diff`` of that step (numerical differentiation), its singular values from mpmath's
SVD. Over random input sequences in the range, every state, every gate, every ‖J_t‖ and
σ_min(J_t), the carousel's product and the whole ratio ‖∂C/∂s_0‖ / ‖∂C/∂s_T‖ must lie inside
the bounds; where the bounds have a closed form (a forget gate that reads no state), they
must equal it; and an rnn's step bound must be tight to what a dense grid finds.
"""

from __future__ import annotations

import json
import random
import re
from fractions import Fraction

import mpmath
import pytest

import symgrad
from symgrad.errors import SymgradError
from tests.clirun import symgrad as symgrad_cli

DIGITS = 30


def sigmoid(v):
    return 1 / (1 + mpmath.exp(-v))


def step(cell: str, p: dict, x, state: tuple) -> tuple[tuple, dict]:
    """(the next state, the gates) of one step, as torch.nn.RNN/LSTM/GRU with sizes 1."""
    if cell == "rnn":
        (h,) = state
        return (mpmath.tanh(p["u"] * x + p["w"] * h + p["b"]),), {}
    if cell == "lstm":
        h, c = state

        def pre(g):
            return p["u" + g] * x + p["w" + g] * h + p["b" + g]

        i, f, o = sigmoid(pre("i")), sigmoid(pre("f")), sigmoid(pre("o"))
        g = mpmath.tanh(pre("g"))
        c_next = f * c + i * g
        return (o * mpmath.tanh(c_next), c_next), {"i": i, "f": f, "g": g, "o": o}
    (h,) = state
    r = sigmoid(p["ur"] * x + p["wr"] * h + p["br"])
    z = sigmoid(p["uz"] * x + p["wz"] * h + p["bz"])
    n = mpmath.tanh(p["un"] * x + p["bn"] + r * (p["wn"] * h + p["dn"]))
    return ((1 - z) * n + z * h,), {"r": r, "z": z, "n": n}


def jacobian(cell: str, p: dict, x, state: tuple) -> mpmath.matrix:
    """∂s_t/∂s_{t-1} by mpmath.diff of the step, entry by entry."""
    size = len(state)
    found = mpmath.matrix(size, size)
    for j in range(size):
        for i in range(size):
            def entry(v, i=i, j=j):
                moved = list(state)
                moved[j] = v
                return step(cell, p, x, tuple(moved))[0][i]
            found[i, j] = mpmath.diff(entry, state[j])
    return found


def singular_values(matrix: mpmath.matrix) -> list:
    return sorted(mpmath.svd_r(matrix, compute_uv=False))


def numbers(parameters: dict) -> dict:
    return {name: mpmath.mpf(value.p) / value.q for name, value in parameters.items()}


def runs(bounds, sequences: int, seed: int):
    """Random input sequences in the bounds' range, each run through the steps written here:
    (states after each step, gates, Jacobians)."""
    low, high = (mpmath.mpf(v.p) / v.q for v in bounds.inputs)
    p = numbers(dict(bounds.point.parameters))
    start = tuple(mpmath.mpf(v.p) / v.q for _, v in bounds.point.initial)
    rnd = random.Random(seed)
    cell = bounds.net.cell.name
    for number in range(sequences):
        state, states, gates, jacobians = start, [], [], []
        for _ in range(bounds.steps):
            # (the ends of the range too: the first two sequences hold an end throughout)
            x = low if number == 0 else high if number == 1 else \
                low + (high - low) * mpmath.mpf(rnd.random())
            jacobians.append(jacobian(cell, p, x, state))
            state, gate = step(cell, p, x, state)
            states.append(state)
            gates.append(gate)
        yield states, gates, jacobians


def inside(value, low, high) -> bool:
    """low ≤ value ≤ high, up to the rounding of the run here (DIGITS digits)."""
    slack = mpmath.mpf(10) ** (5 - DIGITS) * (1 + abs(value))
    return low - slack <= value <= high + slack


CASES = [
    dict(cell="rnn", steps=25),
    dict(cell="rnn", steps=25, parameters="w=-3/2,b=1/4", x="-2,1/2"),
    dict(cell="lstm", steps=25),
    dict(cell="lstm", steps=25, parameters="bf=3,wg=-1,ui=2", x="0,1"),
    dict(cell="gru", steps=25),
    dict(cell="gru", steps=25, parameters="wz=-1,bz=2,dn=1/3", h0="1/2"),
    dict(cell="gru", steps=10, parameters="wz=5", x="-2,2"),  # (intervals alone found no box)
]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c.values())))
def test_every_run_in_the_range_lies_inside_the_bounds(case):
    with mpmath.workdps(DIGITS):
        bounds = symgrad.bounds(dps=20, **case)
        first, later = bounds.bounds
        checked = 0
        for states, gates, jacobians in runs(bounds, 6, seed=len(str(case))):
            product = mpmath.eye(len(states[0]))
            carousel = mpmath.mpf(1)
            for t, (state, gate, j) in enumerate(zip(states, gates, jacobians), start=1):
                bound = first if t == 1 else later
                values = singular_values(j)
                slack = mpmath.mpf(10) ** -12  # (mpmath.diff's own error)
                assert values[-1] <= bound.norm * (1 + slack) + slack, (t, values, bound.norm)
                assert values[0] >= bound.least * (1 - slack) - slack, (t, values, bound.least)
                for name, low, high in bound.gates:
                    assert inside(gate[name], low, high), (t, name, gate[name], low, high)
                if bounds.box is not None:
                    for (name, low, high), value in zip(bounds.box, state):
                        assert inside(value, low, high), (t, name, value, low, high)
                if bounds.carousel is not None:
                    carousel *= gate[bounds.net.cell.carousel_gate]
                product = j.T * product  # (∂C/∂s_0 = J_1ᵀ … J_Tᵀ ∂C/∂s_T)
                checked += 1
            # the whole ratio for ∂C/∂s_T = (h_T − y, 0): the first column of the product
            column = product[:, 0]
            ratio = mpmath.sqrt(sum(column[i] ** 2 for i in range(column.rows)))
            assert bounds.lower * (1 - mpmath.mpf(10) ** -9) <= ratio <= \
                bounds.upper * (1 + mpmath.mpf(10) ** -9), (ratio, bounds.lower, bounds.upper)
            if bounds.carousel is not None:
                low, high = bounds.carousel
                assert low * (1 - mpmath.mpf(10) ** -15) <= carousel <= high * (1 + mpmath.mpf(10) ** -15)
        assert checked == 6 * bounds.steps


def test_a_forget_gate_that_reads_no_state_has_its_closed_form():
    """With w_f = 0, f_t = sigmoid(u_f x_t + b_f): over x_t in [lo, hi] its least and greatest
    values are sigmoid at the ends, and the carousel's bounds are their T-th powers."""
    bounds = symgrad.bounds(cell="lstm", steps=40, parameters="wf=0,uf=3/4,bf=1/2",
                            x="-1,2", dps=25)
    with mpmath.workdps(40):
        least, greatest = sigmoid(mpmath.mpf(-3) / 4 + mpmath.mpf(1) / 2), \
            sigmoid(mpmath.mpf(3) / 2 + mpmath.mpf(1) / 2)
        for bound in bounds.bounds:
            low, high = bound.gate("f")
            assert abs(low / least - 1) < mpmath.mpf(10) ** -20
            assert abs(high / greatest - 1) < mpmath.mpf(10) ** -20
        assert abs(bounds.carousel[0] / least ** 40 - 1) < mpmath.mpf(10) ** -18
        assert abs(bounds.carousel[1] / greatest ** 40 - 1) < mpmath.mpf(10) ** -18


def test_an_rnn_step_from_its_initial_state_is_bounded_exactly():
    """Step 1 starts at h_0 with one input: |J_1| = |w tanh'(u x + w h_0 + b)|, both ends."""
    bounds = symgrad.bounds(cell="rnn", steps=3, parameters="u=2,w=-3/4,b=1/5", x="1/3",
                            h0="-1/2", dps=25)
    with mpmath.workdps(40):
        z = 2 * mpmath.mpf(1) / 3 + mpmath.mpf(3) / 8 + mpmath.mpf(1) / 5
        true = mpmath.mpf(3) / 4 * (1 - mpmath.tanh(z) ** 2)
        first = bounds.bounds[0]
        assert abs(first.norm / true - 1) < mpmath.mpf(10) ** -20
        assert abs(first.least / true - 1) < mpmath.mpf(10) ** -20


def test_an_rnn_later_step_bound_is_tight_to_a_grid():
    """The later steps' bound over the box is within 0.5% of the largest |w tanh'(z)| a dense
    grid over the box and the inputs finds (the pieces cost at most their width)."""
    bounds = symgrad.bounds(cell="rnn", steps=10, parameters="w=2,u=1,b=-1/2", dps=20)
    (_, low, high), = bounds.box
    later = bounds.bounds[1]
    with mpmath.workdps(30):
        grid = [(low + (high - low) * i / 400, -1 + 2 * mpmath.mpf(j) / 40)
                for i in range(401) for j in range(41)]
        slopes = [abs(2 * (1 - mpmath.tanh(x + 2 * h - mpmath.mpf(1) / 2) ** 2)) for h, x in grid]
        largest, smallest = max(slopes), min(slopes)
        rounding = 1 + mpmath.mpf(10) ** -20
        assert largest <= later.norm * rounding and later.norm <= largest * mpmath.mpf("1.005")
        assert smallest * mpmath.mpf("0.995") <= later.least <= smallest * rounding


def test_a_kink_takes_the_activations_whole_range_and_stays_sound():
    """relu's kink inside a piece: the piece takes σ''s range [0, 1]; the bound still holds
    and, as a relu unit can be off, the least singular value is 0."""
    bounds = symgrad.bounds(cell="rnn", steps=5, act="relu", parameters="w=1/2", dps=20)
    later = bounds.bounds[1]
    assert later.whole_range and later.least == 0 and later.norm == mpmath.mpf(1) / 2
    assert bounds.regime == "vanishing"


def test_a_kink_fallback_rounds_outward_and_holds_the_exact_extremes():
    """leaky_relu:0.1 with w = 7/5 and inputs in [-2, 2]: every x_t = 2 keeps each unit on
    (|J_t| = 7/5, ratio exactly (7/5)^8), every x_t = -2 keeps it off (7/50 a step): the
    bounds hold both exactly, as printed in JSON too (a fallback rounded 7/5 to a float)."""
    done = cli("--cell", "rnn", "--steps", "8", "--act", "leaky_relu:0.1", "--set",
               "w=7/5,u=1,b=-1/5", "--x", "-2,2", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert Fraction(data["upper_bound"]) >= Fraction(7, 5) ** 8
    assert Fraction(data["lower_bound"]) <= Fraction(7, 50) ** 8
    for step in data["step_bounds"]:
        assert Fraction(step["jacobian_norm_upper"]) >= Fraction(7, 5)
        assert Fraction(step["least_singular_value_lower"]) <= Fraction(7, 50)


@pytest.mark.parametrize("dps", ["1", "2", "50"])
def test_printed_bounds_are_rounded_outward(dps):
    """With σ(x) = x the ratio is exactly (7/10)^6 for every sequence: the printed upper
    bound may not fall below it, nor the lower rise above it, at any --dps; the text's six
    digits too."""
    done = cli("--cell", "rnn", "--steps", "6", "--act", "x", "--set", "w=7/10,u=1",
               "--dps", dps, "--format", "json")
    data = json.loads(done.stdout)
    exact = Fraction(7, 10) ** 6
    assert Fraction(data["lower_bound"]) <= exact <= Fraction(data["upper_bound"])
    text = cli("--cell", "rnn", "--steps", "9", "--act", "x", "--set", "w=7/10,u=1").stdout
    upper = re.search(r"\|/\|∂C/∂h9\| ≤ ([0-9.]+)\n", text).group(1)
    assert Fraction(upper) >= Fraction(7, 10) ** 9


def test_a_gru_and_an_lstm_keep_h_between_its_last_value_and_the_unit_range():
    """What ``state_range`` declares, checked on the steps written here at random states:
    a GRU's h_t lies between h_{t-1} and [-1, 1], an LSTM's in [-1, 1]."""
    rnd = random.Random(3)
    with mpmath.workdps(30):
        for _ in range(300):
            for cell, names in (("gru", ("ur", "wr", "br", "uz", "wz", "bz", "un", "wn", "bn", "dn")),
                                ("lstm", tuple(p + g for g in "ifgo" for p in "uwb"))):
                p = {name: mpmath.mpf(rnd.uniform(-6, 6)) for name in names}
                h = mpmath.mpf(rnd.uniform(-50, 50))
                state = (h,) if cell == "gru" else (h, mpmath.mpf(rnd.uniform(-50, 50)))
                after = step(cell, p, mpmath.mpf(rnd.uniform(-5, 5)), state)[0][0]
                low, high = (min(h, -1), max(h, 1)) if cell == "gru" else (-1, 1)
                assert low <= after <= high


def cli(*args):
    """``symgrad bounds *args`` in this process (tests/clirun.py): what it prints and
    exits with is the subject here, not the process."""
    return symgrad_cli("bounds", *args)


def test_the_command_writes_json_the_schema_accepts_and_text():
    done = cli("--cell", "gru", "--steps", "12", "--set", "bz=2", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["cell"] == "gru" and data["carousel"]["gate"] == "z"
    assert [s["steps"] for s in data["step_bounds"]] == ["1", "2..12"]
    assert float(data["carousel"]["lower"]) <= float(data["carousel"]["upper"]) < 1
    text = cli("--cell", "lstm", "--steps", "30")
    assert text.returncode == 0, text.stderr
    words = " ".join(text.stdout.split())
    assert "Along the carousel alone (the f_t gate" in words


@pytest.mark.parametrize("args, words", [
    (("--cell", "lstm", "--steps", "5", "--w", "2"), "belongs to a chain"),
    (("--cell", "lstm"), "number of steps"),
    (("--steps", "5"), "belongs to a recurrent cell"),
    (("--cell", "gru", "--steps", "5", "--c0", "1"), "no cell state"),
    (("--cell", "rnn", "--steps", "5", "--x", "1,abc"), "not a number"),
    (("--cell", "lstm", "--steps", "5", "--set", "bf=40,wf=0"), "cannot be bounded"),
    (("--cell", "lstm", "--steps", "5", "--set", "zz=1"), "no parameter"),
    (("--cell", "lstm", "--steps", "5", "--act", "relu"), "fixed"),
    (("--cell", "rnn", "--steps", "0"), "steps"),
])
def test_bad_input_gets_one_sentence_and_exit_2(args, words):
    done = cli(*args)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert words in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_api_refuses_a_wrong_type_in_one_sentence():
    with pytest.raises(SymgradError):
        symgrad.bounds(cell="lstm", steps=[3])
    with pytest.raises(SymgradError):
        symgrad.bounds(cell=3, steps=3)
