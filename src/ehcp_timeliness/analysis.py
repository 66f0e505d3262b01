"""The one pipeline: inputs, rules, as-at date and period in; a result holding everything out.

Data flows one way, stage by stage, and every output is written from the result:

1. **read** every input file into raw text tables;
2. **validate** them together into typed, usable rows and findings;
3. **evaluate** every rule in force into cases (handing each rule's cases to any *case
   sinks*, such as the case-list writer, as soon as they exist, so writing overlaps the
   evaluation of the next rule);
4. **summarise** the cases into the report, the previous period's report, and the breakdown;
5. **benchmark**, when asked: the council beside DfE's published figures, with its casework
   figures for the same years.
6. **project**, when asked (``Options.projection``): the deadline cliff, the backlog, annual
   reviews and caseload ahead, from the same tables and cases (``ehcp_timeliness.project``).

Writers (``ehcp_timeliness.write``) take an :class:`Analysis` and write it; none of them calls
the engine again. Each stage is logged (logger ``ehcp_timeliness``) with its time and row
counts: one ``start`` record at DEBUG and one summary line at INFO.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ehcp_timeliness.benchmark import Benchmark, PublishedSpec, compare_published
from ehcp_timeliness.clocks.engine import (
    all_dimensions,
    case_details,
    combine,
    dimension_codes,
    evaluate_rules,
)
from ehcp_timeliness.clocks.rules import RuleSet
from ehcp_timeliness.dates import as_arrow_text
from ehcp_timeliness.errors import OutputError, os_error_line
from ehcp_timeliness.limits import MAX_DIMENSION_VALUES
from ehcp_timeliness.load import finish, read_all
from ehcp_timeliness.project.models import Projections
from ehcp_timeliness.project.options import ProjectionOptions
from ehcp_timeliness.read.mapping import load_mapping
from ehcp_timeliness.report import Period, Report, build_report, parse_period, previous_census
from ehcp_timeliness.validate.checks import Validated, validate

log = logging.getLogger("ehcp_timeliness")

#: Opens a sink for each rule's cases: given the validated tables and the rules, a context
#: manager yielding the function to call with each part (``write.cases.case_writer`` is one).
CaseSink = Callable[
    [dict[str, pd.DataFrame], RuleSet], AbstractContextManager[Callable[[pd.DataFrame], None]]
]
#: A ``team`` column, where the extract has one, breaks the report down unless asked otherwise.
DEFAULT_DIMENSION = "team"


class UnknownDimension(ValueError):
    """``by`` names a column the extract does not have."""

    def __init__(self, by: str, known: list[str]):
        self.by, self.known = by, known
        super().__init__(
            f"{by!r} is not a column of the extract (dimensions: "
            f"{', '.join(sorted(known)) or 'none'})"
        )


class TooManyValues(UnknownDimension):
    """``by`` names a column with more distinct values than a breakdown can show."""

    def __init__(self, by: str, count: int):
        self.by, self.count = by, count
        ValueError.__init__(
            self,
            f"{by!r} has {count:,} distinct values; a breakdown takes a column with at most "
            f"{MAX_DIMENSION_VALUES:,} (a team, a need, a setting), not one per case",
        )


def distinct_values(tables: dict[str, pd.DataFrame], column: str, stop: int) -> int:
    """How many distinct non-blank values ``column`` has across the tables, counting no
    further than ``stop`` + 1 (enough to know it is past a limit)."""
    seen: pa.Array | None = None
    for frame in tables.values():
        if column not in frame.columns:
            continue
        values = pc.unique(pc.drop_null(as_arrow_text(frame[column])))
        seen = values if seen is None else pc.unique(pa.concat_arrays([seen, values]))
        if len(seen) > stop:
            break
    return 0 if seen is None else len(seen)


@dataclass(frozen=True)
class Options:
    """What to analyse and how; everything but the inputs and the rules."""

    #: The date the extract was taken: open cases are judged as at this date. None takes a
    #: SEN2 return's ReferenceDate (``analyse`` puts the date used here).
    as_at: date | None
    #: The as-at date when none is given and no SEN2 return carries one (the CLI's today).
    default_as_at: date | None = None
    #: ``2024``, ``2024-25``, ``2024-Q1``, ``2024-03``, ``rolling-12`` (the default), a
    #: :class:`Period` (a custom ``--from``/``--to``), or a function of the as-at date giving
    #: one (a custom period ending on an as-at date not known until the inputs are read).
    period: str | Period | Callable[[date], Period] | None = None
    due_within: int = 4
    #: The breakdown dimension; None takes ``team`` where the extract has one.
    by: str | None = None
    mapping_file: Path | None = None
    #: DfE's published figures to compare with (the ``benchmark`` stage), if any.
    published: PublishedSpec | None = None
    #: The key for SEN2 returns' pseudonymous person ids (else ``EHCP_PSEUDONYM_KEY``).
    pseudonym_key_file: Path | None = None
    #: Projections to make after the summaries (``ehcp project``); None for none.
    projection: ProjectionOptions | None = None


@dataclass
class Analysis:
    """Everything one run knows: the validated extract, the cases and their summaries."""

    options: Options
    rules: RuleSet
    validated: Validated
    period: Period
    #: One row per (record, rule) in scope; lean (see ``clocks.engine.evaluate``).
    cases: pd.DataFrame
    report: Report
    #: The report for the period of the same length just before, for comparison: its rates
    #: and DfE's measures (no trend, backlog or open assessments, which are as at the as-at date).
    previous: Report
    #: The council beside DfE's published figures, when ``Options.published`` was given.
    benchmark: Benchmark | None = None
    #: Seconds and counts per stage, in order.
    stages: list[StageLog] = field(default_factory=list)
    #: The projections, when ``options.projection`` asked for them.
    projections: Projections | None = None
    #: The SHA-256 of each input file whose reader took it as it read the bytes (CSV files),
    #: by the name the findings give it.
    input_sha256: dict[str, str] = field(default_factory=dict)

    @property
    def as_at(self) -> date:
        assert self.options.as_at is not None  # analyse puts the date it used here
        return self.options.as_at

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.validated.tables

    def details(self, cases: pd.DataFrame) -> pd.DataFrame:
        """``cases`` (a selection of :attr:`cases`) with person, record id and dimensions."""
        return case_details(cases, self.tables, self.rules)

    def dimension(self, cases: pd.DataFrame, column: str) -> tuple[Any, list[str]]:
        """Each of ``cases``' value of a dimension column, as (codes, labels)."""
        return dimension_codes(cases, self.tables, self.rules, column)


