"""The optional ``--mapping FILE.toml``: local headers and local codes onto the canonical ones.

.. code-block:: toml

    schema_version = 1
    dimensions = ["Funding Band"]   # other columns to keep as breakdown dimensions
    [columns]
    received_date = "Date Request Received"
    plan_issue_date = ["Final EHCP Issued", "Plan Start Date"]   # one per file, either works
    team = "Locality Team"          # a known dimension under a local header
    [values.assessment_outcome]
    "No Plan" = "N"

Columns that are neither in the schema, nor known dimensions, nor listed under ``dimensions``
are not read (see :mod:`ehcp_timeliness.read.dimensions`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from ehcp_timeliness.config import describe, read_toml
from ehcp_timeliness.errors import RulesError
from ehcp_timeliness.read.dimensions import KNOWN_DIMENSIONS
from ehcp_timeliness.validate.schema import TABLES, Kind, columns, normalise_word


def _all_columns() -> dict[str, object]:
    out: dict[str, object] = {}
    for table in TABLES:
        out.update(columns(table))
    return out


class Mapping(BaseModel):
    """Validated contents of a mapping file; unknown keys are errors, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    schema_version: int = 1
    columns: dict[str, str | list[str]] = {}
    values: dict[str, dict[str, str]] = {}
    #: Headers of further columns to keep as breakdown dimensions, under these names.
    dimensions: list[str] = []

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v != 1:
            raise ValueError(f"schema_version {v} is not supported (this tool reads 1)")
        return v

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, v: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        unknown = sorted(set(v) - set(_all_columns()) - set(KNOWN_DIMENSIONS))
        if "dimensions" in unknown:  # a TOML key after [columns] belongs to [columns]
            raise ValueError(
                "dimensions is not a column: put dimensions = [...] before the first [table] "
                "of the file, beside schema_version"
            )
        if unknown:
            raise ValueError(
                f"unknown canonical column(s): {', '.join(unknown)} (to keep another column "
                "as a breakdown dimension, list its header under dimensions)"
            )
        return v

    @field_validator("dimensions")
    @classmethod
    def _named_dimensions(cls, v: list[str]) -> list[str]:
        if any(not any(ch.isalnum() for ch in header) for header in v):
            raise ValueError("dimensions: every entry must be a header with a letter or digit")
        return v

    @model_validator(mode="after")
    def _known_codes(self) -> Mapping:
        cols = _all_columns()
        for column, table in self.values.items():
            spec = cols.get(column)
            if spec is None or spec.kind is not Kind.CODE:  # type: ignore[attr-defined]
                raise ValueError(f"[values.{column}]: {column} is not a coded column")
            allowed = set(spec.codes.codes)  # type: ignore[attr-defined]
            for local, code in table.items():
                if code not in allowed:
                    raise ValueError(
                        f"[values.{column}] {local!r} = {code!r}: "
                        f"not one of {', '.join(sorted(allowed))}"
                    )
        return self

    def headers_for(self, column: str) -> list[str]:
        given = self.columns.get(column, [])
        return [given] if isinstance(given, str) else list(given)

    def value_lookup(self, column: str) -> dict[str, str]:
        return {normalise_word(k): v for k, v in self.values.get(column, {}).items()}


def load_mapping(path: Path | None) -> Mapping:
    if path is None:
        return Mapping()
    data = read_toml(path, "mapping")
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"{path}: {describe(exc)}") from None
