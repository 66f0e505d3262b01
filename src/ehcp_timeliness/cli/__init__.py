"""The ``ehcp`` command line. Importing this package sets process-wide tuning for the CLI."""

import contextlib
import ctypes
import os
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

# numpy's OpenBLAS starts a thread per core at its first matrix product and keeps them
# spinning between products. The projections' products are small (weeks by parameters), so
# those threads did no useful work and took a core from the case-list writer: 0.3 s of CPU
# and 0.2 s of wall time on the national job. Set before numpy loads; the user's value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
