"""Errors that stop a run, as distinct from findings about rows, which are results."""


class InputError(Exception):
    """Input that cannot be read at all: a missing file, an unknown format, no known columns.

    The message is one line, meant for the analyst; the CLI exits with code 3.
    """


class RulesError(InputError):
    """A rules, mapping or targets file that is malformed."""
