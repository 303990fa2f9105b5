"""One front door: the command line only turns text into values and calls the Python API,
so the two refuse the same things in the same sentence.

A table of bad values, per command and per argument: each as typed on the command line
(exit 2, one line 'symgrad: <sentence>' on stderr, nothing on stdout, no traceback) and as
the value the command line hands the API (``SymgradError`` with that sentence, its names
spelled as options: ``arguments.spelled_as_options``). Values only a Python caller can
give (True for a depth, a float nan, a list for a flag) are refused with a SymgradError
of one sentence too. The command line runs in this process (``symgrad.cli.run``), two of
its refusals in a real subprocess as well. A last test checks that the table leaves no
command, option or API function out.
"""

from __future__ import annotations

import inspect
import io
from contextlib import redirect_stderr, redirect_stdout
from typing import NamedTuple

import click
import pytest

import symgrad
from symgrad import api, arguments, cli
from symgrad.commands.common import whole
from symgrad.errors import SymgradError
from symgrad.networks import MAX_DEPTH, MAX_DERIVE_DEPTH, MAX_DERIVE_STEPS, MAX_STEPS
from symgrad.notes import MAX_NOTES_DEPTH, MAX_NOTES_STEPS
from symgrad.verify import MAX_VERIFY_DEPTH, MAX_VERIFY_STEPS
from tests.process import symgrad_process

HUGE_TEXT = "1" + "0" * 100_000  # 10^100000, as typed
HUGE = 10**100_000


class Kind(NamedTuple):
    """Bad values of one kind of argument: as typed, with the value the command line hands
    the API for each; and values only a Python caller can give."""

    typed: tuple[tuple[str, object], ...]
    wrong: tuple[object, ...] = ()

    def __add__(self, other: Kind) -> Kind:
        return Kind(self.typed + other.typed, self.wrong + other.wrong)


def same(*texts: str) -> tuple[tuple[str, str], ...]:
    """Text the command line hands on as it is (numbers, names, formulas)."""
    return tuple((text, text) for text in texts)


NAN, INF = float("nan"), float("inf")
WHOLE_TYPOS = (("2.5", "2.5"), ("nan", "nan"), ("", ""), ("ten", "ten"), ("1e3", "1e3"))
COUNT = Kind((("0", 0), ("-1", -1), (HUGE_TEXT, HUGE), *WHOLE_TYPOS),  # depth, dps, width, samples
             (True, 2.5, NAN, INF, "3", [3]))
SEED = Kind((("-1", -1), (HUGE_TEXT, HUGE), (str(2**64), 2**64), *WHOLE_TYPOS),
            (True, 2.5, NAN, "0"))
NUMBER = Kind(same("nan", "inf", "-inf", "", "ten", "1/0", "1e999999", "0x10", HUGE_TEXT),
              (True, NAN, INF, -INF, object(), b"1"))
POSITIVE = NUMBER + Kind(same("0", "-1"))  # σ_w², a net's scale
NON_NEGATIVE = NUMBER + Kind(same("-1"))  # σ_b²
TEXT = Kind(same("", "bogus"), (3, True, b"he"))  # cost, init
ACT = Kind(same("", "sigmod", "log(x)", "__import__('os')", "x # note", "leaky_relu:abc"),
           (3, True, None))
ACT_OR_DEFAULT = Kind(ACT.typed, (3, True))  # a cell's act=None: the cell's own default
BOUNDED_ACT = ACT + Kind(same("exp(x)"))  # (bounds, regions and mean field need sup|σ'| finite)
FLAG = Kind((), ("no", 1, None, NAN))
OPTIONAL_FLAG = Kind((), ("no", 1, NAN))  # None: the default
WIDTHS = Kind((("", [""]), ("2", [2]), ("2,0,2", [2, 0, 2]), ("2,-1", [2, -1]), ("2,x", [2, "x"]),
               ("2,2.5", [2, "2.5"]), (f"2,{HUGE_TEXT}", [2, HUGE])),
              ("2,3", 2, [2, True], [2, 2.5], [2, NAN]))
LAYERS = Kind((("0", [0]), ("1,9", [1, 9]), ("x", ["x"]), ("", [""]), (HUGE_TEXT, [HUGE])),
              (1, [True], [1.0], "1", {1: 2}))
