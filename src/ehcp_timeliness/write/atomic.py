"""Writing output files so they appear complete or not at all.

Every file is written to a temporary name beside its target and renamed into place only when
it is complete. Temporary names are recognisable (``.NAME.ehcp-XXXXXXXX.part``), so a later
run can clear those a killed run left behind (:func:`clean_stale`, which the first temporary
file in each folder runs). A library's own temporary files (openpyxl's, holding whole sheets)
go to a private folder beside the target, removed when the write ends
(:func:`private_tempdir`), never to the system's temporary folder.

:class:`OutputSet` does this for all of a run's files together: each is written to its
temporary name, and only when every one is complete are they renamed, one after another, so a
failed run leaves last month's files as they were and never a new file beside an old one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import pandas as pd

from ehcp_timeliness.errors import OutputError, os_error_line
from ehcp_timeliness.read.paths import split_sheet
from ehcp_timeliness.write.csvsafe import defuse_frame

TEMP_MARK = ".ehcp-"
TEMP_SUFFIX = ".part"
#: Temporary files older than this are a killed run's debris, never a live run's.
STALE_AFTER_SECONDS = 24 * 3600


#: Folders this process has already cleared of stale temporary files.
_CLEANED: set[Path] = set()


def temp_beside(target: Path) -> Path:
    """A new, empty temporary file beside ``target``, with normal file permissions.

    The first in each folder clears the folder of stale temporary files (:func:`clean_stale`).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = target.parent.resolve()
    if folder not in _CLEANED:
        _CLEANED.add(folder)
        clean_stale([folder])
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.name}{TEMP_MARK}", suffix=TEMP_SUFFIX, dir=target.parent
    )
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
    return Path(tmp)


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed onto it only if the block succeeds."""
    target = Path(target)
    tmp = temp_beside(target)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def private_tempdir(target: Path) -> Iterator[Path]:
    """A private folder beside ``target`` that is the default for Python's ``tempfile`` while
    the block runs (where openpyxl's write-only sheets go), removed with all it holds when the
    block ends, however it ends.

    Its name is recognisable (``.tmp.ehcp-XXXXXXXX.part``) and its mode 0700, so a run killed
    with SIGKILL leaves it only beside its own outputs, for :func:`clean_stale` to remove.
    ``tempfile.tempdir`` is process-wide: the block is for the main thread's writing.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".tmp{TEMP_MARK}", suffix=TEMP_SUFFIX,
                                   dir=target.parent))  # fmt: skip
    previous = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends (main thread, POSIX; elsewhere nothing),
    so that a run's outputs are renamed all or none, then the signal acts."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not (
        threading.main_thread()
    ):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_atomic(target: Path, write: Callable[[Path], object]) -> None:
    with atomic_path(target) as tmp:
        write(tmp)


def write_csv(frame: pd.DataFrame, target: Path, *, raw: bool = False) -> None:
    """CSV (UTF-8 with BOM, so Excel opens it right) written atomically; see
    :func:`write_csv_to`."""
    write_atomic(target, lambda tmp: write_csv_to(frame, tmp, raw=raw))


