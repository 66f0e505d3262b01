from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ehcp_timeliness import __version__
from ehcp_timeliness.cli.app import app, main
from ehcp_timeliness.load import load

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
BAD = (
    "person_id,received_date,request_outcome\n"
    "P1,2024-01-05,Y\n"
    "P2,31/02/2024,Y\n"
    "P3,2024-02-01,maybe\n"
)


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_module_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "ehcp_timeliness", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and __version__ in done.stdout


def test_json_is_the_core_report(write):
    path = write("requests.csv", BAD)
    result = runner.invoke(
        app, ["validate", str(path), "--as-at", "2025-01-01", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    core = load([path], as_at=date(2025, 1, 1)).report()
    assert json.loads(result.stdout) == json.loads(core.model_dump_json())
    assert json.loads(result.stdout)["findings_by_code"] == {"invalid-date": 1, "unknown-code": 1}


def test_findings_out_and_strict(write, tmp_path):
    path = write("requests.csv", BAD)
    out = tmp_path / "out" / "findings.csv"
    args = ["validate", str(path), "--as-at", "2025-01-01", "--findings-out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, [*args, "--strict"]).exit_code == 1
    found = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert list(found.columns) == [
        "file",
        "table",
        "row",
        "column",
        "value",
        "code",
        "severity",
        "message",
    ]
    assert found[["row", "column", "value", "code"]].values.tolist() == [
        ["3", "received_date", "31/02/2024", "invalid-date"],
        ["4", "request_outcome", "maybe", "unknown-code"],
    ]
    assert [p.name for p in out.parent.iterdir()] == ["findings.csv"]  # no temp file left


def test_strict_passes_clean_input():
    result = runner.invoke(app, ["validate", str(SAMPLE), "--as-at", "2025-03-31", "--strict"])
    assert result.exit_code == 0, result.output
    assert "6,000" in result.stdout


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", "hello", "not a CSV, XLSX or SEN2 XML file"),
        ("other.csv", "a,b\n1,2\n", "no recognisable columns"),
        ("fake.xlsx", "not a zip", "not a readable XLSX workbook"),
    ],
)
def test_unreadable_input_exits_3(write, name, content, message):
    path = write(name, content)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 3
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_missing_file_exits_3(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.csv")])
    assert result.exit_code == 3 and "no such file" in result.stderr


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[columns]\nrecieved_date = 'X'\n", "unknown canonical column(s): recieved_date"),
        ("colums = {}\n", "colums: unknown key"),
        ("[values.request_outcome]\n'Agreed' = 'Q'\n", "not one of A, H, N, W, Y"),
        ("[columns\n", "not valid TOML"),
        ("schema_version = 2\n", "schema_version 2 is not supported"),
    ],
)
def test_malformed_mapping_exits_3(write, toml, message):
    data = write("requests.csv", BAD)
    mapping = write("mapping.toml", toml)
    result = runner.invoke(app, ["validate", str(data), "--mapping", str(mapping)])
    assert result.exit_code == 3, result.output
    assert message in result.stderr
    assert str(mapping) in result.stderr


def test_bad_as_at_is_a_usage_error(write):
    path = write("requests.csv", BAD)
    for bad in ("2025-02-30", "31-03-2025", "2025/03/31", "03/31/2025", "tomorrow", "45747"):
        result = runner.invoke(app, ["validate", str(path), "--as-at", bad])
        assert result.exit_code == 2, bad
        assert "give 2025-03-31 or 31/03/2025" in result.output, bad


def test_as_at_takes_a_date_day_first_as_extracts_write_it(write):
    path = write("requests.csv", BAD)
    for given in ("01/02/2025", "1/2/2025", "2025-02-01"):
        result = runner.invoke(app, ["validate", str(path), "--as-at", given, "--format", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["as_at"] == "2025-02-01", given


def test_sample_command_is_deterministic(tmp_path):
    for d in ("a", "b"):
        args = ["sample", str(tmp_path / d), "--requests", "300", "--plans", "200", "--seed", "7"]
        assert runner.invoke(app, args).exit_code == 0
    for name in ("requests.csv", "plans.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_an_unreadable_file_exits_3_in_one_line(write, monkeypatch):
    path = write("requests.csv", "person_id,received_date\nP1,2024-01-02\n")

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = runner.invoke(app, ["validate", str(path), "--as-at", "2025-03-31"])
    assert result.exit_code == 3
    assert f"cannot read {path}: Permission denied" in result.output
    assert "Traceback" not in result.output


def test_an_output_that_cannot_be_written_exits_4_in_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    done = subprocess.run(
        [sys.executable, "-m", "ehcp_timeliness", "report", str(SAMPLE), "--as-at",
         "2025-03-31", "--cases-out", str(blocker / "cases.csv")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 4, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot write") and "half-written" in last
    assert "Traceback" not in done.stderr and not done.stdout


def test_an_internal_error_names_its_place_but_never_its_message(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ValueError("could not read 'Smith, Jane'")  # a message that quotes a value

    monkeypatch.setattr("ehcp_timeliness.analysis.build_report", broken)
    monkeypatch.setattr(sys, "argv", ["ehcp", "report", str(SAMPLE), "--as-at", "2025-03-31"])
    monkeypatch.delenv("EHCP_TRACEBACK", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 5
    err = capsys.readouterr().err
    assert "internal error: ValueError at analysis.py:" in err  # the line of ours it passed
    assert "Smith" not in err and "Traceback" not in err


def test_a_command_imports_only_what_it_needs():
    """``ehcp validate`` builds only its own command, so it starts without importing the
    analysis, the projections or the board pack; ``--help`` and ``app`` have every command."""
    probe = (
        "import sys\n"
        "sys.argv = ['ehcp', 'validate', '--help']\n"
        "from ehcp_timeliness.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('ehcp_timeliness.analysis', 'ehcp_timeliness.project',\n"
        "         'ehcp_timeliness.write.pack')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    names = {c.name for c in app.registered_commands}
    assert names == {"validate", "report", "project", "rules", "sample", "run", "benchmark"}