@dataclass
class StageLog:
    name: str
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        counts = ", ".join(f"{v:,} {k}" for k, v in self.counts.items())
        return f"{self.name}: {counts}{'; ' if counts else ''}{self.seconds:.2f} s"


@contextmanager
def stage(name: str, stages: list[StageLog]) -> Iterator[StageLog]:
    """Time a stage and log it: a DEBUG record as it starts, an INFO line when it ends."""
    entry = StageLog(name)
    log.debug(f"{name}: started", extra={"stage": name, "event": "start"})
    start = time.perf_counter()
    try:
        yield entry
    except BaseException:  # so a terminal's spinner stops naming it
        log.debug(f"{name}: failed", extra={"stage": name, "event": "failed"})
        raise
    entry.seconds = time.perf_counter() - start
    stages.append(entry)
    log.info(entry.line(), extra={"stage": name, "event": "end", "seconds": entry.seconds,
                                  "counts": entry.counts})  # fmt: skip


def resolve_period(period: str | Period | Callable[[date], Period] | None,
                   as_at: date) -> Period:  # fmt: skip
    if isinstance(period, Period):
        return period
    if callable(period):
        return period(as_at)
    return parse_period(period, as_at)


def analyse(
    paths: Sequence[Path],
    rules: RuleSet,
    options: Options,
    *,
    case_sinks: Sequence[CaseSink] = (),
) -> Analysis:
    """Run the pipeline on the extract files (or folders of them) in ``paths``.

    Raises :class:`~ehcp_timeliness.errors.InputError` for input that cannot be read at all,
    :class:`UnknownDimension` for a ``by`` the extract lacks (:class:`TooManyValues`, one of
    them, for a ``by`` with more than ``MAX_DIMENSION_VALUES`` distinct values; the default
    ``team`` breakdown is then dropped with a warning instead), and ``ValueError`` for a
    malformed period.
    """
    stages: list[StageLog] = []
    if options.as_at is not None:
        resolve_period(options.period, options.as_at)  # a malformed period fails before reading
    mapping = load_mapping(options.mapping_file)
    with stage("read", stages) as s:
        inputs = read_all(list(paths), mapping, as_at=options.as_at,
                          default_as_at=options.default_as_at,
                          pseudonym_key_file=options.pseudonym_key_file)  # fmt: skip
        raw = inputs.raw
        s.counts = {"files": len({t.file for t in raw}), "rows": sum(len(t.data) for t in raw)}
    digests = {t.file: t.sha256 for t in raw if t.sha256 is not None}
    as_at = inputs.as_at
    options = replace(options, as_at=as_at)
    period = resolve_period(options.period, as_at)
    with stage("validate", stages) as s:
        validated = finish(validate(raw, as_at=as_at, mapping=mapping), inputs)
        del raw, inputs
        usable = sum(x.rows_usable for x in validated.summaries)
        s.counts = {"rows usable": usable,
                    "rows rejected": sum(x.rows_rejected for x in validated.summaries)}  # fmt: skip
    known = all_dimensions(validated.tables)
    by = options.by
    if by is None and DEFAULT_DIMENSION in known:
        by = DEFAULT_DIMENSION
    elif by is not None and by not in known:
        raise UnknownDimension(by, known)
    if by is not None:  # a breakdown by a column of ids would be one group per case
        count = distinct_values(validated.tables, by, MAX_DIMENSION_VALUES)
        if count > MAX_DIMENSION_VALUES and options.by is not None:
            raise TooManyValues(by, count)
        if count > MAX_DIMENSION_VALUES:
            log.warning(f"no breakdown: {by} has more than {MAX_DIMENSION_VALUES:,} distinct "
                        "values")  # fmt: skip
            by = None
    sinks = ExitStack()
    try:  # the case sinks write on their own threads until every stage is done
        with stage("evaluate", stages) as s:
            adders = [sinks.enter_context(sink(validated.tables, rules)) for sink in case_sinks]
            cases = _evaluate(validated.tables, rules, as_at, adders)
            s.counts = {"cases": len(cases)}
        report, previous, bench, projections = _summarise(
            validated, cases, rules, options, period, by, stages)  # fmt: skip
        if case_sinks:
            with stage("case list", stages) as s:
                sinks.close()  # what the sinks have still to write
                s.counts = {"cases": len(cases)}
    except OSError as exc:  # only the sinks touch files here: a case list not written
        raise OutputError(os_error_line("write", exc)) from exc
    finally:
        sinks.close()
    return Analysis(options, rules, validated, period, cases, report, previous, bench, stages,
                    projections, digests)  # fmt: skip


