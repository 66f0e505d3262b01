"""Unattended monthly runs: a job file says what to read, how, and what to write.

A job runs with nobody watching and its outputs go straight into board papers, so it either
produces complete, correct outputs or fails loudly with a reason a scheduler can act on. The
job file is TOML, validated strictly (unknown keys are errors) against :class:`Job`; paths in
it are relative to the job file's folder. See docs/scheduling.md.

:func:`load_job` reads and validates a job file, :func:`plan` resolves it (which input files,
which as-at date, which output paths) without reading any extract, and :func:`run` runs the
one pipeline (:func:`~ehcp_timeliness.analysis.analyse`) and writes every output through one
:class:`~ehcp_timeliness.write.atomic.OutputSet`, the run manifest last.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ehcp_timeliness.analysis import Analysis, Options, UnknownDimension, analyse, stage
from ehcp_timeliness.benchmark import PublishedSpec
from ehcp_timeliness.clocks.rules import RuleSet, load_rules
from ehcp_timeliness.config import describe, read_toml
from ehcp_timeliness.errors import InputError, OutputError, RulesError, os_error_line
from ehcp_timeliness.limits import MAX_DUE_WITHIN_WEEKS
from ehcp_timeliness.project.options import (
    MAX_DRAWS,
    MAX_HORIZON,
    MIN_DRAWS,
    MIN_HORIZON,
    ProjectionOptions,
)
from ehcp_timeliness.quality import Problem, banner, check
from ehcp_timeliness.read.paths import SUFFIXES
from ehcp_timeliness.report import parse_period
from ehcp_timeliness.targets import Targets, load_targets
from ehcp_timeliness.write.atomic import OutputSet, clean_stale, outputs_among_inputs
from ehcp_timeliness.write.board import write_board_pack
from ehcp_timeliness.write.cases import case_writer
from ehcp_timeliness.write.json import write_json
from ehcp_timeliness.write.lock import RunLock
from ehcp_timeliness.write.manifest import Manifest, build_manifest
from ehcp_timeliness.write.pack import EXCEL_MAX_ROWS

SCHEMA_VERSION = 1
#: Why a job's pack carries a warning on its first sheet.
THRESHOLD = "this run crossed a failure threshold"
AsAtSource = Literal["today", "file-name"]


class JobError(RulesError):
    """A job file that is malformed, or names inputs or outputs that cannot be resolved."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Input(_Strict):
    """A path or glob pattern; ``newest`` keeps only the newest file it matches."""

    path: str
    select: Literal["all", "newest"] = "all"


class JobOutputs(_Strict):
    """Output path templates: ``{as_at:%Y-%m}`` and ``{period}`` are filled in."""

    board_pack: str | None = None
    cases_csv: str | None = None
    json_summary: str | None = Field(None, alias="json")
    csv_dir: str | None = None
    #: The comparison with DfE's published figures, as JSON (needs ``[published]``).
    benchmark: str | None = None
    #: The projections model as JSON (``ehcp project --json``).
    projections: str | None = None
    #: The run manifest; by default ``manifest.json`` beside the first output.
    manifest: str | None = None

    def named(self) -> dict[str, str]:
        """The outputs asked for, by name, in the order they are written."""
        chosen = {"cases_csv": self.cases_csv, "board_pack": self.board_pack,
                  "csv_dir": self.csv_dir, "json": self.json_summary,
                  "benchmark": self.benchmark,
                  "projections": self.projections}  # fmt: skip
        return {k: v for k, v in chosen.items() if v is not None}


class JobProjection(_Strict):
    """``[projection]``: project as ``ehcp project`` does (outputs.projections, and the board
    pack's Projections sheets). Present, or implied by ``outputs.projections``."""

    horizon_weeks: int = Field(52, ge=MIN_HORIZON, le=MAX_HORIZON)
    seed: int = 1
    draws: int = Field(500, ge=MIN_DRAWS, le=MAX_DRAWS)

    def options(self) -> ProjectionOptions:
        return ProjectionOptions(horizon_weeks=self.horizon_weeks, seed=self.seed,
                                 draws=self.draws)  # fmt: skip


