"""Reading SEN2 XML: layouts, the mapping onto the canonical tables, dimensions, hostile files.

Fixtures are built from element lists (tests/sen2_build.py); the public samples in
../shared/sen2-samples are read in place as an outside check.
"""

from __future__ import annotations

import resource
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sen2_build import (
    active,
    header,
    historical,
    issued,
    person,
    refused,
    to_xml,
    upn,
)

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.load import load
from ehcp_timeliness.read.pseudonym import PseudonymKey
from ehcp_timeliness.read.sen2 import read_sen2
from ehcp_timeliness.read.sen2_data import (
    to_tables,
    upn_problems,
    whole_years,
    year_groups,
)

KEY = PseudonymKey(b"a test key, sixteen bytes or more", "tests")


def _read(write, persons, head=None, name="return.xml"):
    return read_sen2(write(name, to_xml(persons, head)), KEY)


def _tables(data, census=date(2025, 1, 16)):
    return {t.table: t for t in to_tables(data, census)}


def _load(write, persons, head=None, **kw):
    return load([write("return.xml", to_xml(persons, head))], as_at=None, pseudonym_key=KEY, **kw)


# --- Layouts ------------------------------------------------------------------------------


def _layout_2023() -> list[dict]:
    p = person(1, issued(), sex="F")
    del p["Sex"]
    p = {k: v for k, v in p.items() if k != "Requests"} | {"GenderCurrent": "2",
                                                           "Requests": p["Requests"]}  # fmt: skip
    act = {"PlacementDetail": [{"URN": "123456", "PlacementRank": "1",
                                "AttendancePattern": "F"}],
           "Res": "A", "WBP": "S", "SENneed": [{"SENtype": "ASD", "SENtypeRank": "1"}],
           "LastReview": "2024-06-20"}  # fmt: skip
    p["Requests"][0]["ActivePlans"] = act
    del p["Requests"][0]["RequestSource"]
    return [p]


def _decision_last(act: dict) -> dict:
    """ActivePlans in the 2024 order: LastReview after ReviewOutcome."""
    return {k: v for k, v in act.items() if k != "LastReview"} | {"LastReview": act["LastReview"]}


def _layout_2026() -> list[dict]:
    act = {"PlacementDetail": [{"URN": "123456", "PlacementRank": "1", "Res": "A"}],
           "SENneed": [{"SENtype": "ASD", "SENtypeRank": "1"}], "ReviewMeeting": "2024-06-10",
           "ReviewOutcome": "A", "ReviewDraft": "2024-06-25", "PhaseTransferDueDate": "2025-02-15",
           "LastReview": "2024-06-20"}  # fmt: skip
    return [person(1, historical(review=act))]


@pytest.mark.parametrize(
    ("persons", "year", "expected", "evidence"),
    [
        (_layout_2023(), "2023", 2023, "Person/GenderCurrent"),
        ([person(1, historical(review=_decision_last(active(need="SEMH"))))], "2024", 2024,
         "LastReview after ReviewOutcome"),
        ([person(1, issued(active_plans=active(ReviewDraft="2024-06-25")))], "2025", 2025,
         "Person/Requests/RequestSource"),
        (_layout_2026(), "2026", 2026, "LastReview after ReviewDraft or a phase-transfer date"),
    ],
)  # fmt: skip
def test_each_layout_is_told_from_its_elements(write, persons, year, expected, evidence):
    if expected == 2025:  # 2025 puts LastReview before ReviewOutcome
        act = persons[0]["Requests"][0]["ActivePlans"]
        persons[0]["Requests"][0]["ActivePlans"] = {
            k: act[k] for k in ("PlacementDetail", "SENneed", "ReviewMeeting", "LastReview",
                                "ReviewOutcome", "ReviewDraft")}  # fmt: skip
    data = _read(write, persons, header(year=year, dsco=expected >= 2025))
    layout, found, misfits = data.layout()
    assert (layout, misfits) == (expected, [])
    assert evidence in found
    assert data.findings.empty
    result = _load(write, persons, header(year=year, dsco=expected >= 2025))
    assert "sen2-layout" not in set(result.findings["code"])
    assert "sen2-unknown-element" not in set(result.findings["code"])