def _evaluate(tables: dict[str, pd.DataFrame], rules: RuleSet, as_at: date,
              adders: list[Callable[[pd.DataFrame], None]]) -> pd.DataFrame:  # fmt: skip
    """Every rule's cases, each handed to the sinks as soon as it is made, joined into one
    frame. The rules' own frames go when this returns (the sinks keep the pieces they have
    still to write, no more), so a run holds its cases once."""
    parts = []
    for part in evaluate_rules(tables, rules, as_at=as_at):
        parts.append(part)
        for add in adders:
            add(part)
    return combine(parts, rules)


def _project(
    tables: dict[str, pd.DataFrame],
    cases: pd.DataFrame,
    rules: RuleSet,
    as_at: date,
    options: ProjectionOptions,
    stages: list[StageLog],
) -> Projections:
    from ehcp_timeliness.project.run import make_projections

    with stage("project", stages) as s:
        projections = make_projections(tables, cases, rules, as_at, options)
        s.counts = {"weeks ahead": options.horizon_weeks, "draws": options.draws}
    return projections


def _summarise(
    validated: Validated,
    cases: pd.DataFrame,
    rules: RuleSet,
    options: Options,
    period: Period,
    by: str | None,
    stages: list[StageLog],
) -> tuple[Report, Report, Benchmark | None, Projections | None]:
    """The summarise, benchmark and project stages: the reports, and what was asked for.

    The projections read only the tables and the cases, so they are made on a second thread
    while the reports are built: both are column operations, which mostly run without the
    GIL, and on a national extract this takes about a quarter of a second off the run. The
    project stage is listed after the others, whichever finishes first."""
    assert options.as_at is not None
    as_at = options.as_at
    projecting: list[StageLog] = []
    with ThreadPoolExecutor(1, thread_name_prefix="project") as pool:
        future = None
        if options.projection is not None:
            future = pool.submit(_project, validated.tables, cases, rules, as_at,
                                 options.projection, projecting)  # fmt: skip
        with stage("summarise", stages) as s:
            report = build_report(validated, cases, rules, as_at=as_at, period=period,
                                  due_within=options.due_within, by=by)  # fmt: skip
            # DfE's review-decision measure is taken at a census: the previous period's a
            # period before the as-at date, so the scorecard compares like with like.
            previous = build_report(validated, cases, rules, as_at=as_at,
                                    period=period.previous(), due_within=options.due_within,
                                    compare_only=True,
                                    census=previous_census(as_at, period))  # fmt: skip
            s.counts = {"rules": len(report.rules)}
        bench = None
        if options.published is not None:
            with stage("benchmark", stages) as s:
                bench = compare_published(options.published, (validated, cases, rules, as_at))
                s.counts = {"measures": len(bench.measures)}
        projections = None if future is None else future.result()
    stages += projecting
    return report, previous, bench, projections
