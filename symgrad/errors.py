"""The one exception type a user ever sees."""


class SymgradError(ValueError):
    """A problem with what the user asked for.

    Its message is one sentence meant for a person: the CLI prints it on stderr
    and exits with code 2, the Python API lets it propagate.
    """
