"""The one exception type a user ever sees."""

SHOWN_FIGURES = 12  # leading figures of a whole number too long to show in a sentence


class SymgradError(ValueError):
    """A problem with what the user asked for.

    Its message is one sentence meant for a person: the CLI prints it on stderr
    and exits with code 2, the Python API lets it propagate.
    """


def quoted(value) -> str:
    """What the user gave, for a message: text in quotes as typed (a backslash stays
    one; double quotes around a text with single ones), with what a terminal would act
    on (escape sequences, control characters, line breaks) written as escapes; a whole
    number of more than 40 figures by its first figures and its length (str() of an int
    stops at 4,300 digits); anything else by its repr."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 133:
        import gmpy2  # (here: the command line's start imports this module)

        figures = gmpy2.mpz(abs(value)).digits()
        return f"{'-' if value < 0 else ''}{figures[:SHOWN_FIGURES]}… ({len(figures):,} digits)"
    if not isinstance(value, str):
        return repr(value)
    quote = '"' if "'" in value and '"' not in value else "'"  # (as repr chooses)
    return quote + "".join(c if c.isprintable() else repr(c)[1:-1] for c in value) + quote