def test_layout_comes_from_the_elements_not_the_header_year(write):
    result = _load(write, _layout_2023(), header(year="2024", dsco=False))
    assert result.returns[0].layout == 2023
    found = result.findings[result.findings["code"] == "sen2-layout"]
    assert found[["column", "value"]].values.tolist() == [["Header/CollectionDetails/Year", "2024"]]
    assert "read as 2023" in found["message"].iloc[0]


def test_mixed_layouts_are_a_warning_and_read_all_the_same(write):
    p = person(1, historical())
    p = {"GenderCurrent": "1", **p}  # a 2023 element beside 2024's Sex
    result = _load(write, [p], header(year="2025"))
    mixed = result.findings[result.findings["code"] == "sen2-layout"]
    assert mixed["column"].tolist() == ["Person/GenderCurrent"]
    assert result.returns[0].layout == 2025
    assert result.tables["plans"]["sex"].tolist() == ["F"]


def test_unknown_and_repeated_elements_are_warnings_not_crashes(write):
    p = person(1, issued())
    p["ShoeSize"] = "5"
    p["Requests"][0]["Assessment"]["Week20"] = "0"
    p["Requests"][0]["Assessment"]["NamedPlan"]["Colour"] = "blue"
    p2 = person(2, refused("2024-03-01", "2024-04-01"))
    p2["ShoeSize"] = "6"
    text = to_xml([p, p2]).replace("<RYA>0</RYA>", "<RYA>0</RYA><RYA>1</RYA>", 1)
    data = read_sen2(write("r.xml", text), KEY)
    f = data.findings.set_index("column")
    assert f.loc["Person/ShoeSize", "code"] == "sen2-unknown-element"
    assert f.loc["Person/ShoeSize", "row"] == 1
    assert "2 in all" in f.loc["Person/ShoeSize", "message"]
    assert f.loc["Person/Requests/Assessment/NamedPlan/Colour", "code"] == "sen2-unknown-element"
    assert f.loc["Person/Requests/RYA", "code"] == "sen2-repeated-element"
    assert data.requests["RYA"].tolist()[0] == "0"  # the first is used
    assert f["value"].isna().all()  # an unknown element's text is never shown


def test_namespaces_comments_and_case_are_tolerated(write):
    text = (
        to_xml([person(1, historical())])
        .replace("<Message>", "<Message xmlns='http://example.org/sen2'><!-- exported -->")
        .replace("<SENtype>", "<SenType>")
        .replace("</SENtype>", "</SenType>")
    )
    data = read_sen2(write("r.xml", text), KEY)
    assert data.findings.empty
    assert data.sen_need["SENtype"].tolist() == ["ASD"]
    assert len(data.persons) == 1


# --- The canonical tables ---------------------------------------------------------------


