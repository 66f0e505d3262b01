"""Which files a list of paths names: files as given, and extracts inside folders.

A SEN2 XML return is read whatever its name when its content is a SEN2 ``Message``; inside a
folder, only ``.csv``, ``.xlsx``, ``.xlsm`` and ``.xml`` files are read.
"""

from __future__ import annotations

from pathlib import Path

from ehcp_timeliness.errors import InputError

SUFFIXES = {".csv", ".xlsx", ".xlsm", ".xml"}


def expand(paths: list[Path]) -> list[Path]:
    """Files named, and the CSV/XLSX/XML files directly inside directories named, in order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.suffix.lower() in SUFFIXES and not p.name.startswith(("~$", "."))
            )
            if not found:
                raise InputError(f"{path}: directory holds no CSV, XLSX or XML files")
            out.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES and not _is_xml(path):
                raise InputError(f"{path}: not a CSV, XLSX or SEN2 XML file")
            out.append(path)
        else:
            raise InputError(f"{path}: no such file or directory")
    return out


def _is_xml(path: Path) -> bool:
    """Whether a file not named .xml starts as XML whose first element is ``Message``."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and b"<Message" in head


def is_xml(path: Path) -> bool:
    """Whether ``path`` (as :func:`expand` gave it) is read as SEN2 XML."""
    return path.suffix.lower() == ".xml" or (path.suffix.lower() not in SUFFIXES and _is_xml(path))
