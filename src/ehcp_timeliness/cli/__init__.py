"""The ``ehcp`` command line. Importing this package sets process-wide tuning for the CLI."""

import os

# numpy asks Linux for 2 MB transparent huge pages for every large array. This tool allocates
# and frees many short-lived arrays, and each fresh huge page is zeroed whole by the kernel:
# on a 1M-row extract that was half the report's CPU time in the kernel (benchmarks/README.md).
# Set before numpy is first imported; a value the user exported wins.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