def test_requests_and_plans_map_faithfully(write):
    plan = issued(received="2024-02-01", decided="2024-03-10", start="2024-06-01", week20="1",
                  active_plans=active(meeting="2024-12-01", decision="2024-12-20", outcome="A",
                                      ReviewDraft="2024-12-22",
                                      PhaseTransferDueDate="2025-02-15",
                                      PhaseTransferFinalDate="2025-01-10"))  # fmt: skip
    t = _tables(_read(write, [person(1, plan)]))
    r = t["requests"].data.iloc[0]
    assert (r["received_date"], r["request_outcome"], r["request_outcome_date"]) == (
        "2024-02-01",
        "Y",
        "2024-03-10",
    )
    assert (r["assessment_outcome"], r["plan_issue_date"], r["week20_exception"]) == (
        "Y",
        "2024-06-01",
        "1",
    )
    p = t["plans"].data.iloc[0]
    assert p["plan_issue_date"] == "2024-06-01"
    assert (p["review_meeting_date"], p["review_decision_date"], p["review_outcome"]) == (
        "2024-12-01",
        "2024-12-20",
        "A",
    )
    assert p["amendment_notice_date"] == "2024-12-22"
    assert (p["phase_transfer_due_date"], p["phase_transfer_final_date"]) == (
        "2025-02-15",
        "2025-01-10",
    )
    assert t["plans"].headers["review_decision_date"] == "Person/Requests/ActivePlans/LastReview"
    assert t["requests"].headers["received_date"] == "Person/Requests/ReceivedDate"
    assert r["person_id"] == p["person_id"] and r["request_id"] == p["plan_id"]


def test_multiple_requests_per_person_and_a_refusal_then_a_repeat(write):
    first = refused("2024-01-10", "2024-02-15")
    again = issued(received="2024-05-01", decided="2024-06-05", start="2024-09-10")
    result = _load(write, [person(1, first, again), person(2, refused("2024-03-01", "2024-04-01"))])
    req = result.tables["requests"]
    assert req["_row"].tolist() == [1, 1, 2]  # the person's position in the file
    assert req["request_outcome"].tolist() == ["N", "Y", "N"]
    assert req["person_id"].iloc[0] == req["person_id"].iloc[1] != req["person_id"].iloc[2]
    assert req["request_id"].str.endswith(("-1", "-2", "-1")).all()
    assert req["request_id"].tolist()[:2] == [f"{req['person_id'].iloc[0]}-{k}" for k in (1, 2)]
    assert result.findings.query("severity == 'error'").empty, result.findings
    assert len(result.tables["plans"]) == 1


def test_transferred_in_plan_keeps_its_previous_council(write):
    result = _load(write, [person(1, historical(start="2021-09-01", transfer_la="201"))])
    assert result.tables["requests"].empty  # historical: carried only for its plan
    plans = result.tables["plans"]
    assert plans["transfer_la"].tolist() == ["201"]
    assert plans["plan_issue_date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-09-01"]
    info = result.returns[0]
    assert (info.requests, info.historical_requests, info.plans) == (1, 1, 1)
    s = {x.table: x for x in result.summaries}
    assert (s["requests"].rows_read, s["plans"].rows_read) == (0, 1)


def test_ceased_plan(write):
    ceased = issued(start="2022-03-01", plan_extra={"CeaseDate": "2024-07-31",
                                                    "CeaseReason": "3"})  # fmt: skip
    ceased["ReceivedDate"] = "2021-10-01"
    ceased["RequestOutcomeDate"] = "2021-11-01"
    ceased["RequestOutcome"] = "H"
    result = _load(write, [person(1, ceased)])
    plans = result.tables["plans"]
    assert plans["cease_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-07-31"]
    assert plans["cease_reason"].tolist() == ["3"]
    assert result.findings.query("severity != 'warning'").empty, result.findings


