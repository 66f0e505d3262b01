"""Which files a list of paths names: files as given, and extracts inside folders.

A SEN2 XML return is read whatever its name when its content is a SEN2 ``Message``; inside a
folder, only ``.csv``, ``.xlsx``, ``.xlsm`` and ``.xml`` files are read, and a spreadsheet in a
format this tool does not read is a finding rather than silence.
"""

from __future__ import annotations

from pathlib import Path

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.tables import HeaderNote

SUFFIXES = {".csv", ".xlsx", ".xlsm", ".xml"}
#: Spreadsheets this tool does not read: in a folder, each is a finding rather than silence.
UNREAD = {".xls": "an old Excel workbook", ".xlsb": "a binary Excel workbook",
          ".ods": "an OpenDocument spreadsheet", ".numbers": "a Numbers spreadsheet"}  # fmt: skip


def split_sheet(name: str) -> tuple[str, str | None]:
    """An input as findings name it, as (file, sheet): ``book [v2].xlsx[Requests]`` is
    (``book [v2].xlsx``, ``Requests``); a file's own brackets stay in it, since a sheet name
    cannot hold ``[`` or ``]``."""
    if name.endswith("]"):
        file, bracket, sheet = name[:-1].rpartition("[")
        if bracket:
            return file, sheet
    return name, None


def expand_noting(paths: list[Path]) -> tuple[list[Path], list[HeaderNote]]:
    """Files named, and the CSV/XLSX/XML files directly inside directories named, in order;
    and findings about whole files: a spreadsheet in a folder that is not read
    (``file-not-read``), and a file named twice, read once (``file-repeated``)."""
    out: list[Path] = []
    notes: list[HeaderNote] = []
    seen: dict[Path, Path] = {}  # the file itself (symlinks followed) -> as first named
    for path in paths:
        if path.is_dir():
            inside = [p for p in path.iterdir() if not p.name.startswith(("~$", "."))]
            found = sorted(p for p in inside if p.suffix.lower() in SUFFIXES)
            unread = sorted(p for p in inside if p.suffix.lower() in UNREAD)
            for p in unread:
                notes.append(HeaderNote("", "file-not-read",
                                        f"{UNREAD[p.suffix.lower()]}, which this tool does not "
                                        "read; save it as .xlsx or CSV", file=str(p)))  # fmt: skip
            if not found:
                also = f" (not read: {', '.join(p.name for p in unread)})" if unread else ""
                raise InputError(f"{path}: directory holds no CSV, XLSX or XML files{also}")
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES and not _is_xml(path):
                raise InputError(f"{path}: not a CSV, XLSX or SEN2 XML file")
            found = [path]
        else:
            raise InputError(f"{path}: no such file or directory")
        for p in found:
            key = p.resolve()
            if key in seen:
                notes.append(HeaderNote("", "file-repeated",
                                        f"the same file as {seen[key]}, named again; it is read "
                                        "once", file=str(p)))  # fmt: skip
                continue
            seen[key] = p
            out.append(p)
    return out, notes


def _is_xml(path: Path) -> bool:
    """Whether a file not named .xml starts as XML whose first element is ``Message``."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and b"<Message" in head


def is_xml(path: Path) -> bool:
    """Whether ``path`` (as :func:`expand_noting` gave it) is read as SEN2 XML."""
    return path.suffix.lower() == ".xml" or (path.suffix.lower() not in SUFFIXES and _is_xml(path))
