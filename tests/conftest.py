from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def write(tmp_path: Path):
    """Write bytes or text to a file in tmp_path and return its path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        data = content if isinstance(content, bytes) else content.encode(encoding)
        path.write_bytes(data)
        return path

    return _write


#: Reference material beside the repository (../shared): DfE's published statistics and the
#: public SEN2 samples. It is read in place, never copied into the project.
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared folder; a test that needs it fails, not skips, when it is missing."""
    assert SHARED.is_dir(), f"{SHARED} is missing: tests read DfE's files and SEN2 samples there"
    return SHARED


@pytest.fixture(autouse=True)
def _no_pseudonym_key_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key in the developer's environment would hash every person id the tests expect."""
    monkeypatch.delenv("EHCP_PSEUDONYM_KEY", raising=False)
