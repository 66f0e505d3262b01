"""Writing a result model as JSON: the model's own dump, so the JSON is the model."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel


def json_file(option: str | None) -> Path | None:
    """The file a ``--json FILE|-`` option names; None for stdout (``-``) or no option."""
    return None if option in (None, "-") else Path(option)


def write_json(model: BaseModel, path: Path) -> None:
    """``model`` as indented JSON, written straight to ``path``."""
    path.write_text(model.model_dump_json(indent=2), encoding="utf-8")