class Thresholds(_Strict):
    """When a run counts as failed (exit 1; outputs still written, and marked)."""

    #: Fail when more than this share of rows (0 to 1) is rejected.
    max_rejected_share: float | None = Field(None, ge=0, le=1)
    #: Fail when any of these rules has no cases at all.
    required_rules: list[str] = []


class Published(_Strict):
    """DfE's published figures to compare with (as ``report --published --la``)."""

    folder: str
    la: str
    compare: str | None = None
    neighbours: str | None = None

    @model_validator(mode="after")
    def _one_comparator_source(self) -> Published:
        if self.compare is not None and self.neighbours is not None:
            raise ValueError("give compare or neighbours, not both")
        return self


class Job(_Strict):
    """A job file's contents."""

    schema_version: int
    council: str = "Local authority"
    inputs: Annotated[list[str | Input], Field(min_length=1)]
    mapping: str | None = None
    rules: str | None = None
    targets: str | None = None
    #: The pseudonym key's file (else EHCP_PSEUDONYM_KEY), as ``--pseudonym-key-file``.
    pseudonym_key_file: str | None = None
    #: A date; "today"; or "file-name": the date in the (first) input file's name.
    as_at: date | AsAtSource
    period: str | None = None
    by: str | None = None
    due_within: int = Field(4, ge=1, le=MAX_DUE_WITHIN_WEEKS)
    max_detail_rows: int = Field(100_000, ge=1, le=EXCEL_MAX_ROWS)
    outputs: JobOutputs
    projection: JobProjection | None = None
    fail: Thresholds = Thresholds()
    published: Published | None = None

    def projection_options(self) -> ProjectionOptions | None:
        """What to project, when the job asks for projections at all."""
        if self.projection is None and self.outputs.projections is None:
            return None
        return (self.projection or JobProjection()).options()

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, v: int) -> int:
        if v != SCHEMA_VERSION:
            raise ValueError(f"schema_version {v} is not supported (this tool reads 1)")
        return v

    @field_validator("outputs")
    @classmethod
    def _some_output(cls, v: JobOutputs) -> JobOutputs:
        if not v.named():
            raise ValueError("name at least one output (board_pack, cases_csv, json, csv_dir, "
                             "projections)")  # fmt: skip
        return v

    @model_validator(mode="after")
    def _benchmark_needs_published(self) -> Job:
        if self.outputs.benchmark is not None and self.published is None:
            raise ValueError("outputs.benchmark needs a [published] section")
        return self


def load_job(path: Path) -> Job:
    """The job file at ``path``, validated; :class:`JobError` (exit 3) naming the key if not."""
    data = read_toml(path, "job")
    try:
        return Job.model_validate(data)
    except ValidationError as exc:
        raise JobError(f"{path}: {describe(exc)}") from None


#: Dates as they appear in extract file names: 2025-03-31, 20250331, 31-03-2025, 31.03.2025.
_NAME_DATES = [
    (re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"), (1, 2, 3)),
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), (1, 2, 3)),
    (re.compile(r"(?<!\d)(\d{2})[-.](\d{2})[-.](\d{4})(?!\d)"), (3, 2, 1)),
]


def date_in_name(name: str) -> date | None:
    """The first real date in a file name, in any of the forms above; None if there is none."""
    for pattern, (y, m, d) in _NAME_DATES:
        for match in pattern.finditer(name):
            try:
                return date(int(match[y]), int(match[m]), int(match[d]))
            except ValueError:
                continue
    return None


def _newest(paths: list[Path]) -> Path:
    """By the date in the file name when every file has one, else by modification time."""
    dated = [(date_in_name(p.name), p) for p in paths]
    if all(d is not None for d, _ in dated):
        return max(dated, key=lambda dp: (dp[0], dp[1].name))[1]
    return max(paths, key=lambda p: (p.stat().st_mtime, p.name))