CELL = Kind(same("", "tcn", "LSTM"), (3, True))
SETTINGS = Kind(same("wf", "=1", "wf=", "wf=1,wf=2", "q=1", "wf=nan", "wf=1e999999", "wf=1,,bf=2"),
                (3, True, [("wf", 1)], {3: 1}, {"wf": None}))


def above(maximum: int) -> Kind:
    return Kind(((str(maximum + 1), maximum + 1),))


class Case(NamedTuple):
    command: str  # the command line's
    given: dict  # name: (text as typed, value the API is given); text None: a flag's value True
    call: str | None = None  # the API function, if not the command's own
    words: tuple[str, ...] = ()  # the command line's own spelling of a value (--general)


OPTION_NAMES = {"parameters": "set"}  # an API argument whose option has another name
API_NAMES = {option: name for name, option in OPTION_NAMES.items()}
API = {"derive": "derive", "eval": "evaluate", "bounds": "bounds", "region": "region",
       "meanfield": "meanfield", "critical": "critical", "sample": "sample", "acts": "acts",
       "verify": "verify", "notes": "notes", "export": "export", "spectrum": "spectrum"}
NOT_IN_THE_API = {"plot": "a figure of eval's numbers, drawn by the command line"}


def ok(text: str, value=None) -> tuple[str, object]:
    """A good value, as typed and as handed on (numbers stay text; whole numbers are ints)."""
    return text, text if value is None else value


