"""Which files a list of paths names: files as given, and extracts inside folders."""

from __future__ import annotations

from pathlib import Path

from ehcp_timeliness.errors import InputError

SUFFIXES = {".csv", ".xlsx", ".xlsm"}


def expand(paths: list[Path]) -> list[Path]:
    """Files named, and the CSV/XLSX files directly inside directories named, in order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.suffix.lower() in SUFFIXES and not p.name.startswith(("~$", "."))
            )
            if not found:
                raise InputError(f"{path}: directory holds no CSV or XLSX files")
            out.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise InputError(f"{path}: not a CSV or XLSX file")
            out.append(path)
        else:
            raise InputError(f"{path}: no such file or directory")
    return out
