"""Nothing identifying reaches any output, message or log (issue 12).

An extract carries every identifying header the issue found slipping through, plus the usual
ones and free text, each holding planted values; some person_ids are themselves a UPN, an NHS
number, a name or a birth date. Every command runs with every output, with and without a
mapping file that tries to keep the identifying columns, and every byte written (files, the
workbook's XML unzipped, stdout, stderr) is searched for the planted values.
"""

from __future__ import annotations

import html
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from ehcp_timeliness.cli.app import app

runner = CliRunner()

#: header -> the value planted under it (the header names are the issue's, and more).
IDENTIFYING = {
    "Child's Name": "Zebedee Quornthwaite",
    "Child Surname": "Quornthwaite",
    "Forename(s)": "Zebedee Aurelio",
    "Middle Name": "Aurelio",
    "Pupil Name": "Xanthippe Dovecote",
    "CYP Name": "Ottoline Farthingale",
    "Young Person Name": "Percival Gristlethwaite",
    "Name of Child": "Wilhelmina Scrope",
    "Surname": "Dovecote",
    "Child DOB": "17/09/2009",
    "DoB (dd/mm/yyyy)": "18/09/2009",
    "Date of Birth": "2009-09-19",
    "Home Address": "14 Tarnbrook Lane",
    "Address Line 2": "Flat 9 Quillington Court",
    "Street": "Mossgiel Street",
    "Postcode": "ZX9 9QQ",
    "UPN": "K801200034567",
    "ULN": "7391028465",
    "NHS Number": "401 023 2137",
    "Email": "zebedee.q@example.org",
    "Telephone": "07700 900461",
    "Notes": "Mum Philomena Brackenbury phoned; moving to ZX9 9QR",
    "Caseworker comments": "Spoke to Xanthippe at Hollowmere Primary",
}
#: person_ids that are identifiers themselves: refused, never quoted.
BAD_PERSON_IDS = ["K801200034568", "943 476 5919", "Philomena Brackenbury", "17/09/2010"]
#: Every planted value, and pieces of them that must not appear either.
SECRETS = sorted(
    {*IDENTIFYING.values(), *BAD_PERSON_IDS, "Zebedee", "Quornthwaite", "Xanthippe",
     "Dovecote", "Ottoline", "Farthingale", "Gristlethwaite", "Wilhelmina", "Scrope",
     "Philomena", "Brackenbury", "Tarnbrook", "Quillington", "Mossgiel", "Hollowmere",
     "ZX9 9Q", "ZX99Q", "K8012000345", "7391028465", "4010232137", "9434765919",
     "2009-09-1", "09/2009", "2010-09-17", "09/2010", "example.org", "900461"}
)  # fmt: skip

REQUEST_COLUMNS = (
    "person_id,request_id,received_date,request_outcome,request_outcome_date,"
    "assessment_outcome,plan_issue_date,team,Primary Need,Caseworker Code"
)


def _requests_csv() -> str:
    header = REQUEST_COLUMNS + "," + ",".join(f'"{h}"' for h in IDENTIFYING)
    planted = ",".join(f'"{v}"' for v in IDENTIFYING.values())
    rows = [
        f"P{i},R{i},2024-0{1 + i % 9}-0{1 + i % 7},Y,2024-0{1 + i % 9}-2{i % 8},Y,"
        f"{'2024-11-01' if i % 3 else ''},{('North', 'South')[i % 2]},ASD,CW{i % 4},{planted}"
        for i in range(1, 13)
    ]
    rows += [
        f"{pid},B{i},2024-02-0{i + 1},Y,2024-03-01,,,North,ASD,CW1,{planted}"
        for i, pid in enumerate(f'"{p}"' for p in BAD_PERSON_IDS)
    ]
    rows.append(f"P99,R99,not a date,Y,,,,North,ASD,CW1,{planted}")  # a finding on the row
    return "\n".join([header, *rows]) + "\n"


