"""The one pipeline (analysis.analyse) and the output set every command writes through."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ehcp_timeliness.analysis import Analysis, Options, UnknownDimension, analyse
from ehcp_timeliness.cli.app import app
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.report import parse_period, summarise_rules
from ehcp_timeliness.write.atomic import OutputSet, clean_stale, outputs_among_inputs

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
AS_AT = date(2025, 3, 31)
RULES = load_rules()


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return analyse([SAMPLE], RULES, Options(as_at=AS_AT, period="2024"))


def test_report_json_is_the_analysis_report(analysis):
    result = runner.invoke(app, ["report", str(SAMPLE), "--as-at", "2025-03-31",
                                 "--period", "2024", "--json", "-"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(analysis.report.model_dump_json())


def test_the_report_breaks_down_by_team_unless_asked_otherwise(analysis):
    assert analysis.report.by == "team"
    assert [g.value for g in analysis.report.breakdown] == [
        "Central", "East", "North", "South", "West",
    ]  # fmt: skip
    by_need = analyse([SAMPLE], RULES, Options(as_at=AS_AT, by="primary_need"))
    assert by_need.report.by == "primary_need"
    with pytest.raises(UnknownDimension, match="'nope' is not a column"):
        analyse([SAMPLE], RULES, Options(as_at=AS_AT, by="nope"))


def test_breakdown_groups_add_up_to_the_whole_and_match_a_per_group_count(analysis):
    report, cases = analysis.report, analysis.cases
    for i, rule in enumerate(report.rules):
        for field in ("met", "late", "open", "overdue", "due_soon"):
            groups = sum(getattr(g.rules[i], field) for g in report.breakdown)
            assert groups == getattr(rule, field), (rule.rule, field)
    codes, labels = analysis.dimension(cases, "team")
    east = cases[codes == labels.index("East")]  # a plain filter, counted the old way
    expected = summarise_rules(east, RULES, analysis.period, AS_AT, 4)
    assert next(g for g in report.breakdown if g.value == "East").rules == expected


def test_previous_period_is_the_same_length_just_before(analysis):
    assert analysis.period == parse_period("2024", AS_AT)
    assert (analysis.previous.period.start, analysis.previous.period.end) == (
        date(2023, 1, 1), date(2023, 12, 31),
    )  # fmt: skip


def test_each_stage_is_logged_with_its_counts(caplog):
    with caplog.at_level(logging.INFO, logger="ehcp_timeliness"):
        result = analyse([SAMPLE], RULES, Options(as_at=AS_AT))
    assert [s.name for s in result.stages] == ["read", "validate", "evaluate", "summarise"]
    lines = [r.getMessage() for r in caplog.records if getattr(r, "event", None) == "end"]
    assert lines[0].startswith("read: 2 files, 29,303 rows; ")
    assert lines[2].startswith(f"evaluate: {len(result.cases):,} cases; ")


def test_projections_made_beside_the_summaries_are_those_made_alone(analysis):
    """The project stage runs on its own thread while the reports are built: the result is
    what the projections give on their own, and the stage is listed last."""
    from ehcp_timeliness.project.options import ProjectionOptions
    from ehcp_timeliness.project.run import make_projections

    options = ProjectionOptions(draws=50)
    result = analyse([SAMPLE], RULES, Options(as_at=AS_AT, period="2024", projection=options))
    assert [s.name for s in result.stages][-2:] == ["summarise", "project"]
    alone = make_projections(analysis.tables, analysis.cases, RULES, AS_AT, options)
    assert result.projections is not None
    assert result.projections.model_dump_json() == alone.model_dump_json()
    assert result.report.model_dump_json() == analysis.report.model_dump_json()


def test_csv_inputs_are_hashed_as_they_are_read(analysis):
    """The manifest and the Inputs sheet name the SHA-256 of the bytes the reader parsed,
    taken as it read them, not by reading each file again at the end."""
    files = {str(SAMPLE / "requests.csv"), str(SAMPLE / "plans.csv")}
    assert set(analysis.input_sha256) == files
    for file, digest in analysis.input_sha256.items():
        assert digest == hashlib.sha256(Path(file).read_bytes()).hexdigest()


def test_the_spinner_names_every_running_stage_and_stops_when_none_is(monkeypatch):
    from ehcp_timeliness.cli import logs

    shown: list[str | None] = []

    class Status:
        def __init__(self, text, console):
            shown.append(text)

        def start(self):
            pass

        def update(self, text):
            shown.append(text)

        def stop(self):
            shown.append(None)

    monkeypatch.setattr(logs, "Status", Status)
    spinner = logs._Spinner()
    for stage, event in [("summarise", "start"), ("project", "start"), ("summarise", "end"),
                         ("project", "end"), ("evaluate", "start"),
                         ("evaluate", "failed")]:  # fmt: skip
        record = logging.LogRecord("ehcp_timeliness", logging.DEBUG, "", 0, "", None, None)
        record.stage, record.event = stage, event
        spinner.emit(record)
    assert shown == ["summarise...", "summarise, project...", "project...", None,
                     "evaluate...", None]  # fmt: skip


def test_a_stage_that_fails_says_so_to_the_log(caplog):
    from ehcp_timeliness.analysis import stage

    level = caplog.at_level(logging.DEBUG, logger="ehcp_timeliness")
    with level, pytest.raises(ValueError), stage("evaluate", []):
        raise ValueError("a rule failed")
    events = [(r.stage, r.event) for r in caplog.records if hasattr(r, "event")]
    assert events == [("evaluate", "start"), ("evaluate", "failed")]


def test_case_sinks_receive_every_rules_cases_as_evaluated(analysis):
    received = []

    def sink(tables, rules):
        from contextlib import nullcontext

        return nullcontext(received.append)

    again = analyse([SAMPLE], RULES, Options(as_at=AS_AT, period="2024"), case_sinks=[sink])
    assert sum(len(p) for p in received) == len(again.cases) == len(analysis.cases)
    # every rule whose table the extract has (the sample has no tribunal orders)
    assert [p["rule"].iloc[0] for p in received] == [
        r.id for r in RULES.enabled if r.table != "tribunal_orders"
    ]


# --- the output set ---------------------------------------------------------------------------


def test_outputs_appear_together_or_not_at_all(tmp_path):
    (tmp_path / "a.csv").write_text("last month")
    with OutputSet() as outputs:
        outputs.path(tmp_path / "a.csv").write_text("new a")
        outputs.path(tmp_path / "sub" / "b.csv").write_text("new b")
        assert (tmp_path / "a.csv").read_text() == "last month"  # nothing in place yet
    assert (tmp_path / "a.csv").read_text() == "new a"
    assert (tmp_path / "sub" / "b.csv").read_text() == "new b"
    assert outputs.written == [tmp_path / "a.csv", tmp_path / "sub" / "b.csv"]

    with pytest.raises(RuntimeError), OutputSet() as outputs:
        outputs.path(tmp_path / "a.csv").write_text("broken a")
        outputs.path(tmp_path / "c.csv").write_text("c")
        raise RuntimeError("the pack failed")
    assert (tmp_path / "a.csv").read_text() == "new a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "sub"]  # no temporary files


def test_an_output_named_twice_is_refused(tmp_path):
    with pytest.raises(ValueError, match="named twice"), OutputSet() as outputs:
        outputs.path(tmp_path / "a.csv")
        outputs.path(tmp_path / "a.csv")
    assert list(tmp_path.iterdir()) == []


def test_outputs_that_would_destroy_or_pollute_an_input(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    extract = data / "requests.csv"
    extract.write_text("x")
    (tmp_path / "link.csv").symlink_to(extract)
    suffixes = [".csv", ".xlsx"]

    def refused(*outputs):
        return outputs_among_inputs([data, tmp_path / "other.csv"], outputs, suffixes)

    assert len(refused(extract)) == 1  # the input file itself
    assert len(refused(tmp_path / "link.csv")) == 1  # ... through a symbolic link
    assert len(refused(data)) == 1  # a --csv-dir that is the input folder
    assert len(refused(data / "cases.csv")) == 1  # read as an extract next month
    assert len(refused(tmp_path)) == 1  # a folder holding an input
    assert refused(data / "report.json", data / "out" / "cases.csv", tmp_path / "c.csv") == []


def test_report_refuses_to_overwrite_its_input_before_reading(tmp_path):
    extract = tmp_path / "requests.csv"
    extract.write_text("person_id,received_date\nP1,2024-01-01\n")
    for option in ("--cases-out", "--json", "--xlsx"):
        args = ["report", str(extract), "--as-at", "2025-03-31", option, str(extract)]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "is one of the inputs" in result.output
    assert extract.read_text() == "person_id,received_date\nP1,2024-01-01\n"


def test_a_file_output_named_dash_is_refused_not_written(tmp_path, monkeypatch):
    """'-' is standard output for --json only; for a file option it is a usage error, not a
    file called '-' in the working folder."""
    monkeypatch.chdir(tmp_path)
    extract = tmp_path / "data" / "requests.csv"
    extract.parent.mkdir()
    extract.write_text("person_id,received_date\nP1,2024-01-01\n")
    for command, option in (("report", "--cases-out"), ("report", "--xlsx"),
                            ("report", "--csv-dir"), ("validate", "--findings-out"),
                            ("project", "--xlsx")):  # fmt: skip
        dated = ["--as-at", "2025-03-31"] if command != "validate" else []
        result = runner.invoke(app, [command, str(extract), *dated, option, "-"])
        assert result.exit_code == 2, (command, option, result.output)
        assert "only for --json" in result.output
    published = runner.invoke(app, ["project", "--published", str(tmp_path), "--csv", "-"])
    assert published.exit_code == 2 and "only for --json" in published.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_validate_refuses_to_overwrite_or_pollute_its_input_before_reading(tmp_path):
    extract = tmp_path / "requests.csv"
    extract.write_text("person_id,received_date\nP1,2024-01-01\n")
    (tmp_path / "link.csv").symlink_to(extract)
    for output, why in (
        (extract, "is one of the inputs"),
        (tmp_path / "link.csv", "is one of the inputs"),
    ):
        result = runner.invoke(app, ["validate", str(extract), "--findings-out", str(output)])
        assert result.exit_code == 2, result.output
        assert why in result.output
    folder = runner.invoke(app, ["validate", str(tmp_path), "--findings-out",
                                 str(tmp_path / "findings.csv")])  # fmt: skip
    assert folder.exit_code == 2 and "inside the input folder" in folder.output
    assert extract.read_text() == "person_id,received_date\nP1,2024-01-01\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "requests.csv"]


def test_stale_temporary_files_are_cleaned_and_live_ones_left(tmp_path):
    stale = tmp_path / ".board.xlsx.ehcp-abc123.part"
    live = tmp_path / ".cases.csv.ehcp-def456.part"
    theirs = tmp_path / ".something-else.part"
    for path in (stale, live, theirs):
        path.write_text("x")
    two_days_ago = time.time() - 2 * 86400
    os.utime(stale, (two_days_ago, two_days_ago))
    os.utime(theirs, (two_days_ago, two_days_ago))
    assert clean_stale([tmp_path]) == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, theirs.name])


def test_dimension_codes_label_blanks_and_missing_columns(analysis):
    codes, labels = analysis.dimension(analysis.cases, "request_source")
    assert "(not recorded)" in labels  # plans have no request_source column
    assert codes.min() >= 0 and codes.max() == len(labels) - 1
    assert np.bincount(codes).min() > 0  # every label is some case's


def test_a_case_list_that_fails_while_streaming_is_an_output_error(tmp_path):
    from ehcp_timeliness.errors import OutputError

    def full_disk(tables, rules):
        from contextlib import contextmanager

        @contextmanager
        def sink():
            def add(part):
                raise OSError(28, "No space left on device", str(tmp_path / "cases.csv"))

            yield add

        return sink()

    with pytest.raises(OutputError, match="cannot write .*cases.csv: No space left on device"):
        analyse([SAMPLE], RULES, Options(as_at=AS_AT), case_sinks=[full_disk])