def write_csv_to(frame: pd.DataFrame, path: Path, *, raw: bool = False) -> None:
    """CSV (UTF-8 with BOM, so Excel opens it right) written straight to ``path``.

    Text cells and headers a spreadsheet would run as formulas are defused
    (:mod:`.csvsafe`) unless ``raw``.
    """
    frame = frame if raw else defuse_frame(frame)
    frame.to_csv(path, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")


class OutputSet:
    """A run's output files, put in place together when all are complete.

    ``path(target)`` gives the temporary file to write ``target``'s contents to. Leaving the
    ``with`` block normally renames every file into place, in the order they were asked for;
    leaving it by an exception (a failed writer, Ctrl-C, SIGTERM) removes them all instead.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []
        #: The files put in place, once the set is committed.
        self.written: list[Path] = []
        #: SHA-256 of temporary files taken as they were written, so none is read back.
        self.digests: dict[Path, str] = {}

    def path(self, target: Path) -> Path:
        target = Path(target)
        if any(t == target for t, _ in self._pending):
            raise ValueError(f"{target} is named twice among the outputs")
        try:
            tmp = temp_beside(target)
        except OSError as exc:  # a folder that cannot be made, no permission, a full disk
            raise OutputError(os_error_line("write", exc)) from exc
        self._pending.append((target, tmp))
        return tmp

    def pending(self) -> list[tuple[Path, Path]]:
        """(target, temporary file) of every output not yet put in place, in order."""
        return list(self._pending)

    def commit(self) -> None:
        with _signals_held():  # Ctrl-C or SIGTERM now acts after the last rename, not among them
            for target, tmp in self._pending:
                os.replace(tmp, target)
                self.written.append(target)
            self._pending = []

    def discard(self) -> None:
        for _, tmp in self._pending:
            if tmp.exists():
                tmp.unlink()
        self._pending = []

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            try:
                self.commit()
            finally:
                self.discard()  # a rename that failed part-way leaves no temporary files
        else:
            self.discard()


def sha256_file(path: Path, known: dict[Path, str] | None = None) -> str:
    """The SHA-256 of a file's contents, read in 1 MB pieces (or from ``known``, the digests
    taken as files were written)."""
    if known is not None and path in known:
        return known[path]
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_input(path: str, known: dict[str, str] | None = None) -> str:
    """The SHA-256 of an input as the findings name it: a file; a workbook's, for one of its
    sheets (``book.xlsx[Sheet]``); or, for an input of several files named by a pattern (a
    COLLECT CSV export, ``folder/Blade-Export_DATE_*.csv``), of each file's name and SHA-256
    in name order. ``known`` holds the digests taken as files were read."""
    if known is not None and path in known:
        return known[path]
    real = Path(split_sheet(path)[0])
    if "*" not in real.name:
        return sha256_file(real)
    digest = hashlib.sha256()
    for file in sorted(real.parent.glob(real.name)):
        digest.update(file.name.encode("utf-8") + b"\0" + bytes.fromhex(sha256_file(file)))
    return digest.hexdigest()


def outputs_among_inputs(
    inputs: Iterable[Path], outputs: Iterable[Path | None], read_suffixes: Iterable[str]
) -> list[str]:
    """Why each output that would destroy or pollute an input is refused (empty when none is).

    An output may not be an input file, nor an input folder, nor a file of a kind that is
    read (``read_suffixes``) directly inside an input folder: next month's run would read
    this month's output as an extract. Nor may an output folder hold an input. Symbolic links
    are followed.
    """
    suffixes = {s.lower() for s in read_suffixes}
    files: set[Path] = set()
    folders: set[Path] = set()
    for path in inputs:
        real = Path(path).resolve()
        (folders if real.is_dir() else files).add(real)
    problems = []
    for output in outputs:
        if output is None:
            continue
        real = Path(output).resolve()
        if real in files or real in folders:
            problems.append(f"{output} is one of the inputs; it would be overwritten")
        elif real.parent in folders and real.suffix.lower() in suffixes:
            problems.append(f"{output} is inside the input folder {real.parent}, so later "
                            "runs would read it as an extract")  # fmt: skip
        elif real.is_dir() and any(f.is_relative_to(real) for f in files | folders):
            problems.append(f"{output} holds an input, and files written there could replace it")
    return problems


def clean_stale(folders: Iterable[Path], *, now: float | None = None) -> list[Path]:
    """Remove this tool's temporary files (and private temporary folders) older than a day
    from ``folders``; return them.

    A run killed with SIGKILL cannot clean up after itself; the next run in the same place
    does. Files younger than a day may belong to a run still going, so they are left.
    """
    now = time.time() if now is None else now
    removed = []
    for folder in {Path(f) for f in folders}:
        if not folder.is_dir():
            continue
        for path in folder.glob(f".*{TEMP_MARK}*{TEMP_SUFFIX}"):
            try:
                if now - path.lstat().st_mtime > STALE_AFTER_SECONDS:
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path)
                    else:
                        path.unlink()
                    removed.append(path)
            except OSError:  # gone already, or not ours to remove
                continue
    return removed