def _plans_xlsx(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Plans"
    ws.append(["person_id", "plan_id", "plan_issue_date", "review_meeting_date", "team",
               *IDENTIFYING])  # fmt: skip
    for i in range(1, 9):
        ws.append([f"P{i}", f"E{i}", "2023-01-10", "2024-01-05", "North",
                   *IDENTIFYING.values()])  # fmt: skip
    ws.append([BAD_PERSON_IDS[0], "E90", "2023-02-01", None, "South", *IDENTIFYING.values()])
    wb.save(path)


def _everything_written(out: Path, results) -> dict[str, str]:
    """Every output as text: files (a workbook's XML unzipped, entities decoded), stdout and
    stderr of every command."""
    texts = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if data[:2] == b"PK":
            with zipfile.ZipFile(path) as z:
                for name in z.namelist():
                    xml = z.read(name).decode("utf-8", "replace")
                    texts[f"{path.name}:{name}"] = html.unescape(xml)
        else:
            texts[path.name] = data.decode("utf-8-sig", "replace")
    for label, result in results.items():
        texts[f"{label} stdout"] = result.stdout
        texts[f"{label} stderr"] = result.stderr
    return texts


@pytest.mark.parametrize("mapping", [False, True], ids=["plain", "mapping-tries-to-keep"])
def test_no_planted_identifier_reaches_any_output(tmp_path, mapping):
    extract = tmp_path / "extract"
    extract.mkdir()
    (extract / "requests.csv").write_text(_requests_csv())
    _plans_xlsx(extract / "plans.xlsx")
    options = []
    if mapping:  # declare the identifying columns as dimensions: the second net still drops them
        declared = ", ".join(f'"{h}"' for h in IDENTIFYING)
        (tmp_path / "m.toml").write_text(f"schema_version = 1\ndimensions = [{declared}]\n")
        options = ["--mapping", str(tmp_path / "m.toml")]
    out = tmp_path / "out"
    runs = {
        "validate table": ["validate", str(extract), "--as-at", "2025-03-31",
                           "--findings-out", str(out / "findings.csv"), *options],
        "validate json": ["validate", str(extract), "--as-at", "2025-03-31", "--format",
                          "json", *options],
        "report": ["report", str(extract), "--as-at", "2025-03-31", "--period", "2024",
                   "--cases-out", str(out / "cases.csv"), "--json", str(out / "report.json"),
                   "--xlsx", str(out / "board.xlsx"), "--csv-dir", str(out / "csv"),
                   "--max-detail-rows", "3", "--by", "team", "--allow-partial", *options],
        "report json": ["report", str(extract), "--as-at", "2025-03-31", "--json", "-",
                        "--by", "caseworker", *options],
        "rules": ["rules"],
    }  # fmt: skip
    results = {label: runner.invoke(app, args) for label, args in runs.items()}
    for label, result in results.items():
        assert result.exit_code == 0, (label, result.output)

    texts = _everything_written(out, results)
    assert {"findings.csv", "cases.csv", "report.json", "board-findings.csv",
            "Breaches.csv"} <= set(texts)  # fmt: skip
    assert any(name.startswith("board.xlsx:xl/worksheets/") for name in texts)
    leaks = [(secret, where) for where, text in texts.items() for secret in SECRETS
             if secret.casefold() in text.casefold()]  # fmt: skip
    assert leaks == []

    # ... while the rows themselves are all accounted for and the findings say what happened.
    findings = texts["findings.csv"]
    for header in IDENTIFYING:
        assert header in findings  # named, so the analyst knows it was dropped
    assert findings.count("person-id-not-pseudonym") == len(BAD_PERSON_IDS) + 1
    assert "looks like a UPN (a letter and 12 digits)" in findings
    assert "Primary Need" not in texts["cases.csv"].splitlines()[0]  # known: canonical name
    assert texts["cases.csv"].splitlines()[0].endswith("team,primary_need,caseworker")


def test_with_a_pseudonym_key_a_column_of_upns_is_read_as_keyed_hashes(tmp_path, monkeypatch):
    """A mapping that reads person_id from a UPN column is refused without a key; with one
    (file or environment), every id is replaced by its HMAC as it is read: no row is lost,
    no UPN reaches an output, and the same key gives the same ids next month."""
    import hashlib
    import hmac

    from ehcp_timeliness.read.pseudonym import ENV, LENGTH

    upns = ["K801200034567", "K801200034568", "A123456789012"]
    rows = [f"{upns[i % 3]},2024-0{1 + i % 9}-0{1 + i % 7},Y,2024-0{1 + i % 9}-2{i % 8}"
            for i in range(9)]  # fmt: skip
    rows[1] = " " + rows[1]  # surrounding spaces do not make another child
    extract = tmp_path / "requests.csv"
    extract.write_text("UPN,received_date,request_outcome,request_outcome_date\n"
                       + "\n".join(rows) + "\n")  # fmt: skip
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\nperson_id = "UPN"\n')
    key = tmp_path / "key"
    key.write_text("a-council-secret-kept-elsewhere\n")
    base = ["report", str(extract), "--mapping", str(mapping), "--as-at", "2025-03-31"]

    refused = runner.invoke(app, ["validate", *base[1:], "--format", "json"])
    assert '"person-id-not-pseudonym"' in refused.stdout and "keyed hashes" in refused.stdout

    def run(name: str, *options: str):
        out = tmp_path / name
        result = runner.invoke(app, [*base, "--cases-out", str(out / "cases.csv"),
                                     "--xlsx", str(out / "board.xlsx"), *options])  # fmt: skip
        assert result.exit_code == 0, result.output
        return out, result

    out, result = run("file", "--pseudonym-key-file", str(key))
    texts = _everything_written(out, {"report": result})
    assert [(u, w) for w, t in texts.items() for u in (*upns, "K8012000345") if u in t] == []
    cases = texts["cases.csv"].splitlines()
    ids = {line.split(",")[1] for line in cases[1:]}
    expect = {hmac.digest(b"a-council-secret-kept-elsewhere", u.encode(), hashlib.sha256)
              .hex()[:LENGTH] for u in upns}  # fmt: skip
    assert ids == expect
    assert sum(line.startswith("decision-6w,") for line in cases) == len(rows)  # none lost

    monkeypatch.setenv(ENV, "a-council-secret-kept-elsewhere")
    again, _ = run("environment")
    assert (again / "cases.csv").read_text() == (out / "cases.csv").read_text()
    monkeypatch.setenv(ENV, "another-council-secret-entirely")
    other, _ = run("other-key")
    assert not ids & {line.split(",")[1] for line in (other / "cases.csv").read_text()
                      .splitlines()[1:]}  # fmt: skip
