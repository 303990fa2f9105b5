"""How many digits results show: the defaults and limits of the analyses, in a module of
their own so that signatures and command options can name them without loading the
numeric code (a command starts faster)."""

DEFAULT_DPS = 50  # a chain's, net's or cell's values
MAX_DPS = 10_000
LOG10_DIGITS = 15  # figures of every log10|value| shown beside a value


def settled_digits(dps: int) -> int:
    """The digits an evaluation settles its values to: those shown, and at least enough
    for their log10 to LOG10_DIGITS figures (at --dps 1, log10 still has 15)."""
    return max(dps, LOG10_DIGITS + 1)


MEANFIELD_DPS = 30  # mean field's and the critical line's
MAX_MEANFIELD_DPS = 100  # dps 200 takes minutes (tanh 159 s, gelu > 300 s)