BASES = {  # (command, base arguments, the arguments tried against that base, API function)
    "derive": [({"depth": ok("3", 3)}, {"depth": COUNT + above(MAX_DERIVE_DEPTH),
                                        "act": ACT, "cost": TEXT, "layers": LAYERS,
                                        "residual": FLAG, "tied": FLAG, "highway": FLAG}, None),
               ({"depth": ok("3", 3), "highway": (None, True)},
                {"residual": Kind((), (True,)), "tied": Kind((), (True,))}, None),
               ({}, {"widths": WIDTHS}, None),
               ({"widths": ok("2,2", [2, 2])}, {"act": ACT, "cost": TEXT}, None),
               ({"steps": ok("2", 2)}, {"cell": CELL}, None),
               ({"cell": ok("rnn"), "steps": ok("2", 2)},
                {"steps": COUNT + above(MAX_DERIVE_STEPS), "act": ACT_OR_DEFAULT}, None),
               ({"cell": ok("lstm"), "steps": ok("2", 2)},
                {"act": Kind(same("tanh", "sigmoid")), "depth": Kind(same("3")),
                 "residual": FLAG, "tied": FLAG, "layers": Kind((("1", [1]),)),
                 "widths": Kind((("2,2", [2, 2]),)), "cost": Kind(same("cross-entropy"))}, None),
               ({"depth": ok("3", 3)}, {"steps": Kind((("2", 2),))}, None),
               ({"steps": ok("2", 2)}, {"cell": CELL}, "derive_cell"),
               ({"cell": ok("gru")}, {"steps": COUNT + above(MAX_DERIVE_STEPS)}, "derive_cell"),
               ({"cell": ok("gru"), "steps": ok("2", 2)}, {"act": Kind(same("tanh"))},
                "derive_cell"),
               ({}, {"widths": WIDTHS}, "derive_net"),
               ({"widths": ok("2,2", [2, 2])}, {"act": ACT, "cost": TEXT}, "derive_net")],
    "eval": [({"depth": ok("3", 3), "x": ok("1")}, {"depth": COUNT, "act": ACT, "cost": TEXT,
                                                    "w": NUMBER + Kind(same("1,2")), "b": NUMBER,
                                                    "x": NUMBER, "y": NUMBER, "dps": COUNT,
                                                    "residual": FLAG, "tied": FLAG,
                                                    "interval": FLAG, "highway": FLAG,
                                                    "keep": Kind((), ([0], [4], "1", [True])),
                                                    "spectrum": Kind((), (True, False))},
              None),
             ({"depth": ok("3", 3), "x": ok("1"), "highway": (None, True)},
              {"p": NUMBER + Kind(same("1,2")), "q": NUMBER, "z": Kind(same("1")),
               "residual": Kind((), (True,))}, None),
             ({"depth": ok("3", 3), "x": ok("1")}, {"p": Kind(same("1")), "q": Kind(same("1"))},
              None),
             ({"depth": ok("3", 3)}, {"z": NUMBER}, None),
             ({"depth": ok("3", 3), "x": ok("1")},
              {"steps": Kind((("2", 2),)), "parameters": Kind(same("w=1")), "h0": Kind(same("0")),
               "c0": Kind(same("0"))}, None),
             ({"steps": ok("3", 3)}, {"cell": CELL}, None),
             ({"cell": ok("lstm"), "steps": ok("3", 3)},
              {"steps": COUNT + above(MAX_STEPS), "x": NUMBER + Kind(same("1,2")), "y": NUMBER,
               "h0": NUMBER, "c0": NUMBER, "dps": COUNT, "seed": SEED, "interval": FLAG,
               "parameters": SETTINGS, "act": Kind(same("tanh")),
               "depth": Kind(same("3")), "w": Kind(same("2")), "b": Kind(same("0")),
               "z": Kind(same("1")), "upstream": Kind(same("1")), "residual": FLAG, "tied": FLAG,
               "widths": Kind((("2,2", [2, 2]),)), "init": Kind(same("he")),
               "scale": Kind(same("2")), "weights": Kind(same("net.json")),
               "cost": Kind(same("cross-entropy")), "keep": Kind((), ([1],))}, None),
             ({"cell": ok("gru"), "steps": ok("3", 3)}, {"c0": Kind(same("0", "1"))}, None),
             ({"cell": ok("rnn"), "steps": ok("3", 3)}, {"act": ACT_OR_DEFAULT}, None),
             ({}, {"cell": CELL}, "evaluate_cell"),
             ({"cell": ok("lstm")},
              {"steps": COUNT + above(MAX_STEPS), "x": NUMBER, "y": NUMBER, "h0": NUMBER,
               "c0": NUMBER, "dps": COUNT, "seed": SEED, "interval": FLAG,
               "parameters": SETTINGS, "act": Kind(same("tanh"))}, "evaluate_cell"),
             ({"depth": ok("3", 3), "z": ok("1")}, {"upstream": NUMBER}, None),
             ({"widths": ok("2,3,2", [2, 3, 2]), "init": ok("he")},
              {"x": NUMBER + Kind(same("1,2,3")), "y": NUMBER, "init": TEXT, "seed": SEED,
               "scale": POSITIVE, "dps": COUNT}, None),
             ({"init": ok("he")}, {"widths": WIDTHS}, None),
             ({"init": ok("he")}, {"widths": WIDTHS}, "evaluate_net"),
             ({"widths": ok("2,3,2", [2, 3, 2]), "init": ok("he")},
              {"act": ACT, "cost": TEXT, "x": NUMBER, "y": NUMBER, "init": TEXT, "seed": SEED,
               "scale": POSITIVE, "dps": COUNT, "spectrum": OPTIONAL_FLAG}, "evaluate_net"),
             ({"widths": ok("2,3,2", [2, 3, 2])},
              {"weights": Kind(same("missing.json"), (3, True))}, "evaluate_net"),
             ({"widths": ok("2,3,2", [2, 3, 2])},
              {"weights": Kind(same("missing.json", "", "."), (3, True))}, None)],
    "bounds": [({"depth": ok("3", 3), "w": ok("2")}, {"depth": COUNT, "act": BOUNDED_ACT, "w": NUMBER,
                                                      "dps": COUNT, "residual": FLAG,
                                                      "highway": FLAG}, None),
               ({"depth": ok("3", 3), "highway": (None, True)},
                {"p": NUMBER + Kind(same("1,2")), "q": NUMBER, "residual": Kind((), (True,))}, None),
               ({"depth": ok("3", 3)}, {"p": Kind(same("1")), "q": Kind(same("1"))}, None),
               ({"steps": ok("3", 3)}, {"cell": CELL}, None),
               ({"cell": ok("lstm"), "steps": ok("3", 3)},
                {"steps": COUNT + above(MAX_STEPS), "x": NUMBER + Kind(same("1,x")), "h0": NUMBER,
                 "c0": NUMBER, "dps": COUNT, "seed": SEED, "parameters": SETTINGS,
                 "act": Kind(same("tanh")), "w": Kind(same("1")), "depth": Kind(same("3")),
                 "residual": Kind((), (True,))}, None),
               ({"cell": ok("gru"), "steps": ok("3", 3)}, {"c0": Kind(same("0", "1"))}, None),
               ({"cell": ok("rnn"), "steps": ok("3", 3)}, {"act": ACT_OR_DEFAULT}, None)],
    "export": [({"depth": ok("3", 3)}, {"depth": COUNT + above(MAX_DEPTH), "act": ACT,
                                        "cost": TEXT, "to": TEXT, "residual": FLAG,
                                        "highway": FLAG, "tied": FLAG, "log_space": FLAG}, None),
               ({"depth": ok("3", 3), "highway": (None, True)},
                {"residual": Kind((), (True,)), "tied": Kind((), (True,))}, None),
               ({"depth": ok("3", 3), "to": ok("jax")}, {"log_space": Kind((), (True,))}, None),
               ({}, {"widths": WIDTHS}, None),
               ({"widths": ok("2,2", [2, 2])},
                {"act": ACT, "cost": TEXT, "to": TEXT, "depth": Kind((("3", 3),)),
                 "residual": Kind((), (True,)), "highway": Kind((), (True,)),
                 "tied": Kind((), (True,)), "log_space": Kind((), (True,))}, None)],

    "region": [({"w": ok("2")}, {"act": BOUNDED_ACT, "w": NUMBER + Kind(same("0")), "b": NUMBER,
                                 "dps": COUNT, "maximize": FLAG}, None)],
    "meanfield": [({"sigma_w2": ok("1")}, {"act": BOUNDED_ACT, "sigma_w2": POSITIVE,
                                           "sigma_b2": NON_NEGATIVE, "depth": COUNT,
                                           "dps": COUNT}, None)],
    "critical": [({}, {"act": ACT, "dps": COUNT,
                       "sigma_b2": Kind((("-2", ["-2"]), ("0.1,-2", ["0.1", "-2"]), ("", [""]),
                                         ("nan", ["nan"]), ("1,,2", ["1", "", "2"]),
                                         ("0.1,1e7", ["0.1", "1e7"])),
                                        ([], True, NAN))}, None)],
    "sample": [({"depth": ok("3", 3), "sigma_w2": ok("1"), "samples": ok("2", 2)},
                {"depth": COUNT, "act": ACT, "sigma_w2": POSITIVE, "sigma_b2": NON_NEGATIVE,
                 "width": COUNT, "samples": COUNT, "seed": SEED}, None)],
    "spectrum": [({"sigma_w2": ok("1")}, {"act": BOUNDED_ACT, "sigma_w2": POSITIVE,
                                          "sigma_b2": NON_NEGATIVE, "depth": COUNT, "dps": COUNT,
                                          "moments": COUNT, "grid": Kind(COUNT.typed[1:], COUNT.wrong),
                                          "weights": TEXT, "at": NUMBER + Kind(same("0", "-1")),
                                          "width": COUNT,
                                          "also_depths": LAYERS + Kind((("1,2,3,4,5", [1, 2, 3, 4, 5]),))},
                  None),
                 ({"sigma_w2": ok("1"), "width": ok("3", 3)}, {"samples": COUNT, "seed": SEED},
                  None)],
    "acts": [({}, {"act": ACT}, None)],
    "verify": [({"depth": ok("3", 3), "target": ok("delta1"), "claim": ok("w1")},
                {"depth": COUNT + above(MAX_VERIFY_DEPTH), "act": ACT, "cost": TEXT,
                 "target": Kind(same("", "grad_b0", "delta9", "w1"), (3, True)),
                 "claim": Kind(same("", "w2*", "w2*q", "x.real", "__import__('os')"), (3, True)),
                 "seed": SEED, "residual": FLAG, "tied": FLAG, "highway": FLAG}, None),
               ({"depth": ok("3", 3), "target": ok("grad_p1"), "claim": ok("p1"),
                 "highway": (None, True)},
                {"residual": Kind((), (True,)), "tied": Kind((), (True,)),
                 "target": Kind(same("grad_p0", "grad_r1"), (3, True))}, None),
               ({"target": ok("delta1_1"), "claim": ok("w_1_1_1")}, {"widths": WIDTHS}, None),
               ({"steps": ok("2", 2), "target": ok("grad_w"), "claim": ok("w")}, {"cell": CELL},
                None),
               ({"cell": ok("lstm"), "steps": ok("2", 2), "target": ok("grad_bf"), "claim": ok("f1")},
                {"steps": COUNT + above(MAX_VERIFY_STEPS), "act": Kind(same("tanh")),
                 "target": Kind(same("grad_w", "grad_x1", "grad_c2", "delta1"), (3, True)),
                 "claim": Kind(same("", "f3", "sigma(z1)", "z1", "__import__('os')"), (3, True)),
                 "depth": Kind(same("2")), "tied": Kind((), (True,)), "cost": TEXT}, None)],
    "notes": [({"depth": ok("3", 3)}, {"depth": COUNT + above(MAX_NOTES_DEPTH), "act": ACT,
                                       "cost": TEXT, "w": NUMBER, "x": NUMBER, "z": NUMBER,
                                       "residual": FLAG, "highway": FLAG,
                                       "random_weights": FLAG}, None),
              ({"depth": ok("3", 3), "highway": (None, True)},
               {"p": NUMBER + Kind(same("1,2")), "q": NUMBER, "x": NUMBER, "z": Kind(same("1")),
                "residual": Kind((), (True,))}, None),
              ({"depth": ok("3", 3), "x": ok("1")}, {"b": NUMBER, "y": NUMBER}, None),
              ({}, {"widths": WIDTHS}, None),
              ({"widths": ok("2,2,1", [2, 2, 1])}, {"init": TEXT}, None),
              ({"widths": ok("2,2,1", [2, 2, 1]), "init": ok("he")},
               {"seed": SEED, "x": NUMBER, "y": NUMBER}, None),
              ({"steps": ok("3", 3)}, {"cell": CELL}, None),
              ({"cell": ok("gru"), "steps": ok("3", 3)},
               {"steps": COUNT + above(MAX_NOTES_STEPS), "x": NUMBER, "y": NUMBER, "h0": NUMBER,
                "c0": Kind(same("1")), "seed": SEED, "parameters": SETTINGS,
                "act": Kind(same("tanh")), "w": Kind(same("1")), "widths": Kind(same("2,2")),
                "init": Kind(same("he"))}, None)],
}

