"""Small SEN2 returns for tests, built from element lists: never a real return.

A record is a dict: a str value is a leaf element, a dict a nested record, a list of dicts a
repeated record; keys keep their order, so layouts that differ only in order can be built.
The same records can be written as XML, as a COLLECT CSV export or as a pre-submission
workbook, so the three readers can be held to the same answer.
"""

from __future__ import annotations

import csv
from pathlib import Path
from xml.sax.saxutils import escape

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn(digits: str) -> str:
    """A UPN with a correct check letter for 12 characters (11 digits and a digit/letter)."""
    assert len(digits) == 12
    values = [int(c) if c.isdigit() else UPN_LETTERS.index(c) for c in digits]
    return UPN_LETTERS[sum(v * w for v, w in zip(values, range(2, 14), strict=True)) % 23] + digits


def uln(first_nine: str) -> str:
    """A ULN with a correct check digit. Nine digits whose weighted sum leaves no remainder
    have no valid check digit; then the ninth digit is moved on until they do."""
    while True:
        remainder = sum(int(c) * w for c, w in zip(first_nine, range(10, 1, -1), strict=True)) % 11
        if remainder:
            return first_nine + str(10 - remainder)
        first_nine = first_nine[:-1] + str((int(first_nine[-1]) + 1) % 10)


def header(year: str = "2025", reference: str = "2025-01-16", lea: str = "937",
           dsco: bool = True) -> dict:  # fmt: skip
    source = {
        "SourceLevel": "L",
        "LEA": lea,
        "SoftwareCode": "tests",
        "Release": "1",
        "SerialNo": "001",
        "DateTime": "2025-01-20T09:00:00",
        "DMO": "Y",
        "DCO": "Y",
    }
    if dsco:
        source["DSCO"] = "Y"
    return {"CollectionDetails": {"Collection": "SEN2", "Year": year, "ReferenceDate": reference},
            "Source": source}  # fmt: skip


def person(n: int, *requests: dict, sex: str = "F", birth: str = "2012-05-10", **extra) -> dict:
    """A person with made-up identifiers (``Surname{n}``...) and a valid UPN and ULN."""
    out = {
        "Surname": f"Surname{n}",
        "Forename": f"Forename{n}",
        "PersonBirthDate": birth,
        "Sex": sex,
        "Ethnicity": "WBRI",
        "PostCode": f"ZZ{n} 9ZZ",
        "UPN": upn(f"937{n:09d}"),
        "UniqueLearnerNumber": uln(f"{(n % 8) + 1}0000000{(n % 7) + 2}"),
    }
    out.update(extra)
    out["Requests"] = list(requests)
    return out


def plan_detail(urn: str = "123456", rank: str = "1") -> dict:
    return {"URN": urn, "PlacementRank": rank, "SENunitIndicator": "0",
            "ResourcedProvisionIndicator": "0"}  # fmt: skip


def active(meeting: str | None = "2024-06-10", decision: str | None = "2024-06-20",
           outcome: str | None = "M", need: str = "ASD", **extra) -> dict:  # fmt: skip
    out: dict = {"PlacementDetail": [plan_detail() | {"EntryDate": "2023-09-01"}],
                 "SENneed": [{"SENtype": need, "SENtypeRank": "1"}]}  # fmt: skip
    if meeting:
        out["ReviewMeeting"] = meeting
    if decision:
        out["LastReview"] = decision
    if outcome:
        out["ReviewOutcome"] = outcome
    out.update(extra)
    return out


def issued(received: str = "2024-02-01", decided: str = "2024-03-10", start: str = "2024-06-01",
           week20: str = "0", source: str | None = "2", plan_extra: dict | None = None,
           active_plans: dict | None = None) -> dict:  # fmt: skip
    """A request assessed and issued as a plan, with active-plan details unless ceased."""
    out: dict = {"ReceivedDate": received}
    if source:
        out["RequestSource"] = source
    out |= {"RYA": "0", "RequestOutcomeDate": decided, "RequestOutcome": "Y",
            "RequestMediation": "0", "RequestTribunal": "0"}  # fmt: skip
    named = {"StartDate": start, "PlanDetail": [plan_detail()], "PB": "0"} | (plan_extra or {})
    out["Assessment"] = {"AssessmentOutcome": "Y", "AssessmentOutcomeDate": start,
                         "Week20": week20, "NamedPlan": named}  # fmt: skip
    if active_plans is not None:
        out["ActivePlans"] = active_plans
    elif "CeaseDate" not in named:
        out["ActivePlans"] = active(meeting=None, decision=None, outcome=None)
    return out


def refused(received: str, decided: str, source: str | None = "1") -> dict:
    out: dict = {"ReceivedDate": received}
    if source:
        out["RequestSource"] = source
    return out | {"RYA": "0", "RequestOutcomeDate": decided, "RequestOutcome": "N",
                  "RequestMediation": "0", "RequestTribunal": "0"}  # fmt: skip


def historical(start: str = "2019-03-01", transfer_la: str | None = None,
               review: dict | None = None) -> dict:  # fmt: skip
    """A plan decided before the collection period (or transferred in): outcome H, no
    received date, its latest review in ActivePlans."""
    act = review if review is not None else active()
    if transfer_la:
        act = {"TransferLA": transfer_la} | act
    return {"RequestOutcome": "H",
            "Assessment": {"AssessmentOutcome": "H",
                           "NamedPlan": {"StartDate": start, "PlanDetail": [plan_detail()]}},
            "ActivePlans": act}  # fmt: skip


