"""One run at a time for a set of outputs: an exclusive lock on a file beside them.

A second run that starts while the first is writing is refused at once rather than left to
interleave its renames with the first's. The lock is the operating system's (``flock`` on
Linux and macOS, ``msvcrt.locking`` on Windows), so a run that is killed releases it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType
from typing import IO

from ehcp_timeliness.errors import OutputError


class Locked(OutputError):
    """Another run holds the lock: its outputs cannot be written now (exit 4, as any output
    that cannot be written)."""


class RunLock:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._file: IO[str] | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until __exit__
        try:
            _lock(f)
        except OSError:
            f.close()
            raise Locked(
                f"another run is writing these outputs now (lock {self.path} is held); "
                "try again when it has finished"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._file = f
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._file is not None:
            _unlock(self._file)
            self._file.close()
            self._file = None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(f: IO[str]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(f: IO[str]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(f: IO[str]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(f: IO[str]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)
