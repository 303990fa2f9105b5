"""The JSON contract (docs/json.md): every command's --format json output, run through the real
CLI at small sizes in each variant that changes its shape, is valid against that command's
JSON Schema in docs/schemas/; and each schema is strict enough to reject a wrong shape (a
missing key, an unknown key, a float where a decimal string belongs, a variant's keys on
the other variant)."""

import contextlib
import copy
import io
import json
from pathlib import Path

import click
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from symgrad import cli
from symgrad.cli import commands

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "schemas"

# (variant name, command line after `symgrad`): each variant differs in shape from the others
VARIANTS = [
    ("derive chain", ["derive", "--depth", "3", "--act", "sigmoid"]),
    ("derive general", ["derive", "--general", "--act", "tanh"]),
    ("derive residual", ["derive", "--depth", "3", "--act", "tanh", "--residual"]),
    ("derive tied", ["derive", "--depth", "3", "--act", "tanh", "--tied"]),
    ("derive gelu cross-entropy", ["derive", "--depth", "2", "--act", "gelu", "--cost", "cross-entropy"]),
    ("derive net", ["derive", "--widths", "2,3,2", "--act", "sigmoid"]),
    ("derive lstm", ["derive", "--cell", "lstm", "--steps", "2"]),
    ("derive rnn general", ["derive", "--cell", "rnn", "--general", "--act", "relu"]),
    ("eval chain", ["eval", "--depth", "3", "--act", "tanh", "--w", "1.5", "--x", "0.5", "--dps", "20"]),
    ("eval gain", ["eval", "--depth", "3", "--act", "relu", "--w", "10", "--z", "1", "--dps", "20"]),
    ("eval interval", ["eval", "--depth", "3", "--act", "tanh", "--w", "1.5", "--x", "0.5", "--dps", "20",
                       "--interval"]),
    ("eval tied", ["eval", "--depth", "3", "--act", "tanh", "--w", "1.5", "--x", "0.5", "--tied"]),
    ("eval residual", ["eval", "--depth", "3", "--act", "tanh", "--w", "1.5", "--x", "0.5", "--residual"]),
    ("eval float overflow", ["eval", "--depth", "40", "--act", "relu", "--w", "10", "--z", "1"]),
    ("eval net", ["eval", "--widths", "2,3,2", "--act", "tanh", "--init", "he", "--dps", "20"]),
    ("eval lstm", ["eval", "--cell", "lstm", "--steps", "4", "--set", "wf=1.5,bf=1", "--dps", "15"]),
    ("eval gru interval", ["eval", "--cell", "gru", "--steps", "3", "--interval", "--dps", "15"]),
    ("eval rnn", ["eval", "--cell", "rnn", "--steps", "3", "--x", "1,0,-1", "--seed", "4"]),
    ("eval net relu", ["eval", "--widths", "2,3,2", "--act", "relu", "--init", "he", "--dps", "20"]),
    ("bounds", ["bounds", "--depth", "10", "--act", "sigmoid", "--w", "10"]),
    ("bounds per layer residual", ["bounds", "--depth", "3", "--act", "gelu", "--w", "1,-2,1/3",
                                   "--residual"]),
    ("bounds highway", ["bounds", "--depth", "4", "--act", "sigmoid", "--highway", "--w", "3"]),
    ("bounds highway per layer", ["bounds", "--depth", "2", "--act", "tanh", "--highway",
                                  "--w", "3", "--p", "0,1"]),
    ("bounds highway unbounded", ["bounds", "--depth", "4", "--act", "relu", "--highway"]),
    ("bounds lstm cell", ["bounds", "--cell", "lstm", "--steps", "6", "--set", "bf=2"]),
    ("notes gru cell", ["notes", "--cell", "gru", "--steps", "4"]),
    ("notes rnn cell", ["notes", "--cell", "rnn", "--steps", "3", "--act", "relu"]),
    ("bounds rnn cell unbounded", ["bounds", "--cell", "rnn", "--steps", "3", "--act", "leaky_relu",
                                   "--set", "w=3"]),
    ("notes highway", ["notes", "--depth", "3", "--act", "tanh", "--highway", "--x", "0.5"]),
    ("region bounded", ["region", "--act", "sigmoid", "--w", "8"]),
    ("region unbounded", ["region", "--act", "relu", "--w", "-2", "--b", "1"]),
    ("region empty", ["region", "--act", "sigmoid", "--w", "1"]),
    ("region maximize", ["region", "--act", "sigmoid", "--maximize", "--dps", "10"]),
    ("region maximize unbounded", ["region", "--act", "relu", "--maximize", "--dps", "10"]),
    ("meanfield", ["meanfield", "--act", "tanh", "--sigma-w2", "1.5", "--sigma-b2", "0.05",
                   "--depth", "10", "--dps", "10"]),
    ("meanfield identity", ["meanfield", "--act", "relu", "--sigma-w2", "2"]),
    ("critical", ["critical", "--act", "tanh", "--sigma-b2", "0,0.05", "--dps", "10"]),
    ("critical none", ["critical", "--act", "softplus", "--dps", "10"]),
    ("sample", ["sample", "--depth", "10", "--sigma-w2", "1", "--samples", "20"]),
    ("spectrum", ["spectrum", "--act", "tanh", "--sigma-w2", "1.5", "--sigma-b2", "0.05",
                  "--depth", "5", "--dps", "15", "--grid", "20", "--at", "0.5"]),
    ("spectrum relu sampled", ["spectrum", "--act", "relu", "--sigma-w2", "2", "--depth", "3",
                               "--weights", "gaussian", "--grid", "10", "--width", "8",
                               "--samples", "4"]),
    ("spectrum one orthogonal layer", ["spectrum", "--act", "tanh", "--sigma-w2", "1.5",
                                       "--depth", "1", "--grid", "5", "--at", "1.5"]),
    ("spectrum atoms", ["spectrum", "--act", "relu", "--sigma-w2", "2", "--depth", "1",
                        "--grid", "5"]),
    ("sample wide relu", ["sample", "--depth", "5", "--act", "relu", "--sigma-w2", "2", "--width", "4",
                          "--samples", "10"]),
    ("verify correct", ["verify", "--depth", "3", "--target", "grad_b1", "--claim",
                        "w2*w3*dsigma(z1)*dsigma(z2)*dsigma(z3)*dC_daL"]),
    ("verify incorrect", ["verify", "--depth", "3", "--target", "grad_b1", "--claim",
                          "w1*w2*w3*dsigma(z1)*dsigma(z2)*dsigma(z3)*dC_daL"]),
    ("verify net", ["verify", "--widths", "2,3,2", "--act", "tanh", "--target", "grad_w2_1_3",
                    "--claim", "a_1_3*(a_2_1-y_1)*dsigma(z_2_1)"]),
    ("verify convention", ["verify", "--depth", "1", "--act", "relu", "--target", "delta1", "--claim",
                           "Heaviside(z1)*dC_daL"]),
    ("verify two conventions", ["verify", "--depth", "2", "--act", "relu", "--target", "delta1", "--claim",
                                "dC_daL*w2*Heaviside(z2)*(Heaviside(z1) - Heaviside(-z1**2)/4"
                                "*Heaviside(w2-3)*Heaviside(3+1e-6-w2))"]),
    ("verify lstm", ["verify", "--cell", "lstm", "--steps", "1", "--target", "grad_bf", "--claim",
                     "(h1 - y)*o1*(1 - tanh(c1)**2)*c0*f1*(1 - f1)"]),
    ("verify gru incorrect", ["verify", "--cell", "gru", "--steps", "2", "--target", "grad_wn",
                              "--claim", "wn*h1"]),
    ("notes chain", ["notes", "--depth", "3", "--act", "sigmoid"]),
    ("notes residual values", ["notes", "--depth", "3", "--act", "tanh", "--residual", "--w", "1.5",
                               "--x", "0.5"]),
    ("notes random weights", ["notes", "--depth", "3", "--act", "relu", "--random-weights"]),
    ("notes net", ["notes", "--widths", "2,2,1"]),
    ("notes net values", ["notes", "--widths", "2,2,1", "--init", "he"]),
    ("acts", ["acts"]),
    ("acts jump", ["acts", "--act", "x*Heaviside(abs(x)-1)"]),
]
NAMES = [name for name, _ in VARIANTS]
_outputs: dict[str, dict] = {}