# --- Writers ------------------------------------------------------------------------------


def _xml(tag: str, value, indent: str) -> str:
    if isinstance(value, list):
        return "".join(_xml(tag, item, indent) for item in value)
    if isinstance(value, dict):
        inner = "".join(_xml(k, v, indent + " ") for k, v in value.items())
        return f"{indent}<{tag}>\n{inner}{indent}</{tag}>\n"
    return f"{indent}<{tag}>{escape(str(value))}</{tag}>\n"


def to_xml(persons: list[dict], head: dict | None = None, prolog: str = "") -> str:
    head = header() if head is None else head
    body = "".join(_xml("Person", p, "  ") for p in persons)
    return (f"<?xml version='1.0' encoding='utf-8'?>\n{prolog}<Message>\n"
            f"{_xml('Header', head, ' ')} <Persons>\n{body} </Persons>\n</Message>\n")  # fmt: skip


RECORDS = {
    # record in the exports -> (key in its parent record, parent record)
    "requests": ("Requests", "person"),
    "assessment": ("Assessment", "requests"),
    "namedplan": ("NamedPlan", "assessment"),
    "plandetail": ("PlanDetail", "namedplan"),
    "activeplans": ("ActivePlans", "requests"),
    "placementdetail": ("PlacementDetail", "activeplans"),
    "senneed": ("SENneed", "activeplans"),
}


def to_linked(persons: list[dict]) -> dict[str, list[dict]]:
    """The records as linked rows, as COLLECT exports them: lower-case element names, each
    row with its own ``{record}tableid`` and its parent's."""
    rows: dict[str, list[dict]] = {"person": []}
    for name in RECORDS:
        rows[name] = []
    counter = iter(range(1000, 10**6))

    def walk(record: str, values: dict, parent_ids: dict[str, str]) -> None:
        own = str(next(counter))
        row = {f"{record}tableid": own, **parent_ids}
        children = []
        for key, value in values.items():
            child = next((n for n, (k, p) in RECORDS.items() if k == key and p == record), None)
            if child is not None:
                for item in value if isinstance(value, list) else [value]:
                    children.append((child, item))
            else:
                row[key.lower()] = value
        rows[record].append(row)
        for child, item in children:
            walk(child, item, {**parent_ids, f"{record}tableid": own})

    for p in persons:
        walk("person", p, {})
    return rows


def _blade_date(text: str) -> str:
    """2024-02-01 -> 2024-Feb-01 00:00:00, as COLLECT's CSV export writes dates."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                  "Dec")  # fmt: skip
        return f"{text[:4]}-{months[int(text[5:7]) - 1]}-{text[8:]} 00:00:00"
    return text


BLADE_LINKS = {"requests": "persontableid", "assessment": "requeststableid",
               "namedplan": "assessmenttableid", "plandetail": "namedplantableid",
               "activeplans": "requeststableid", "placementdetail": "activeplanstableid",
               "senneed": "activeplanstableid"}  # fmt: skip


def write_blade(folder: Path, persons: list[dict], head: dict | None = None,
                date: str = "20-01-2025", skip: tuple[str, ...] = ()) -> Path:  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    rows = to_linked(persons)
    head = header() if head is None else head
    sen2 = {"sen2tableid": "1", "NativeId": "1", "sen2orderseqcolumn": "1"}
    for group in head.values():
        sen2 |= {k.lower(): _blade_date(v) for k, v in group.items()}
    rows["sen2"] = [sen2]
    for record, records in rows.items():
        if record in skip:
            continue
        own = f"{record}tableid"
        parent = BLADE_LINKS.get(record)
        columns: list[str] = [own, "NativeId", f"{record}orderseqcolumn", "sourceid"]
        if parent:
            columns.append(parent)
        for r in records:
            columns += [k for k in r if k not in columns and k.endswith("tableid") is False]
        with (folder / f"Blade-Export_{date}_{record}.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(columns)
            for i, r in enumerate(records, start=1):
                full = r | {"NativeId": str(i), f"{record}orderseqcolumn": str(i),
                            "sourceid": "7"}  # fmt: skip
                w.writerow([_blade_date(str(full.get(c, ""))) for c in columns])
    return folder


SHEETS = {"person": "Person", "requests": "Requests", "assessment": "Assessments",
          "namedplan": "Named Plan", "plandetail": "Plan Detail", "activeplans": "Active Plan",
          "placementdetail": "Placement Detail", "senneed": "SEN Need"}  # fmt: skip


def write_workbook(path: Path, persons: list[dict]) -> Path:
    """A pre-submission workbook: one sheet per record, every record below a person linked
    by ``requeststableid`` (and requests by ``persontableid``), dates as real Excel dates."""
    from datetime import date as _date

    from openpyxl import Workbook

    rows = to_linked(persons)
    wb = Workbook()
    wb.remove(wb.active)
    for record, title in SHEETS.items():
        ws = wb.create_sheet(title)
        link = "persontableid" if record == "requests" else "requeststableid"
        columns: list[str] = ["persontableid"] if record == "person" else [link]
        if record == "requests":
            columns.append("requeststableid")
        for r in rows[record]:
            columns += [k for k in r if k not in columns and not k.endswith("tableid")]
        ws.append(columns)
        for r in rows[record]:
            values = []
            for c in columns:
                v = r.get(c, None)
                if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[:4].isdigit():
                    v = _date.fromisoformat(v)
                values.append(v)
            ws.append(values)
    wb.save(path)
    return path