# Arguments only wrong together, each as typed and as handed on.
COMBINATIONS = [
    Case("derive", {"depth": ok("2", 2), "widths": ok("2,3", [2, 3])}),
    Case("derive", {"widths": ok("2,3", [2, 3]), "residual": (None, True)}),
    Case("derive", {"widths": ok("2,3", [2, 3]), "layers": ok("1", [1])}),
    Case("derive", {"layers": ok("1", [1])}, words=("--general",)),  # depth None: symbolic
    Case("derive", {"depth": ok("500", 500), "layers": ok("all")}),
    Case("derive", {"widths": ok("2,7", [2, 7])}),
    Case("eval", {}),
    Case("eval", {"depth": ok("3", 3)}),
    Case("eval", {"depth": ok("3", 3), "z": ok("1"), "x": ok("2")}),
    Case("eval", {"depth": ok("3", 3), "z": ok("1"), "b": ok("2")}),
    Case("eval", {"depth": ok("3", 3), "x": ok("1"), "upstream": ok("2")}),
    Case("eval", {"depth": ok("3", 3), "tied": (None, True), "w": ok("1,2,3"), "x": ok("1")}),
    Case("eval", {"depth": ok("3", 3), "x": ok("1"), "init": ok("he")}),
    Case("eval", {"depth": ok("3", 3), "x": ok("1"), "seed": ok("1", 1)}),
    Case("eval", {"depth": ok("3", 3), "x": ok("1"), "scale": ok("2")}),
    Case("eval", {"depth": ok("3", 3), "x": ok("1"), "weights": ok("net.json")}),
    Case("eval", {"widths": ok("2,3,2", [2, 3, 2])}),
    Case("eval", {"widths": ok("2,3,2", [2, 3, 2]), "init": ok("he"), "depth": ok("3", 3)}),
    Case("eval", {"widths": ok("2,3,2", [2, 3, 2]), "init": ok("he"), "w": ok("1")}),
    Case("eval", {"widths": ok("2,3,2", [2, 3, 2]), "init": ok("he"), "z": ok("1")}),
    Case("eval", {"widths": ok("2,3,2", [2, 3, 2]), "init": ok("he"), "interval": (None, True)}),
    Case("eval", {"widths": ok("2,3,2", [2, 3, 2]), "init": ok("he"), "weights": ok("net.json")}),
    Case("eval", {"widths": ok("2,3,2", [2, 3, 2]), "seed": ok("1", 1), "weights": ok("net.json")}),
    Case("eval", {"widths": ok("2,3,2", [2, 3, 2]), "scale": ok("2"), "weights": ok("net.json")}),
    Case("eval", {"widths": ok("2,3,2", [2, 3, 2]), "seed": ok("1", 1)}),
    Case("export", {}),
    Case("export", {"depth": ok("3", 3), "to": ok("torch"), "log_space": (None, True)}),
    Case("export", {"depth": ok("3", 3), "highway": (None, True), "tied": (None, True)}),
    Case("region", {}),
    Case("region", {"w": ok("2"), "maximize": (None, True)}),
    Case("region", {"maximize": (None, True), "dps": ok("101", 101)}),
    Case("verify", {"target": ok("delta1"), "claim": ok("w1")}),
    Case("verify", {"depth": ok("3", 3), "claim": ok("w1")}),
    Case("verify", {"depth": ok("3", 3), "target": ok("delta1")}),
    Case("verify", {"depth": ok("2", 2), "widths": ok("2,2", [2, 2]), "target": ok("delta1"),
                    "claim": ok("w1")}),
    Case("verify", {"widths": ok("2,2", [2, 2]), "tied": (None, True), "target": ok("delta1"),
                    "claim": ok("w1")}),
    Case("notes", {}),
    Case("notes", {"depth": ok("2", 2), "widths": ok("2,2,1", [2, 2, 1])}),
    Case("notes", {"widths": ok("2,2,1", [2, 2, 1]), "residual": (None, True)}),
    Case("notes", {"widths": ok("2,2,1", [2, 2, 1]), "z": ok("1")}),
    Case("notes", {"widths": ok("2,2,1", [2, 2, 1]), "x": ok("1")}),
    Case("notes", {"widths": ok("2,2,1", [2, 2, 1]), "seed": ok("1", 1)}),
    Case("notes", {"widths": ok("50,50", [50, 50])}),
    Case("notes", {"depth": ok("3", 3), "init": ok("he")}),
    Case("notes", {"depth": ok("3", 3), "seed": ok("1", 1)}),
    Case("notes", {"depth": ok("3", 3), "b": ok("1")}),
    Case("sample", {"depth": ok("100000", 100000), "width": ok("1000", 1000), "sigma_w2": ok("1")}),
    Case("sample", {"depth": ok("3", 3), "sigma_w2": ok("1e320")}),
]


