"""ehcp-timeliness: statutory timeliness of EHC plans from a council's own casework."""

# A literal, read by pyproject.toml: importlib.metadata would add 0.1 s to every start.
__version__ = "0.1.0"
