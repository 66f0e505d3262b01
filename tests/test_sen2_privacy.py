"""No identifier of a child reaches any output: every file a run writes, unzipped where it is
a workbook, and everything it prints, are searched for the names, postcodes, UPNs, ULNs and
birth dates in its input."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from sen2_build import historical, issued, person, refused, write_blade, write_workbook
from typer.testing import CliRunner

from ehcp_timeliness.cli.app import app

runner = CliRunner()
IDENTIFYING = ("Surname", "Forename", "PostCode", "UPN", "UniqueLearnerNumber", "PersonBirthDate")


def _forms(value: str) -> set[str]:
    """A value as an output could carry it: as written, without spaces, and a birth date also
    as a day-first date and as the Excel serial a workbook stores."""
    forms = {value, value.replace(" ", "")}
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return forms
    serial = (day - date(1899, 12, 30)).days
    return forms | {f"{day:%d/%m/%Y}", f">{serial}<", f">{serial}.0<"}


def planted_in_xml(paths: list[Path]) -> set[str]:
    values: set[str] = set()
    for path in paths:
        for el in etree.parse(str(path)).iter(*IDENTIFYING):
            if el.text and el.text.strip():
                values |= _forms(el.text.strip())
    return values


def everything_written(folder: Path, printed: str) -> dict[str, str]:
    out = {"stdout+stderr": printed}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                for name in z.namelist():
                    out[f"{path.name}:{name}"] = z.read(name).decode("utf-8", "replace")
        else:
            out[path.name] = path.read_text(encoding="utf-8-sig", errors="replace")
    return out


def run_everything(inputs: list[str], out: Path, as_at: list[str] | None = None) -> str:
    """validate (JSON and findings CSV) and report (JSON, cases, pack and its CSVs)."""
    as_at = as_at or []
    printed = []
    for args in (
        ["validate", *inputs, *as_at, "--format", "json", "--findings-out",
         str(out / "findings.csv")],
        ["validate", *inputs, *as_at],
        ["report", *inputs, *as_at, "--json", str(out / "report.json"), "--cases-out",
         str(out / "cases.csv"), "--xlsx", str(out / "pack.xlsx"), "--csv-dir",
         str(out / "pack-csv"), "--by", "primary_need", "--max-detail-rows", "1",
         "--allow-partial"],
    ):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        printed.append(result.stdout + result.stderr)
    return "\n".join(printed)


def assert_nothing_planted(outputs: dict[str, str], planted: set[str]) -> None:
    assert len(outputs) > 20  # validate, report, cases, pack parts, pack CSVs, capped lists
    leaks = [(name, value) for name, text in outputs.items() for value in planted
             if value in text]  # fmt: skip
    assert not leaks, leaks


def test_no_identifier_of_the_public_samples_reaches_any_output(shared, tmp_path):
    samples = sorted((shared / "sen2-samples").glob("*.xml"))
    planted = planted_in_xml(samples)
    assert {"TestFamilyName1", "AA11AA", "X1234567898765", "1234567890", "2002-01-01"} <= planted
    printed = run_everything([str(p) for p in samples], tmp_path)
    outputs = everything_written(tmp_path, printed)
    assert any("SEN2-002" in text for text in outputs.values())  # UPN findings were written
    assert_nothing_planted(outputs, planted)


PLANTED = {"Surname": "Zqxsurname", "Forename": "Zqxforename", "PostCode": "QX9 9XQ",
           "PersonBirthDate": "2011-07-23"}  # fmt: skip


def _persons() -> list[dict]:
    first = person(1, issued(received="2024-02-01", decided="2024-03-10", start="2024-06-01"),
                   **PLANTED)  # fmt: skip
    bad_upn = person(2, refused("2024-03-01", "2024-04-01"), UPN="A12345678901X")
    return [first, bad_upn, person(3, historical())]


@pytest.mark.parametrize("form", ["blade", "workbook"])
def test_no_identifier_of_an_export_reaches_any_output(tmp_path, form):
    persons = _persons()
    planted = set()
    for p in persons:
        for key in IDENTIFYING:
            if key in p:
                planted |= _forms(p[key])
    source = tmp_path / "in"
    if form == "blade":
        inputs = [str(write_blade(source, persons))]
    else:
        source.mkdir()
        inputs = [str(write_workbook(source / "pre.xlsx", persons))]
    out = tmp_path / "out"
    out.mkdir()
    printed = run_everything(inputs, out, ["--as-at", "2025-01-16"])
    outputs = everything_written(out, printed)
    assert_nothing_planted(outputs, planted)