def typed_cases() -> list[Case]:
    cases = []
    for command, bases in BASES.items():
        for base, tried, call in bases:
            for name, kind in tried.items():
                cases += [Case(command, {**base, name: bad}, call) for bad in kind.typed]
    return cases + COMBINATIONS


def wrong_cases() -> list[tuple[str, dict]]:
    """(API function, its arguments): values no command line can give."""
    cases = []
    for command, bases in BASES.items():
        for base, tried, call in bases:
            values = {name: value for name, (_, value) in base.items()}
            for name, kind in tried.items():
                cases += [(call or API[command], {**values, name: wrong}) for wrong in kind.wrong]
    return cases


def argv(case: Case) -> list[str]:
    words = [case.command, *case.words]
    for name, (text, _) in case.given.items():
        option = "--" + OPTION_NAMES.get(name, name).replace("_", "-")
        words.append(option if text is None else f"{option}={text}")
    return words


def api_call(function: str, given: dict):
    """Call the API function with ``given`` (acts takes its activations as arguments)."""
    if function == "acts":
        return api.acts(*([given["act"]] if "act" in given else []))
    return getattr(api, function)(**given)


def api_refusal(function: str, given: dict) -> str:
    """The API's sentence for ``given``, its arguments spelled as the command line's options."""
    with arguments.spelled_as_options(), pytest.raises(SymgradError) as refused:
        api_call(function, given)
    return str(refused.value)