@dataclass
class Plan:
    """A job resolved against the file system: what will be read and written."""

    job: Job
    job_file: Path
    inputs: list[Path]
    as_at: date
    as_at_source: str
    mapping: Path | None
    rules: Path | None
    targets: Path | None
    pseudonym_key_file: Path | None
    #: Output name -> path, and the manifest's path.
    outputs: dict[str, Path]
    manifest: Path
    published: PublishedSpec | None = None
    notes: list[str] = field(default_factory=list)


def plan(job: Job, job_file: Path, *, today: date) -> Plan:
    """Resolve ``job``: its input files, as-at date and output paths. Reads no extract.

    Raises :class:`JobError` for a glob that matches nothing, an as-at date that cannot be
    found, a template that cannot be filled, or outputs that would overwrite an input.
    """
    base = job_file.parent

    def here(text: str) -> Path:
        return Path(text) if Path(text).is_absolute() else base / text

    inputs: list[Path] = []
    notes = []
    for spec in job.inputs:
        item = spec if isinstance(spec, Input) else Input(path=spec)
        pattern = str(here(item.path))
        if glob.has_magic(pattern):
            found = sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file()
                           and Path(p).suffix.lower() in SUFFIXES)  # fmt: skip
            if not found:
                raise JobError(f"{job_file}: inputs: no extract matches {item.path!r}")
            if item.select == "newest":
                chosen = _newest(found)
                notes.append(f"newest of {len(found)} matching {item.path!r}: {chosen.name}")
                found = [chosen]
            inputs += found
        else:
            inputs.append(Path(pattern))
    if isinstance(job.as_at, date):
        as_at, source = job.as_at, "the job file"
    elif job.as_at == "today":
        as_at, source = today, "today's date"
    else:
        found_date = next((d for p in inputs if (d := date_in_name(p.name))), None)
        if found_date is None:
            raise JobError(f"{job_file}: as_at = \"file-name\", but no input file's name holds "
                           "a date (2025-03-31, 20250331 or 31-03-2025)")  # fmt: skip
        as_at, source = found_date, "the input file's name"
    try:
        parse_period(job.period, as_at)
    except ValueError as exc:
        raise JobError(f"{job_file}: period: {exc}") from None

    def fill(name: str, template: str) -> Path:
        try:
            text = template.format(as_at=as_at, period=job.period or "rolling-12")
        except (KeyError, IndexError, ValueError) as exc:
            raise JobError(f"{job_file}: outputs.{name}: cannot fill the template "
                           f"{template!r} ({type(exc).__name__}: {exc}); use {{as_at:%Y-%m}} "
                           "or {period}") from None  # fmt: skip
        return here(text)

    outputs = {name: fill(name, t) for name, t in job.outputs.named().items()}
    manifest = (fill("manifest", job.outputs.manifest) if job.outputs.manifest
                else _folder_of(next(iter(outputs.items()))) / "manifest.json")  # fmt: skip
    published = None
    if (p := job.published) is not None:
        neighbours = here(p.neighbours) if p.neighbours else None
        published = PublishedSpec(here(p.folder), p.la, p.compare, neighbours)
    read_too = [*inputs, *([published.folder] if published else [])]
    every = [*outputs.values(), manifest]
    if len(set(every)) < len(every):
        raise JobError(f"{job_file}: outputs: two outputs have the same path")
    problems = outputs_among_inputs(read_too, every, SUFFIXES)
    if problems:
        raise JobError(f"{job_file}: outputs: " + "; ".join(problems))
    return Plan(job, job_file, inputs, as_at, source,
                here(job.mapping) if job.mapping else None,
                here(job.rules) if job.rules else None,
                here(job.targets) if job.targets else None,
                here(job.pseudonym_key_file) if job.pseudonym_key_file else None,
                outputs, manifest, published, notes)  # fmt: skip


def _folder_of(output: tuple[str, Path]) -> Path:
    name, path = output
    return path if name == "csv_dir" else path.parent


@dataclass
class RunResult:
    plan: Plan
    analysis: Analysis
    manifest: Manifest
    problems: list[Problem]

    @property
    def failed(self) -> bool:
        return bool(self.problems)