def output(name: str) -> dict:
    """The JSON the real CLI writes for the variant (run once per process)."""
    if name not in _outputs:
        args = dict(VARIANTS)[name]
        out, err, code = io.StringIO(), io.StringIO(), 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:  # as the command line runs, in this process (no interpreter start per variant)
                cli.run([*args, "--format", "json"])
            except SystemExit as exit_:
                code = exit_.code
        assert code in ((0, 1) if args[0] == "verify" else (0,)), err.getvalue()
        _outputs[name] = json.loads(out.getvalue())
    return _outputs[name]


def _retrieve(uri: str) -> Resource:
    path = Path(uri.removeprefix("file://"))
    assert path.parent == SCHEMAS, uri  # references stay among the schema files
    return Resource.from_contents(json.loads(path.read_text(encoding="utf-8")),
                                  default_specification=DRAFT202012)


REGISTRY = Registry(retrieve=_retrieve)


def validator(command: str) -> jsonschema.Draft202012Validator:
    uri = (SCHEMAS / f"{command}.schema.json").as_uri()
    return jsonschema.Draft202012Validator({"$ref": uri}, registry=REGISTRY)


def errors(command: str, data) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
            for e in validator(command).iter_errors(data)]


def json_commands() -> set[str]:
    """The commands that take --format (every one of them writes JSON)."""
    return {name for name, command in commands().items()
            if any(isinstance(p, click.Option) and "--format" in p.opts for p in command.params)}


