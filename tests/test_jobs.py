"""Unattended runs: `ehcp run JOB.toml`, its job file, exit codes, manifest and lock."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ehcp_timeliness.cli.app import app
from ehcp_timeliness.jobs import JobError, date_in_name, load_job, plan
from ehcp_timeliness.write.atomic import sha256_file
from ehcp_timeliness.write.lock import Locked, RunLock

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
TODAY = date(2026, 12, 1)

JOB = """
schema_version = 1
council = "Testshire"
inputs = ["data/requests.csv", "data/plans.csv"]
as_at = 2025-03-31
period = "2024"
max_detail_rows = 50
[outputs]
board_pack = "out/{as_at:%Y-%m}/board.xlsx"
cases_csv = "out/{as_at:%Y-%m}/cases.csv"
json = "out/{as_at:%Y-%m}/report.json"
[fail]
max_rejected_share = 0.02
required_rules = ["plan-20w"]
"""


@pytest.fixture
def job(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    for name in ("requests.csv", "plans.csv"):
        shutil.copy(SAMPLE / name, tmp_path / "data" / name)
    path = tmp_path / "job.toml"
    path.write_text(JOB)
    return path


def out(job: Path, name: str) -> Path:
    return job.parent / "out" / "2025-03" / name


def test_the_shipped_example_job_checks_and_runs(tmp_path):
    shutil.copytree(SAMPLE, tmp_path / "sample_data", ignore=shutil.ignore_patterns("out"))
    example = tmp_path / "sample_data" / "job-example.toml"
    check = runner.invoke(app, ["run", "--check", str(example)])
    assert check.exit_code == 0, check.output
    assert "as at: 2025-03-31 (from the job file)" in check.output
    assert not (tmp_path / "sample_data" / "out").exists()  # --check writes nothing
    result = runner.invoke(app, ["run", str(example)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "sample_data" / "out" / "2025-03").iterdir())
    assert written == [".manifest.json.lock", "board-pack-breaches.csv", "board-pack.xlsx",
                       "cases.csv", "manifest.json", "report.json"]  # fmt: skip


def test_job_json_is_byte_identical_to_report_json(job, tmp_path):
    assert runner.invoke(app, ["run", str(job)]).exit_code == 0
    report = tmp_path / "report.json"
    args = ["report", str(job.parent / "data" / "requests.csv"),
            str(job.parent / "data" / "plans.csv"), "--as-at", "2025-03-31", "--period",
            "2024", "--json", str(report)]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    assert out(job, "report.json").read_bytes() == report.read_bytes()


def test_manifest_records_inputs_outputs_and_stages(job):
    assert runner.invoke(app, ["run", str(job)]).exit_code == 0
    manifest = json.loads(out(job, "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["problems"] == []
    assert manifest["as_at"] == "2025-03-31" and manifest["as_at_source"] == "the job file"
    inputs = {Path(i["path"]).name: i for i in manifest["inputs"]}
    assert inputs["requests.csv"]["sha256"] == sha256_file(job.parent / "data" / "requests.csv")
    assert inputs["plans.csv"]["tables"][0]["rows_read"] == 23_303
    names = [Path(o["path"]).name for o in manifest["outputs"]]
    assert names[0] == "cases.csv" and {"board.xlsx", "board-breaches.csv", "report.json"} <= set(
        names
    )
    for entry in manifest["outputs"]:
        assert entry["sha256"] == sha256_file(Path(entry["path"]))
    assert [s["name"] for s in manifest["stages"]] == [
        "read", "validate", "evaluate", "summarise", "case list", "write",
    ]  # fmt: skip


def test_rerun_gives_the_same_contents(job):
    assert runner.invoke(app, ["run", str(job)]).exit_code == 0
    first = {n: out(job, n).read_bytes() for n in ("cases.csv", "report.json")}
    cells = [[c.value for c in row] for ws in load_workbook(out(job, "board.xlsx"))
             for row in ws.iter_rows()]  # fmt: skip
    assert runner.invoke(app, ["run", str(job)]).exit_code == 0
    assert {n: out(job, n).read_bytes() for n in first} == first
    again = [[c.value for c in row] for ws in load_workbook(out(job, "board.xlsx"))
             for row in ws.iter_rows()]  # fmt: skip
    assert again == cells


def test_a_crossed_threshold_exits_1_with_outputs_written_and_marked(job):
    requests = job.parent / "data" / "requests.csv"
    header, *rows = requests.read_text().splitlines()
    received = header.split(",").index("received_date")
    bad = [",".join("not a date" if c == received and i % 5 == 0 else v
                    for c, v in enumerate(row.split(",")))
           for i, row in enumerate(rows)]  # fmt: skip  # 1,200 of 29,303 rows: 4.1%
    requests.write_text("\n".join([header, *bad]) + "\n")
    result = runner.invoke(app, ["run", str(job)])
    assert result.exit_code == 1, result.output
    manifest = json.loads(out(job, "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert [p["code"] for p in manifest["problems"]] == ["rejected-share"]
    first = load_workbook(out(job, "board.xlsx")).worksheets[0]
    warning = " ".join(str(c.value) for c in first["A"][1:4])  # wrapped over a few lines
    assert warning.startswith("WARNING: this run crossed a failure threshold")
    assert "more than the 2% allowed" in warning
    assert first["A2"].font.b and first["A2"].font.color.rgb.endswith("9C0006")


def test_a_required_rule_without_cases_fails_the_run(job):
    text = job.read_text().replace('required_rules = ["plan-20w"]',
                                   'required_rules = ["plan-20w", "phase-transfer"]')  # fmt: skip
    job.write_text(text)
    plans = job.parent / "data" / "plans.csv"
    header, *rows = plans.read_text().splitlines()
    names = header.split(",")  # phase-transfer cases come from the due date or the move date
    blank = {names.index("phase_transfer_due_date"), names.index("phase_transfer_date")}
    rows = [",".join("" if i in blank else v for i, v in enumerate(r.split(","))) for r in rows]
    plans.write_text("\n".join([header, *rows]) + "\n")
    result = runner.invoke(app, ["run", str(job)])
    assert result.exit_code == 1
    manifest = json.loads(out(job, "manifest.json").read_text())
    assert manifest["problems"][0]["code"] == "rule-without-data"
    assert "phase-transfer" in manifest["problems"][0]["message"]


def test_nothing_usable_exits_3_and_writes_nothing(job):
    for name in ("requests.csv", "plans.csv"):
        path = job.parent / "data" / name
        header, *rows = path.read_text().splitlines()
        path.write_text(header.replace("person_id", "child") + "\n" + "\n".join(rows) + "\n")
    result = runner.invoke(app, ["run", str(job)])
    assert result.exit_code == 3, result.output
    assert "no usable rows in" in result.output and "person_id" in result.output
    assert not (job.parent / "out" / "2025-03" / "board.xlsx").exists()
    assert not [p for p in (job.parent / "out" / "2025-03").iterdir() if p.suffix != ".lock"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("council =", "counsil ="), "counsil: unknown key"),
        (lambda t: t.replace("schema_version = 1", "schema_version = 2"), "schema_version 2"),
        (lambda t: t.replace("[outputs]\n", '[outputs]\nboard_pack = "a.xlsx"\n'), "toml"),
        (lambda t: t.replace("{as_at:%Y-%m}", "{month}"), "cannot fill the template"),
        (lambda t: t.replace("data/plans.csv", "data/*-nothing.csv"), "no extract matches"),
        (
            lambda t: t.replace("out/{as_at:%Y-%m}/cases.csv", "data/requests.csv"),
            "is one of the inputs",
        ),
        (lambda t: t.replace('period = "2024"', 'period = "last year"'), "is not a period"),
        (lambda t: t.replace('["plan-20w"]', '["plan-21w"]'), "plan-21w"),
        # the job's limits are report's and project's: --due-within is at most 104 weeks
        (lambda t: t.replace("period = ", "due_within = 105\nperiod = "), "due_within"),
        (lambda t: t + "[projection]\ndraws = 5001\n", "draws"),
        (
            lambda t: t.replace("as_at = 2025-03-31", 'as_at = 2025-03-31\nby = "nope"'),
            "'nope' is not a column",
        ),
    ],
)
def test_a_bad_job_exits_3_naming_the_key(job, edit, message):
    job.write_text(edit(job.read_text()))
    result = runner.invoke(app, ["run", str(job)])
    assert result.exit_code == 3, result.output
    assert message in result.output.replace("\n", " ")


def test_as_at_from_the_file_name_and_newest_input(tmp_path):
    for day in ("2025-01-31", "2025-03-31", "2025-02-28"):
        shutil.copy(SAMPLE / "requests.csv", tmp_path / f"requests-{day}.csv")
    (tmp_path / "job.toml").write_text(
        'schema_version = 1\ninputs = [{ path = "requests-*.csv", select = "newest" }]\n'
        'as_at = "file-name"\n[outputs]\njson = "out/{as_at:%Y%m%d}.json"\n'
    )
    resolved = plan(load_job(tmp_path / "job.toml"), tmp_path / "job.toml", today=TODAY)
    assert [p.name for p in resolved.inputs] == ["requests-2025-03-31.csv"]
    assert resolved.as_at == date(2025, 3, 31)
    assert resolved.outputs["json"] == tmp_path / "out" / "20250331.json"
    assert resolved.manifest == tmp_path / "out" / "manifest.json"


def test_as_at_today_and_a_name_without_a_date(tmp_path):
    shutil.copy(SAMPLE / "requests.csv", tmp_path / "requests.csv")
    text = (
        'schema_version = 1\ninputs = ["requests.csv"]\nas_at = "{}"\n[outputs]\njson = "r.json"\n'
    )
    (tmp_path / "job.toml").write_text(text.format("today"))
    resolved = plan(load_job(tmp_path / "job.toml"), tmp_path / "job.toml", today=TODAY)
    assert (resolved.as_at, resolved.as_at_source) == (TODAY, "today's date")
    (tmp_path / "job.toml").write_text(text.format("file-name"))
    with pytest.raises(JobError, match="no input file's name holds a date"):
        plan(load_job(tmp_path / "job.toml"), tmp_path / "job.toml", today=TODAY)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("casework-2025-03-31.xlsx", date(2025, 3, 31)),
        ("SEN2_20250116.xml", date(2025, 1, 16)),
        ("export 31-03-2025.csv", date(2025, 3, 31)),
        ("export 31.03.2025.csv", date(2025, 3, 31)),
        ("export-2025-02-30-then-2025-03-01.csv", date(2025, 3, 1)),  # no 30 February
        ("plans.csv", None),
        ("id-123456789.csv", None),
    ],
)
def test_dates_in_file_names(name, expected):
    assert date_in_name(name) == expected


def test_a_second_run_is_refused_while_the_first_holds_the_lock(job):
    folder = job.parent / "out" / "2025-03"
    with RunLock(folder / ".manifest.json.lock"):
        result = runner.invoke(app, ["run", str(job)])
        assert result.exit_code == 4, result.output
        assert "another run is writing these outputs" in result.output
        with pytest.raises(Locked), RunLock(folder / ".manifest.json.lock"):
            pass
    assert runner.invoke(app, ["run", str(job)]).exit_code == 0  # released


def test_stale_temporary_files_of_a_killed_run_are_cleared(job):
    folder = job.parent / "out" / "2025-03"
    folder.mkdir(parents=True)
    stale = folder / ".board.xlsx.ehcp-deadbeef.part"
    stale.write_text("debris")
    old = time.time() - 3 * 86400
    os.utime(stale, (old, old))
    assert runner.invoke(app, ["run", str(job)]).exit_code == 0
    assert not stale.exists()


def test_json_log_lines_one_per_stage_and_no_colour(job):
    done = subprocess.run(
        [sys.executable, "-m", "ehcp_timeliness", "run", str(job), "--log-format", "json"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    stages = [line["stage"] for line in lines if "stage" in line]
    assert stages == ["read", "validate", "evaluate", "summarise", "case list", "write"]
    assert all(line["level"] == "info" for line in lines)
    assert "\x1b[" not in done.stderr and done.stdout == ""


def test_errors_are_json_lines_in_json_mode(job):
    job.write_text(job.read_text().replace("council =", "counsil ="))
    done = subprocess.run(
        [sys.executable, "-m", "ehcp_timeliness", "run", str(job), "--log-format", "json"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 3
    (line,) = [json.loads(x) for x in done.stderr.splitlines()]
    assert line["level"] == "error" and "counsil: unknown key" in line["message"]


def test_a_job_compares_with_published_figures(job, shared):
    text = job.read_text().replace("[fail]", 'benchmark = "out/{as_at:%Y-%m}/benchmark.json"\n'
                                             "[fail]")  # fmt: skip
    text += f'[published]\nfolder = "{shared / "dfe-ehcp-2025"}"\nla = "937"\n'
    job.write_text(text)
    result = runner.invoke(app, ["run", str(job)])
    assert result.exit_code == 0, result.output
    bench = json.loads(out(job, "benchmark.json").read_text())
    assert bench["council"]["name"] == "Warwickshire"
    assert "Benchmark" in load_workbook(out(job, "board.xlsx")).sheetnames
    manifest = json.loads(out(job, "manifest.json").read_text())
    assert "benchmark" in [s["name"] for s in manifest["stages"]]


def test_a_benchmark_output_needs_published(job):
    job.write_text(job.read_text().replace("[fail]", 'benchmark = "b.json"\n[fail]'))
    result = runner.invoke(app, ["run", str(job)])
    assert result.exit_code == 3 and "needs a [published] section" in result.output


def test_a_job_can_write_the_projections_too(job):
    text = job.read_text().replace(
        "[fail]", 'projections = "out/{as_at:%Y-%m}/projections.json"\n'
        "[projection]\nhorizon_weeks = 13\ndraws = 40\n[fail]",
    )  # fmt: skip
    job.write_text(text)
    result = runner.invoke(app, ["run", str(job)])
    assert result.exit_code == 0, result.output
    projections = json.loads(out(job, "projections.json").read_text())
    assert projections["horizon_weeks"] == 13 and projections["draws"] == 40
    direct = runner.invoke(app, ["project", str(job.parent / "data"), "--as-at", "2025-03-31",
                                 "--horizon", "13", "--draws", "40", "--json", "-"])  # fmt: skip
    assert json.loads(direct.stdout) == projections  # the same core, the same result
    assert "Projections" in load_workbook(out(job, "board.xlsx"), read_only=True).sheetnames
    manifest = json.loads(out(job, "manifest.json").read_text())
    assert any(o["path"].endswith("projections.json") for o in manifest["outputs"])


def test_a_job_hashes_person_ids_with_its_pseudonym_key_file(job):
    """A job's key file does what --pseudonym-key-file does; --check refuses a short key."""
    key = job.parent / "secret" / "key"
    key.parent.mkdir()
    key.write_text("short\n")
    keyed = 'council = "Testshire"\npseudonym_key_file = "secret/key"'
    job.write_text(JOB.replace('council = "Testshire"', keyed))
    check = runner.invoke(app, ["run", "--check", str(job)])
    assert check.exit_code == 3 and "at least 16" in check.output
    key.write_text("a-council-secret-kept-elsewhere\n")
    check = runner.invoke(app, ["run", "--check", str(job)])
    assert check.exit_code == 0 and f"pseudonym key file: {key}" in check.output
    assert runner.invoke(app, ["run", str(job)]).exit_code == 0
    ids = {line.split(",")[1] for line in out(job, "cases.csv").read_text().splitlines()[1:]}
    report = job.parent / "by-hand.csv"
    args = ["report", str(job.parent / "data"), "--as-at", "2025-03-31", "--period", "2024",
            "--pseudonym-key-file", str(key), "--cases-out", str(report)]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    assert report.read_bytes() == out(job, "cases.csv").read_bytes()
    assert len(ids) > 1000 and all(len(i) == 16 for i in ids)
    own = {line.split(",")[0] for line in (SAMPLE / "requests.csv").read_text().splitlines()}
    assert not ids & own  # none of the sample's own ids


