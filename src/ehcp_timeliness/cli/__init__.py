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

M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # <malloc.h>


def _keep_freed_memory() -> None:
    """Ask glibc's allocator to reuse the memory a run frees rather than give it back.

    By default it maps every block over a few megabytes afresh and unmaps it when freed, so
    each stage's arrays (millions of cases) fault in new pages, which the kernel zeroes, where
    the previous stage's freed ones would do. Serving every block from the heap and never
    trimming it cut a national run's page faults by a fifth and its system time by a quarter
    (0.1 s of 3.4 s), for about 100 MB more peak memory (benchmarks/README.md). Elsewhere (not
    glibc), or if refused, nothing changes.
    """
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        libc.mallopt(M_MMAP_MAX, 0)
        libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1)


_keep_freed_memory()

# numpy's OpenBLAS starts a thread per core at its first matrix product and keeps them
# spinning between products. The projections' products are small (weeks by parameters), so
# those threads did no useful work and took a core from the case-list writer: 0.3 s of CPU
# and 0.2 s of wall time on the national job. Set before numpy loads; the user's value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
