"""Errors that stop a run, as distinct from findings about rows, which are results."""


class InputError(Exception):
    """Input that cannot be read at all: a missing file, an unknown format, no known columns.

    The message is one line, meant for the analyst; the CLI exits with code 3.
    """


class RulesError(InputError):
    """A rules, mapping or targets file that is malformed."""


class OutputError(Exception):
    """An output that cannot be written: a full disk, no permission. The CLI exits with 4."""


def os_error_line(verb: str, exc: OSError) -> str:
    """One line for a file the system would not let us read or write (never a traceback)."""
    where = f" {exc.filename}" if exc.filename else ""
    return f"cannot {verb}{where}: {exc.strerror or type(exc).__name__}"
