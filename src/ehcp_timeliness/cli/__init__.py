"""The ``ehcp`` command line. Importing this package sets process-wide tuning for the CLI."""

import contextlib
import ctypes
import sys

PR_SET_THP_DISABLE = 41  # <linux/prctl.h>


def _no_transparent_huge_pages() -> None:
    """Ask Linux not to back this process's memory with 2 MB transparent huge pages.

    numpy and Arrow's allocator ask for huge pages for large blocks. A report allocates and
    frees many short-lived arrays, and the kernel zeroes each fresh huge page whole: on a
    1M-row extract that was a quarter of the CPU time (benchmarks/README.md). Elsewhere, or if
    the call is refused, nothing changes.
    """
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)


_no_transparent_huge_pages()