def run_job(job_plan: Plan) -> RunResult:
    """Run a planned job: one analysis, every output, and the manifest, written together.

    Only one run at a time may write a job's outputs: a second is refused
    (:class:`~ehcp_timeliness.write.lock.Locked`). Temporary files a killed run left in the
    output folders are cleared first. Problems with the result (:mod:`~ehcp_timeliness.quality`)
    do not stop the outputs: they are written, and marked, and the result says so. A result
    with nothing usable at all raises :class:`~ehcp_timeliness.errors.InputError` and writes
    nothing.
    """
    job, outputs_at = job_plan.job, job_plan.outputs
    rules: RuleSet = load_rules(job_plan.rules)
    targets: Targets = load_targets(job_plan.targets, known=[r.id for r in rules.rules])
    unknown = sorted(set(job.fail.required_rules) - {r.id for r in rules.enabled})
    if unknown:
        raise JobError(f"{job_plan.job_file}: fail.required_rules: no rule in force is "
                       f"called {', '.join(unknown)}")  # fmt: skip
    folders = {_folder_of(o) for o in outputs_at.items()} | {job_plan.manifest.parent}
    with RunLock(job_plan.manifest.with_name(f".{job_plan.manifest.name}.lock")):
        clean_stale(folders)
        options = Options(as_at=job_plan.as_at, period=job.period, due_within=job.due_within,
                          by=job.by, mapping_file=job_plan.mapping,
                          pseudonym_key_file=job_plan.pseudonym_key_file,
                          published=job_plan.published,
                          projection=job.projection_options())  # fmt: skip
        with OutputSet() as outputs:
            sinks = []
            if "cases_csv" in outputs_at:
                sinks.append(partial(case_writer, outputs.path(outputs_at["cases_csv"]),
                                     digests=outputs.digests))  # fmt: skip
            try:
                analysis = analyse(job_plan.inputs, rules, options, case_sinks=sinks)
            except UnknownDimension as exc:
                raise JobError(f"{job_plan.job_file}: by: {exc}") from None
            problems = check(analysis, max_rejected_share=job.fail.max_rejected_share,
                             required_rules=job.fail.required_rules)  # fmt: skip
            fatal = [p for p in problems if p.fatal]
            if fatal:
                raise InputError(fatal[0].message)
            try:
                manifest = _write(job_plan, analysis, targets, problems, outputs)
            except OSError as exc:
                raise OutputError(os_error_line("write", exc)) from exc
    return RunResult(job_plan, analysis, manifest, problems)


def _write(job_plan: Plan, analysis: Analysis, targets: Targets, problems: list[Problem],
           outputs: OutputSet) -> Manifest:  # fmt: skip
    """Every output but the case list (already streamed), then the manifest, last."""
    job, outputs_at = job_plan.job, job_plan.outputs
    with stage("write", analysis.stages) as s:
        pack = outputs_at.get("board_pack")
        if pack is not None or "csv_dir" in outputs_at:
            write_board_pack(analysis, targets, outputs, xlsx=pack,
                             csv_dir=outputs_at.get("csv_dir"), council=job.council,
                             max_detail_rows=job.max_detail_rows,
                             banner=banner(problems, THRESHOLD))  # fmt: skip
        if "json" in outputs_at:
            write_json(analysis.report, outputs.path(outputs_at["json"]))
        if "benchmark" in outputs_at and analysis.benchmark is not None:
            write_json(analysis.benchmark, outputs.path(outputs_at["benchmark"]))
        if "projections" in outputs_at and analysis.projections is not None:
            write_json(analysis.projections, outputs.path(outputs_at["projections"]))
        s.counts = {"files": len(outputs.pending())}
    manifest = build_manifest(analysis, outputs.pending(), outputs.digests, problems,
                              as_at_source=job_plan.as_at_source,
                              job=job_plan.job_file.name)  # fmt: skip
    write_json(manifest, outputs.path(job_plan.manifest))
    return manifest