def test_every_json_command_has_a_schema_and_variants():
    files = {path.name.removesuffix(".schema.json") for path in SCHEMAS.glob("*.schema.json")}
    assert files - {"common"} == json_commands()
    assert {args[0] for _, args in VARIANTS} == json_commands()


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_each_schema_is_a_valid_schema(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("name", NAMES)
def test_real_output_is_valid(name):
    data = output(name)
    command = dict(VARIANTS)[name][0]
    assert data["command"] == command
    assert errors(command, data) == []


# -- the schemas reject wrong shapes -------------------------------------------------------

def mutated(name: str, change) -> dict:
    data = copy.deepcopy(output(name))
    change(data)
    return data


def _set(path, value):
    def change(data):
        *parents, last = path
        for key in parents:
            data = data[key]
        data[last] = value
    return change


def _drop(*path):
    def change(data):
        *parents, last = path
        for key in parents:
            data = data[key]
        del data[last]
    return change


WRONG = [
    ("derive chain", "a missing key", _drop("closed_form")),
    ("derive chain", "an unknown key", _set(["gradient"], "x")),
    ("derive chain", "a number for an expression", _set(["layers", 0, "delta"], 0.5)),
    ("derive chain", "a concrete depth without ∂C/∂a_0", _drop("input_gradient")),
    ("derive general", "a symbolic depth with layers written out",
     _set(["layers"], [{"layer": 1, "delta": "x", "grad_w": "x", "grad_b": "x", "delta_abstract": "x"}])),
    ("derive tied", "a tied chain without its totals", _drop("tied_totals")),
    ("derive net", "a net's δ as one string", _set(["layers", 0, "delta"], "delta_1_1")),
    ("derive net", "a chain's key on a net", _set(["residual"], False)),
    ("eval chain", "a float for a decimal string", _set(["layers", 0, "z"], 0.75)),
    ("eval chain", "a decimal with a comma", _set(["input_gradient"], "0,25")),
    ("eval chain", "a missing log10 companion", _drop("layers", 1, "log10_abs_delta")),
    ("eval chain", "decimals claimed as enclosures", _set(["interval"], True)),
    ("eval chain", "a forward pass without a_l", _drop("layers", 0, "a")),
    ("eval chain", "an unknown float format", _set(["floats", "float16"], {})),
    ("eval gain", "a gain-mode cost", _set(["cost"], "quadratic")),
    ("eval interval", "an enclosure without its upper end", _drop("layers", 0, "delta", "hi")),
    ("eval interval", "a bare decimal among enclosures", _set(["cost_value"], "0.3")),
    ("eval tied", "a tied chain without ∂C/∂w in total", _drop("grad_w_total")),
    ("eval net", "a number for a list of units", _set(["layers", 0, "delta"], "0.5")),
    ("eval net", "an unknown arithmetic", _set(["arithmetic"], "float")),
    ("eval net", "a singular value as a float", _set(["jacobian", "singular_values", 0], 0.6)),
    ("bounds", "an unknown regime", _set(["regime"], "unstable")),
    ("bounds", "a decimal for an exact limit", _set(["float_limits", "float16", "largest"], "65504.0")),
    ("bounds", "a missing float format", _drop("float_limits", "bfloat16")),
    ("bounds lstm cell", "an unknown carousel gate", _set(["carousel", "gate"], "i")),
    ("bounds lstm cell", "a step bound without its gates", _drop("step_bounds", 0, "gates")),
    ("region bounded", "an unknown status", _set(["status"], "some")),
    ("region bounded", "a span without its openness", _drop("preactivation_intervals", 0, "to_open")),
    ("region maximize", "maximize's keys in region mode", _set(["mode"], "region")),
    ("meanfield", "an unknown fixed point", _set(["fixed_point", "kind"], "attracting")),
    ("meanfield", "a decimal for an exact variance", _set(["sigma_w2"], "1.5")),
    ("critical", "no points", _set(["points"], [])),
    ("critical none", "a value where there is no critical point", _set(["points", 0, "sigma_w2"], "1.0")),
    ("sample", "a text mean", _set(["log10_ratio", "mean"], "-1.5")),
    ("sample", "a fraction above 1", _set(["within_tenfold"], 1.5)),
    ("verify correct", "a correct claim with a counterexample",
     _set(["counterexample"], {"point": {"x": "1.0"}, "claim": "1.0", "true": "2.0", "ratio": "0.5",
                               "claim_minus_true": "-1.0", "on_kinks": [], "convention": None})),
    ("verify incorrect", "a point's value as a float", _set(["counterexample", "point", "x"], 0.5)),
    ("verify convention", "a convention without its place", _drop("conventions", 0, "at")),
    ("verify lstm", "a cell's verdict with a depth", _set(["depth"], 1)),
    ("verify gru incorrect", "a cell's verdict without its steps", _set(["steps"], None)),
    ("verify correct", "a chain's verdict with steps", _set(["steps"], 3)),
    ("notes chain", "a wrong shape inside a nested derivation",
     _set(["derivation", "layers", 0, "grad_w"], None)),
    ("notes chain", "a wrong shape inside nested bounds", _drop("deeper_bounds", "rate")),
    ("notes net values", "a chain's evaluation in a net's notes",
     lambda data: data.update(evaluation=output("eval chain"))),
    ("acts", "an extremum without attained", _drop("activations", 0, "sup", "attained")),
]


@pytest.mark.parametrize("name, what, change", WRONG, ids=[f"{n}: {w}" for n, w, _ in WRONG])
def test_a_wrong_shape_is_rejected(name, what, change):
    command = dict(VARIANTS)[name][0]
    assert errors(command, output(name)) == []
    assert errors(command, mutated(name, change)), what
