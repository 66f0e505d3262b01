"""ehcp-timeliness: statutory timeliness of EHC plans from a council's own casework."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ehcp-timeliness")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"
