"""The run manifest: what a run read, what it wrote, and how it went, for a scheduler to keep.

Written beside the outputs, last, as JSON: the tool version, the rules' hash, the as-at date
and where it came from, each input with its SHA-256 and row counts, rows rejected by finding
code, each output with its SHA-256, any failure threshold crossed, and stage timings.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ehcp_timeliness import __version__
from ehcp_timeliness.analysis import Analysis
from ehcp_timeliness.quality import Problem
from ehcp_timeliness.read.paths import split_sheet
from ehcp_timeliness.report import Period
from ehcp_timeliness.write.atomic import sha256_file, sha256_input

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class InputTable(_Model):
    table: str
    sheet: str | None
    rows_read: int
    rows_usable: int
    rows_rejected: int
    blank_rows_ignored: int


class InputFile(_Model):
    path: str
    sha256: str
    tables: list[InputTable]


class OutputFile(_Model):
    path: str
    sha256: str
    bytes: int


class StageTiming(_Model):
    name: str
    seconds: float
    counts: dict[str, int]


class Manifest(_Model):
    schema_version: int = SCHEMA_VERSION
    tool_version: str = __version__
    job: str | None
    status: Literal["ok", "failed"]
    problems: list[Problem]
    rules_sha256: str
    as_at: date
    as_at_source: str
    period: Period
    inputs: list[InputFile]
    rows_rejected_by_code: dict[str, int]
    outputs: list[OutputFile]
    stages: list[StageTiming]


def build_manifest(
    analysis: Analysis,
    outputs: list[tuple[Path, Path]],
    digests: dict[Path, str],
    problems: list[Problem],
    *,
    as_at_source: str,
    job: str | None = None,
) -> Manifest:
    """The manifest of a run whose ``outputs`` are (target, file holding its contents), with
    the SHA-256 of any taken as it was written in ``digests``. Its inputs are the files actually
    read (folders expanded), from the validated summaries."""
    by_file: dict[str, list[InputTable]] = {}
    for s in analysis.validated.summaries:
        path, sheet = split_sheet(s.file)
        by_file.setdefault(path, []).append(InputTable(
            table=s.table, sheet=sheet, rows_read=s.rows_read,
            rows_usable=s.rows_usable, rows_rejected=s.rows_rejected,
            blank_rows_ignored=s.blank_rows_ignored))  # fmt: skip
    findings = analysis.validated.findings
    errors = findings[findings["severity"] == "error"].drop_duplicates(["file", "row", "code"])
    rejected = errors["code"].value_counts().sort_index()
    return Manifest(
        job=job,
        status="failed" if problems else "ok",
        problems=problems,
        rules_sha256=analysis.rules.sha256,
        as_at=analysis.as_at,
        as_at_source=as_at_source,
        period=analysis.period,
        inputs=[InputFile(path=p, sha256=sha256_input(p, analysis.input_sha256), tables=t)
                for p, t in by_file.items()],
        rows_rejected_by_code={str(k): int(v) for k, v in rejected.items()},
        outputs=[OutputFile(path=str(target), sha256=sha256_file(tmp, digests),
                            bytes=tmp.stat().st_size) for target, tmp in outputs],
        stages=[StageTiming(name=s.name, seconds=round(s.seconds, 3), counts=s.counts)
                for s in analysis.stages],
    )  # fmt: skip
