"""The commands on a SEN2 return: the as-at date it carries, keys, strictness, hostile files."""

from __future__ import annotations

import json
from datetime import date

from sen2_build import historical, issued, person, to_xml
from typer.testing import CliRunner

from ehcp_timeliness.cli.app import app
from ehcp_timeliness.load import load
from ehcp_timeliness.read.pseudonym import ENV, PseudonymKey

runner = CliRunner()


def _return(write, name="return.xml"):
    return write(name, to_xml([person(1, historical()), person(2, issued())]))


def test_validate_takes_the_as_at_date_from_the_return_and_says_so(write, monkeypatch):
    monkeypatch.setenv(ENV, "a-key-for-the-tests-0123456789")
    path = _return(write)
    result = runner.invoke(app, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["as_at"] == "2025-01-16"
    assert report["as_at_source"] == f"ReferenceDate of {path}"
    assert "as-at date 2025-01-16 (from the ReferenceDate of" in result.stderr
    assert report["returns"][0]["layout"] == 2025
    assert report["returns"][0]["pseudonym_key"] == f"environment {ENV}"
    measures = report["returns"][0]["publish"]["files"][1]["measures"]
    assert measures["plans_issued_den"] == 1
    core = load([path], as_at=None, pseudonym_key_file=None).report()
    assert json.loads(result.stdout) == json.loads(core.model_dump_json())


def test_an_as_at_given_wins(write):
    result = runner.invoke(app, ["validate", str(_return(write)), "--as-at", "2025-03-01",
                                 "--format", "json"])  # fmt: skip
    report = json.loads(result.stdout)
    assert (report["as_at"], report["as_at_source"]) == ("2025-03-01", "--as-at")


def test_validate_table_shows_the_return_and_what_it_will_publish(write, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    result = runner.invoke(app, ["validate", str(_return(write))])
    assert result.exit_code == 0, result.output
    shown = " ".join(result.stdout.split())
    assert "SEN2 return" in shown and "2025 layout" in shown
    assert "What this return will publish" in shown
    assert "plans_issued_within_20_weeks" in shown
    assert "random key for this run" in shown
    assert "pseudonym-key-random" in shown


def test_report_takes_the_as_at_date_from_the_return(write, tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(app, ["report", str(_return(write)), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["as_at"] == "2025-01-16"
    assert "as-at date 2025-01-16" in result.stderr


def test_report_on_an_extract_without_a_date_is_as_at_today_and_says_so(write):
    path = write("requests.csv", "person_id,received_date\nP1,2024-01-02\n")
    result = runner.invoke(app, ["report", str(path), "--json", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["as_at"] == date.today().isoformat()
    assert f"as-at date {date.today():%Y-%m-%d}" in result.stderr and "today" in result.stderr


def test_project_on_an_extract_without_a_date_needs_as_at(write):
    path = write("requests.csv", "person_id,received_date\nP1,2024-01-02\n")
    result = runner.invoke(app, ["project", str(path)])
    assert result.exit_code == 2
    assert "--as-at" in result.output


def test_the_same_key_gives_the_same_ids_run_to_run(write, tmp_path):
    key = tmp_path / "key"
    key.write_text("a-council-secret-kept-elsewhere\n")
    path = _return(write)
    runs = []
    for _ in range(2):
        out = tmp_path / "cases.csv"
        result = runner.invoke(app, ["report", str(path), "--pseudonym-key-file", str(key),
                                     "--cases-out", str(out)])  # fmt: skip
        assert result.exit_code == 0, result.output
        runs.append(out.read_text())
    assert runs[0] == runs[1]
    other = load([path], as_at=None, pseudonym_key=PseudonymKey(b"another key, 16 bytes+", "t"))
    assert not set(other.tables["plans"]["person_id"]) & set(runs[0].split(","))


def test_a_bad_key_file_exits_3(write, tmp_path):
    (tmp_path / "key").write_text("short")
    result = runner.invoke(app, ["validate", str(_return(write)), "--pseudonym-key-file",
                                 str(tmp_path / "key")])  # fmt: skip
    assert result.exit_code == 3
    assert "at least 16" in result.stderr


def test_strict_stops_on_a_pre_submission_error(write):
    p = person(1, historical())
    p["UPN"] = "B" + p["UPN"][1:] if p["UPN"][0] != "B" else "C" + p["UPN"][1:]
    path = write("r.xml", to_xml([p]))
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0
    result = runner.invoke(app, ["validate", str(path), "--strict"])
    assert result.exit_code == 1
    assert "SEN2-001" in result.stdout and p["UPN"] not in result.stdout


def test_a_hostile_file_exits_3_with_one_line(write):
    text = to_xml([person(1, historical())], prolog='<!DOCTYPE Message [<!ENTITY a "b">]>\n')
    result = runner.invoke(app, ["validate", str(write("h.xml", text))])
    assert result.exit_code == 3
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "DOCTYPE" in errors[0]


def test_a_return_beside_a_csv_extract(write):
    extract = write("requests.csv", "person_id,received_date\nP9,2024-03-01\n")
    result = load([_return(write), extract], as_at=date(2025, 1, 16),
                  pseudonym_key=PseudonymKey(b"k" * 16, "t"))  # fmt: skip
    assert sorted(result.tables["requests"]["_file"].astype(str).str[-3:]) == ["csv", "xml"]