def cli_outcome(words: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            cli.run(words)
        except SystemExit as exit_:
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def case_id(case: Case) -> str:
    words = " ".join(argv(case))
    return words if len(words) <= 70 else words[:60] + f"…({len(words)})"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "net.json").write_text('{"weights": [[[1, 2], [3, 4], [5, 6]], [[1, 1, 1], [1, 1, 1]]],'
                                       ' "biases": [[0, 0, 0], [0, 0]]}')
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", typed_cases(), ids=case_id)
def test_the_command_line_and_the_api_refuse_in_one_sentence(case, folder):
    values = {name: value for name, (_, value) in case.given.items()}
    message = api_refusal(case.call or API[case.command], values)
    assert "\n" not in message and message.endswith((".", "?")), message
    code, stdout, stderr = cli_outcome(argv(case))
    assert (code, stdout) == (2, ""), (code, stdout[:200], stderr[:400])
    assert stderr == f"symgrad: {cli._printable(message)}\n"


@pytest.mark.parametrize(("function", "given"), wrong_cases(),
                         ids=lambda v: v if isinstance(v, str) else ",".join(
                             f"{k}={type(x).__name__}" for k, x in v.items()))
def test_the_api_refuses_what_no_command_line_can_give(function, given, folder):
    """A wrong type is one sentence naming the argument, never TypeError or a traceback."""
    try:
        api_call(function, given)
    except SymgradError as error:
        message = str(error)
    else:
        pytest.fail(f"{function}({given!r:.200}) was accepted")
    assert "\n" not in message and message.endswith((".", "?")), message
    assert len(message) < 400, message