def test_dimensions(write):
    p1 = person(
        1,
        issued(
            received="2024-02-01", start="2024-06-01", source="2", active_plans=active(need="SLCN")
        ),  # fmt: skip
        birth="2012-09-01",
        sex="M",
    )
    p1["Requests"][0]["ActivePlans"]["PlacementDetail"] = [
        {"URN": "111111", "PlacementRank": "2"},
        {"SENSetting": "EHE", "PlacementRank": "1"},
    ]
    p1["Requests"][0]["ActivePlans"]["SENneed"].insert(0, {"SENtype": "MLD", "SENtypeRank": "2"})
    p2 = person(
        2,
        historical(
            review=active()
            | {
                "PlacementDetail": [
                    {"URN": "222222", "PlacementRank": "1", "ResourcedProvisionIndicator": "1"}
                ]
            }
        ),
    )
    result = _load(write, [p1, p2], header(lea="937"))
    req = result.tables["requests"].iloc[0]
    assert (req["request_source"], req["primary_need"], req["sex"], req["la_code"]) == (
        "School or other setting",
        "SLCN",
        "M",
        "937",
    )
    assert (req["setting"], req["setting_group"]) == (
        "URN 123456",
        "School or college with a URN (type in GIAS)",
    )
    # Born 1 Sep 2012: 11 on 1 Feb 2024; 10 on 31 Aug 2023, so Year 6 in 2023-24.
    assert (req["age"], req["year_group"]) == ("11", "6")
    plans = result.tables["plans"].set_index("_row")
    assert (plans.loc[1, "setting"], plans.loc[1, "setting_group"]) == (
        "Elective home education",
        "Elective home education",
    )
    assert plans.loc[2, "setting_group"] == "Mainstream - resourced provision"
    assert plans.loc[1, "year_group"] == "7"  # at the census, 16 January 2025


def test_identifiers_never_reach_the_tables(write):
    p = person(7, issued())
    data = _read(write, [p])
    tables = _tables(data)
    text = "".join(t.data.to_csv() for t in tables.values()) + data.persons.to_csv()
    for value in (p["Surname"], p["Forename"], p["PostCode"], p["UPN"],
                  p["UniqueLearnerNumber"], p["PersonBirthDate"]):  # fmt: skip
        assert value not in text
    assert set(data.persons.columns).isdisjoint(
        {"Surname", "Forename", "PersonBirthDate", "PostCode", "UPN", "UniqueLearnerNumber",
         "birth_date"})  # fmt: skip
    assert data.persons["cohort"].tolist() == [2012]  # born May 2012: 0 on 31 August 2012


def test_pseudonyms_are_keyed_and_stable(write):
    persons = [person(1, historical()), person(2, historical())]
    a = _read(write, persons)["persons"] if False else _read(write, persons).persons
    b = _read(write, persons).persons
    other = read_sen2(write("x.xml", to_xml(persons)), PseudonymKey(b"another key of 16+ bytes",
                                                                    "t")).persons  # fmt: skip
    assert a["person_id"].tolist() == b["person_id"].tolist()
    assert a["person_id"].tolist() != other["person_id"].tolist()
    assert a["id_source"].tolist() == ["UPN", "UPN"]
    no_upn = person(3, historical())
    del no_upn["UPN"], no_upn["UniqueLearnerNumber"]
    c = _read(write, [no_upn]).persons
    assert c["id_source"].tolist() == ["name and birth date"]


# --- Ages, year groups, UPNs --------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        ("2012-05-10", "2024-05-09", 11),
        ("2012-05-10", "2024-05-10", 12),  # the birthday itself
        ("2012-02-29", "2023-02-28", 10),  # a leap-day birthday in a year without one
        ("2012-02-29", "2023-03-01", 11),
        ("2012-02-29", "2024-02-29", 12),
        ("2012-12-31", "2013-12-30", 0),
    ],
)
def test_whole_years(birth, on, age):
    got = whole_years(np.array([birth], dtype="datetime64[D]"),
                      np.array([on], dtype="datetime64[D]"))  # fmt: skip
    assert got.tolist() == [age]


@pytest.mark.parametrize(
    ("birth", "on", "group"),
    [
        ("2013-08-31", "2024-09-01", "7"),  # 11 on 31 Aug 2024: Year 7
        ("2013-09-01", "2024-09-01", "6"),  # born a day later: a year below
        ("2013-09-01", "2024-08-31", "5"),
        ("2019-09-01", "2024-09-30", "R"),
        ("2021-01-01", "2024-09-30", "N"),
        ("2006-08-31", "2024-09-30", "14+"),
        ("2007-08-31", "2024-09-30", "13"),
    ],
)
def test_year_groups(birth, on, group):
    b, o = np.array([birth], dtype="datetime64[D]"), np.array([on], dtype="datetime64[D]")
    assert year_groups(b, o).tolist() == [group]