def test_inputs_whose_names_hold_brackets_are_hashed_and_named_whole(job):
    """``requests [v2].csv`` is a file, not a sheet of ``requests ``: the manifest hashes it."""
    from ehcp_timeliness.read.paths import split_sheet

    assert split_sheet("book [v2].xlsx[Requests]") == ("book [v2].xlsx", "Requests")
    assert split_sheet("requests [v2].csv") == ("requests [v2].csv", None)
    assert split_sheet("a/b.xlsx[Plans]") == ("a/b.xlsx", "Plans")
    data = job.parent / "data"
    (data / "requests.csv").rename(data / "requests [v2].csv")
    job.write_text(JOB.replace('"data/requests.csv", "data/plans.csv"', '"data"'))  # not a glob
    result = runner.invoke(app, ["run", str(job)])
    assert result.exit_code == 0, result.output
    manifest = json.loads(out(job, "manifest.json").read_text())
    inputs = {Path(i["path"]).name: i for i in manifest["inputs"]}
    assert inputs["requests [v2].csv"]["sha256"] == sha256_file(data / "requests [v2].csv")
    assert inputs["requests [v2].csv"]["tables"][0]["sheet"] is None
    names = [r[0].value for r in load_workbook(out(job, "board.xlsx"))["Inputs"].iter_rows()]
    assert "requests [v2].csv" in names
