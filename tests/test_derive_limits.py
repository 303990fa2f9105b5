"""Deep derivations: each σ'(z_k) substituted once, progress sized by the work, written-out
layers bounded, and the stated maximum depth finishing in bounded time."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter

import pytest

import symgrad
from symgrad.activations import Activation
from symgrad.derive.chain import MAX_WRITTEN_FACTORS, derive_chain, derive_work
from symgrad.errors import SymgradError
from symgrad.networks import MAX_DERIVE_DEPTH, ScalarChain
from symgrad.render import render
from tests.process import symgrad_process


def _counting(monkeypatch):
    """Count how often the activation's σ' is written in at some z (either form)."""
    calls = []
    for name in ("derivative_at", "derivative_from_output"):
        original = getattr(Activation, name)

        def counted(self, value, _original=original):
            calls.append(value)
            return _original(self, value)

        monkeypatch.setattr(Activation, name, counted)
    return calls


@pytest.mark.parametrize("act, residual", [("sigmoid", False), ("tanh", True), ("relu", False)])
def test_each_derivative_is_substituted_once(monkeypatch, act, residual):
    depth = 300  # front and last layer written out, and the input gradient
    calls = _counting(monkeypatch)
    derivation = symgrad.derive(depth, act, residual=residual)
    for fmt in ("json", "latex", "text"):
        render(derivation, fmt)
    at_layers = Counter(str(v) for v in calls if re.fullmatch(r"[az]\d+", str(v)))
    assert len(at_layers) == depth  # every σ'(z_k) is written in (through a_k or at z_k) ...
    assert set(at_layers.values()) == {1}  # ... once, not once per layer and form it is in


def test_progress_reports_add_up_to_the_work():
    chain = ScalarChain(2_500, symgrad.get_activation("sigmoid"))
    reports = []
    derive_chain(chain, progress=reports.append)
    assert sum(reports) == derive_work(chain) == 2_500
    assert len(reports) >= 3 and all(n > 0 for n in reports)


def test_a_symbolic_depth_reports_no_work():
    chain = ScalarChain(None, symgrad.get_activation("tanh"))
    reports = []
    derive_chain(chain, progress=reports.append)
    assert derive_work(chain) == 0 and reports == []


def test_too_many_written_out_layers_are_refused_at_once():
    started = time.perf_counter()
    with pytest.raises(SymgradError) as error:
        symgrad.derive(MAX_DERIVE_DEPTH, "sigmoid", layers=range(1, 2_001))
    assert time.perf_counter() - started < 5
    message = str(error.value)
    assert message.endswith(".") and "\n" not in message and message.count(". ") == 0
    assert f"{MAX_WRITTEN_FACTORS:,}" in message


def test_written_out_layers_up_to_the_bound_are_allowed():
    depth = 5_000  # layers 1..200 of it: 2·Σ(L - n) + 2 ≈ 1.96 million factors
    derivation = symgrad.derive(depth, "sigmoid", layers=range(1, 197))
    assert len(derivation.layers) == 196
    assert len(derivation.layer(196).delta.groups[1]) == depth - 196


def test_the_cli_refuses_too_many_layers_with_one_sentence():
    layers = ",".join(map(str, range(1, 2_001)))
    run = symgrad_process("derive", "--depth", str(MAX_DERIVE_DEPTH), "--layers", layers,
                          "--format", "json")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("symgrad: Writing out 2000 layers") and run.stderr.count("\n") == 1


def test_depth_ten_thousand_derives_in_seconds():
    started = time.perf_counter()
    derivation = symgrad.derive(10_000, "sigmoid")
    front = derivation.concrete(derivation.layer(1).delta)
    elapsed = time.perf_counter() - started
    assert sum(len(g) for g in front.groups) == 1 + 9_999 + 10_000
    assert elapsed < 20, elapsed  # was over a minute: σ' re-substituted factor by factor


@pytest.mark.slow
def test_the_largest_depth_writes_json_in_bounded_time(tmp_path):
    target = tmp_path / "deep.json"
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "symgrad.cli", "derive", "--depth",
                          str(MAX_DERIVE_DEPTH), "--act", "sigmoid", "-o", str(target)],
                         capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    assert run.returncode == 0, run.stderr
    data = json.loads(target.read_text())
    assert [layer["layer"] for layer in data["layers"]] == [1, MAX_DERIVE_DEPTH]
    assert data["layers"][0]["delta_abstract"].count("dsigma(") == MAX_DERIVE_DEPTH
    assert elapsed < 180, elapsed