@pytest.mark.parametrize("case", [
    Case("derive", {"depth": (HUGE_TEXT, HUGE)}),
    Case("eval", {"widths": ok("2,3,2", [2, 3, 2]), "init": ok("he"), "depth": ok("3", 3)}),
], ids=["huge depth", "net and depth"])
def test_in_a_real_process_too(case, folder):
    message = api_refusal(API[case.command], {name: v for name, (_, v) in case.given.items()})
    result = symgrad_process(*argv(case))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"symgrad: {message}\n"


def test_the_table_leaves_nothing_out():
    """Every command but those with no API function, every option of each (but the output's
    and the words' language, the command line's own), and every API function are in the
    table; so are the flags, among the values only Python can give."""
    commands = set(cli.commands()) - set(NOT_IN_THE_API)
    assert commands == set(API), commands ^ set(API)
    own = {"output", "fmt", "fragment", "lang", "slides", "general"}  # (--general: depth None)
    named = {case.command: set() for case in typed_cases()}
    for case in typed_cases():
        named[case.command] |= set(case.given)
    for function, given in wrong_cases():
        command = next((c for c, f in API.items() if f == function), None)
        if command is not None:
            named[command] |= set(given)
    for name in commands:
        options = {API_NAMES.get(parameter.opts[0][2:], parameter.opts[0][2:]).replace("-", "_")
                   for parameter in cli.commands()[name].params
                   if isinstance(parameter, click.Option) and parameter.name not in own}
        assert options <= named[name], (name, options - named[name])
    called = {API[case.command] for case in typed_cases()} | {case.call for case in typed_cases()}
    assert set(api.__all__) <= called, set(api.__all__) - called
    for name in api.__all__:  # and every argument of every API function (but callbacks)
        parameters = set(inspect.signature(getattr(api, name)).parameters) - {"progress", "specs"}
        tried = {key for function, given in wrong_cases() if function == name for key in given}
        tried |= {key for case in typed_cases() if (case.call or API[case.command]) == name
                  for key in case.given}
        assert parameters <= tried, (name, parameters - tried)


def test_a_huge_whole_number_is_read_and_shown_exactly():
    """10^100000 typed is that number (not 'not a whole number'), shown by its first figures
    and its length, in a sentence of ordinary length."""
    assert whole(HUGE_TEXT) == HUGE and whole(" +7 ") == 7 and whole("1_0") == "1_0"
    with pytest.raises(SymgradError, match=r"^The depth 100000000000… \(100,001 digits\) is above"):
        symgrad.derive(HUGE)