@given(st.dates(min_value=date(1995, 1, 1), max_value=date(2025, 12, 31)),
       st.dates(min_value=date(1995, 1, 1), max_value=date(2030, 12, 31)))  # fmt: skip
def test_whole_years_agrees_with_the_calendar(birth, on):
    expected = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    got = whole_years(np.array([birth], dtype="datetime64[D]"),
                      np.array([on], dtype="datetime64[D]"))  # fmt: skip
    assert got.tolist() == [expected]


@given(st.text(alphabet="0123456789", min_size=11, max_size=11),
       st.sampled_from(list("0123456789ABCDEFGHJKLMNPQRTUVWXYZ")))  # fmt: skip
def test_upn_check_letter_property(digits, last):
    good = upn(digits + last)
    import pyarrow as pa

    problems, bad = upn_problems(pa.array([good]))
    assert problems.to_pylist() == [None] and not bad[0]
    wrong = "A" if good[0] != "A" else "B"
    problems, bad = upn_problems(pa.array([wrong + good[1:]]))
    assert bad[0] and "check letter" in problems[0].as_py()


def test_upn_problems_describe_without_quoting():
    import pyarrow as pa

    values = ["A12345678901", "A1234567890123", "a123456789012", "A12345678901I", None]
    problems, _ = upn_problems(pa.array(values))
    got = problems.to_pylist()
    assert got[0] == "the UPN has 12 characters; a UPN has 13"
    assert got[1] == "the UPN has 14 characters; a UPN has 13"
    assert "not a letter, 11 digits" in got[2] and "not a letter, 11 digits" in got[3]
    assert got[4] is None
    for raw, message in zip(values, got, strict=True):
        assert raw is None or raw not in (message or "")


# --- The public samples (an outside check; one is deliberately bad) ------------------------


def _sample(shared, name):
    return load([shared / "sen2-samples" / name], as_at=None, pseudonym_key=KEY)


def test_sample_2023_is_read_as_2023_with_its_faults(shared):
    r = _sample(shared, "sen2_sample_2023.xml")
    assert r.returns[0].layout == 2023 and r.as_at == date(2023, 1, 18)
    codes = r.findings.groupby("code").size().to_dict()
    assert codes["sen2-layout"] == 1  # Year says 2024
    assert codes["future-date"] >= 1  # its dates run past its ReferenceDate (2023-01-18)
    assert codes["invalid-date"] == 1 and codes["unknown-code"] == 2  # person 3: XXXX-12-01, XX
    assert {"SEN2-001", "SEN2-002", "SEN2-003", "SEN2-007", "SEN2-013"} <= set(codes)
    # Person 3, "InvalidCodes": every bad code in it is named, and nothing it should not be.
    bad = r.findings[(r.findings["row"] == 3) & r.findings["code"].str.startswith("SEN2")]
    assert dict(zip(bad["column"], bad["code"], strict=True)) == {
        "Person/UPN": "SEN2-002",
        "Person/UniqueLearnerNumber": "SEN2-003",
        "Person/UPNunknown": "SEN2-007",
        "Person/Ethnicity": "SEN2-042",
        "Person/Requests/RYA": "SEN2-040",
        "Person/Requests/RequestMediation": "SEN2-040",
        "Person/Requests/RequestTribunal": "SEN2-040",
        "Person/Requests/Exported": "SEN2-041",
        "Person/Requests/RequestOutcome": "SEN2-013",
        "Person/Requests/Assessment/AssessmentOutcome": "SEN2-017",
    }
    assert "XXXX" in set(bad["value"])  # an ethnicity code is not an identifier: shown


