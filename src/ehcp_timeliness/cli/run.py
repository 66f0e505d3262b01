"""``ehcp run JOB.toml``: an unattended run, as a scheduler starts it (docs/scheduling.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from ehcp_timeliness.cli import logs
from ehcp_timeliness.cli.common import (
    Exit,
    LogFormatOpt,
    LogLevelOpt,
    out,
    say,
)
from ehcp_timeliness.cli.common import (
    run as guarded,
)
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.errors import InputError
from ehcp_timeliness.jobs import Plan, load_job, plan, run_job
from ehcp_timeliness.read.mapping import load_mapping
from ehcp_timeliness.read.pseudonym import resolve_key
from ehcp_timeliness.report import parse_period
from ehcp_timeliness.targets import load_targets


def command(
    job_file: Annotated[
        Path,
        typer.Argument(
            metavar="JOB.toml", help="The job file (docs/scheduling.md).", show_default=False
        ),
    ],
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Validate the job, resolve its inputs, as-at date and outputs, and print "
            "them, without reading any extract or writing anything.",
        ),
    ] = False,
    log_format: LogFormatOpt = logs.LogFormat.text,
    log_level: LogLevelOpt = logs.LogLevel.info,
) -> None:
    """Run a job file: read, check and report, and write every output it names, or fail loudly.

    Exit codes: 0 done; 1 a failure threshold was crossed (outputs written, and marked);
    2 usage; 3 unreadable input or a bad job, rules, mapping or targets file; 4 an output
    could not be written (or another run is writing them); 5 internal error.
    """
    logs.configure(log_format, log_level)
    job = guarded(lambda: load_job(job_file))
    resolved = guarded(lambda: plan(job, job_file, today=date.today()))
    for note in resolved.notes:
        say(note)
    if check:
        guarded(lambda: _check_files(resolved))
        _print_plan(resolved)
        return
    result = guarded(lambda: run_job(resolved))
    for output in result.manifest.outputs:
        say(f"wrote {output.path}")
    say(f"wrote {resolved.manifest}")
    if result.failed:
        for problem in result.problems:
            logs.error(f"failure threshold crossed: {problem.message}")
        raise typer.Exit(Exit.FINDINGS)
    say(f"done: as at {resolved.as_at:%d %B %Y}, {len(result.manifest.outputs)} outputs")


def _check_files(resolved: Plan) -> None:
    """Every file the job names exists and parses, without reading an extract."""
    for path in resolved.inputs:
        if not path.exists():
            raise InputError(f"{resolved.job_file}: inputs: {path} does not exist")
    rules = load_rules(resolved.rules)
    load_targets(resolved.targets, known=[r.id for r in rules.rules])
    load_mapping(resolved.mapping)
    if resolved.pseudonym_key_file is not None:
        resolve_key(resolved.pseudonym_key_file)  # readable, and long enough


def _print_plan(resolved: Plan) -> None:
    job = resolved.job
    period = parse_period(job.period, resolved.as_at)
    lines = [
        f"job: {resolved.job_file}",
        f"council: {job.council}",
        f"as at: {resolved.as_at:%Y-%m-%d} (from {resolved.as_at_source})",
        f"period: {period.label} ({period.start:%Y-%m-%d} to {period.end:%Y-%m-%d})",
        *(f"input: {p}" for p in resolved.inputs),
        *(f"{name}: {path}" for name, path in (("mapping", resolved.mapping),
          ("rules", resolved.rules), ("targets", resolved.targets),
          ("pseudonym key file", resolved.pseudonym_key_file)) if path is not None),
        *(f"output {name}: {path}" for name, path in resolved.outputs.items()),
        f"output manifest: {resolved.manifest}",
        f"fail when rejected share above: {job.fail.max_rejected_share}"
        if job.fail.max_rejected_share is not None else "fail when rejected share above: never",
        f"fail when no cases for: {', '.join(job.fail.required_rules) or 'none named'}",
    ]  # fmt: skip
    for line in lines:
        out.print(line, markup=False, highlight=False)
