"""The command line's commands, each loaded by ``symgrad.cli`` only when it is run (or
its help asked for), so that ``symgrad --help`` imports none of them."""

from __future__ import annotations

# Each command: the module that defines it, the click command's name there, and the one
# line ``symgrad --help`` lists it by (the command's own short help too).
COMMANDS = {
    "acts": ("acts", "acts", "The activation table: formula, σ', and the bounds of σ'."),
    "bounds": ("bounds", "bounds", "Worst-case bounds on the gradient's gain, and the regime."),
    "critical": ("random_weights", "critical",
                 "The edge of chaos: the σ_w² with χ1 = 1 for each σ_b²."),
    "derive": ("derive", "derive", "Backprop derived symbolically: forward, δ, every gradient."),
    "eval": ("evaluate", "evaluate", "Exact values per layer at any precision, beside floats."),
    "export": ("export", "export", "The derived backprop as NumPy, PyTorch or JAX code."),
    "meanfield": ("random_weights", "meanfield",
                  "Random weights: q*, χ1, the depth scale ξ and the regime."),
    "notes": ("notes", "notes", "Lecture notes of the whole argument, with exact numbers."),
    "plot": ("plot", "plot", "log10|δ_l| against the layer (or |∂C/∂h_t| against the step)."),
    "region": ("region", "region", "Where |w σ'(z)| ≥ 1: where a layer keeps the gradient."),
    "sample": ("random_weights", "sample", "Random nets drawn: the spread of the gain, beside χ1^L."),
    "spectrum": ("random_weights", "spectrum",
                 "The Jacobian's spectrum: free probability, sampled nets."),
    "verify": ("verify", "verify_claim", "Check a hand-derived gradient: exit 0 if right, 1 if not."),
}
SUMMARIES = {name: summary for name, (_, _, summary) in COMMANDS.items()}

CLOSED_STREAMS: set[str] = set()  # the standard streams the caller closed (``>&-``)


class ReaderGone(Exception):  # noqa: N818 (a signal, not an error: symgrad ends quietly)
    """The reader of standard output went away (``symgrad ... | head``). A command's
    BrokenPipeError becomes this before click sees it: click ends such a command with
    exit code 1 in silence; symgrad ends it as SIGPIPE would, 141."""