def test_samples_2024_good_and_bad(shared):
    good = _sample(shared, "sen2_sample_2024.xml")
    bad = _sample(shared, "bad_sen2_sample_2024.xml")
    g = good.findings.groupby("code").size().to_dict()
    b = bad.findings.groupby("code").size().to_dict()
    # The "good" sample's UPNs have 14 characters (a UPN has 13): a fault the XSD misses.
    assert g["SEN2-002"] == 2 and "SEN2-001" not in g
    # The bad one's first UPN has 13 characters and a wrong check letter.
    assert b["SEN2-001"] == 1 and b["SEN2-002"] == 1
    for f in (good.findings, bad.findings):
        decided = f[(f["code"] == "date-order")]
        assert decided["column"].tolist() == ["Person/Requests/ActivePlans/LastReview"]
        assert "SEN2-029" in set(f["code"])  # a review decision before its meeting
    assert good.returns[0].layout == 2024


def test_sample_2025(shared):
    r = _sample(shared, "sen2_sample_2025.xml")
    codes = set(r.findings["code"])
    assert r.returns[0].layout == 2025
    assert "SEN2-032" in codes  # a phase-transfer due date of 21 January
    assert r.tables["requests"]["request_source"].tolist()[0] == "Parent or young person"
    assert not {"sen2-unknown-element", "sen2-layout"} & codes


# --- Hostile files ----------------------------------------------------------------------


def test_external_entity_is_refused_without_reading_the_file(write, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    text = to_xml([person(1, historical())], prolog=(
        f'<!DOCTYPE Message [<!ENTITY xxe SYSTEM "file://{secret}">]>\n')).replace(
        "<Surname>Surname1</Surname>", "<Surname>&xxe;</Surname>")  # fmt: skip
    path = write("xxe.xml", text)
    with pytest.raises(InputError, match="DOCTYPE") as err:
        read_sen2(path, KEY)
    assert "TOP-SECRET" not in str(err.value)


def test_billion_laughs_is_refused_quickly_and_in_little_memory(write):
    lol = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        lol.append(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">')
    prolog = "<!DOCTYPE Message [" + "".join(lol) + "]>\n"
    text = to_xml([person(1, historical())], prolog=prolog).replace(
        "<Surname>Surname1</Surname>", "<Surname>&lol9;</Surname>")  # fmt: skip
    path = write("bomb.xml", text)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(InputError, match="DOCTYPE"):
        read_sen2(path, KEY)
    assert time.perf_counter() - start < 2
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown < 50_000  # kB: nothing was expanded


def test_external_dtd_is_neither_fetched_nor_accepted(write):
    prolog = '<!DOCTYPE Message SYSTEM "http://127.0.0.1:9/sen2.dtd">\n'
    path = write("dtd.xml", to_xml([person(1, historical())], prolog=prolog))
    with pytest.raises(InputError, match="DOCTYPE"):
        read_sen2(path, KEY)


def test_parameter_entities_are_refused(write):
    prolog = ('<!DOCTYPE Message [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> '
              "%remote;]>\n")  # fmt: skip
    path = write("pe.xml", to_xml([person(1, historical())], prolog=prolog))
    with pytest.raises(InputError):
        read_sen2(path, KEY)


def test_entity_reference_without_a_doctype_is_refused(write):
    text = to_xml([person(1, historical())]).replace("<Surname>Surname1", "<Surname>&ext;")
    with pytest.raises(InputError, match="entities|well-formed"):
        read_sen2(write("e.xml", text), KEY)


@pytest.mark.parametrize(
    "text",
    [
        "<Message><Persons><Person><Surname>Surname1</Forename></Person></Persons></Message>",
        "<Message><Persons><Person><Surname>Surname1",
        "",
    ],
)
def test_malformed_xml_is_an_input_error_that_quotes_no_value(write, text):
    with pytest.raises(InputError, match="well-formed") as err:
        read_sen2(write("bad.xml", text), KEY)
    assert "Surname1" not in str(err.value)


def test_wrong_encoding_says_so_without_quoting(write):
    text = to_xml([person(1, historical())]).replace("Surname1", "Sürname1")
    path = write("latin.xml", text.encode("latin-1"))
    with pytest.raises(InputError, match="declared encoding") as err:
        read_sen2(path, KEY)
    assert "rname1" not in str(err.value)


def test_an_xml_file_that_is_not_a_return(write):
    with pytest.raises(InputError, match="not a SEN2 return"):
        read_sen2(write("other.xml", "<Invoice><Total>3</Total></Invoice>"), KEY)


def test_a_return_need_not_be_named_xml(write):
    path = write("return.dat", to_xml([person(1, historical())]))
    result = load([path], as_at=None, pseudonym_key=KEY)
    assert len(result.tables["plans"]) == 1


def test_upn_values_in_a_big_file_do_not_matter_to_memory(write):
    """Streaming: persons are cleared as they are read (a coarse check at a small scale)."""
    persons = [person(i, historical()) for i in range(1, 400)]
    data = _read(write, persons)
    assert len(data.persons) == 399 and data.findings.empty
    assert data.persons["_person"].tolist() == list(range(1, 400))
    assert Path  # noqa: B018  (keeps the import for type hints in this module)


@given(st.sampled_from([2023, 2024, 2025, 2026]), st.data())
def test_layout_detection_property(year, data):
    """Any set of markers that one layout has is read as a layout having them all (the
    earliest such), with nothing out of place; adding a marker that no layout shares with
    them is reported as a misfit, never silently absorbed."""
    from ehcp_timeliness.read.sen2_spec import LAYOUTS, MARKERS, detect_layout

    own = sorted(m for m, years in MARKERS.items() if year in years)
    seen = set(data.draw(st.lists(st.sampled_from(own), min_size=1, unique=True)))
    layout, evidence, misfits = detect_layout(seen)
    assert misfits == [] and sorted(seen) == evidence
    assert all(layout in MARKERS[m] for m in seen) and layout <= year
    assert layout == min(y for y in LAYOUTS if all(y in MARKERS[m] for m in seen))
    fitting = {y for y in LAYOUTS if all(y in MARKERS[m] for m in seen)}
    foreign = [m for m, years in MARKERS.items() if not years & fitting]
    if foreign:
        extra = data.draw(st.sampled_from(foreign))
        _, _, misfits = detect_layout(seen | {extra})
        assert misfits


def test_c1_controls_in_xml_are_removed_and_reported(write):
    p = person(1, historical())
    p["Ethnicity"] = "WB\u009bRI"  # legal in XML 1.0, a CSI to some terminals
    result = _load(write, [p])
    found = result.findings[result.findings["code"] == "control-characters-removed"]
    assert found[["row", "column"]].values.tolist() == [[1, "Person/Ethnicity"]]
    assert result.tables["plans"]["ethnicity"].tolist() == ["WBRI"]
    assert "SEN2-042" not in set(result.findings["code"])


def test_the_order_of_an_active_plans_elements_marks_its_layout():
    """Where LastReview stands among ReviewOutcome, ReviewDraft and the phase-transfer dates
    tells the 2024, 2025 and 2026 layouts apart; other elements do not count."""
    from ehcp_timeliness.read.sen2_spec import order_markers

    assert order_markers(["StartDate", "LastReview", "ReviewOutcome"]) == {
        "LastReview before ReviewOutcome"
    }
    assert order_markers(["ReviewOutcome", "SENtype", "LastReview"]) == {
        "LastReview after ReviewOutcome"
    }
    assert order_markers(["ReviewDraft", "PhaseTransferDueDate", "LastReview"]) == {
        "LastReview after ReviewDraft or a phase-transfer date"
    }
    assert order_markers(["LastReview"]) == set()
    assert order_markers(["ReviewOutcome", "ReviewDraft"]) == set()
