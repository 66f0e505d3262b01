"""Reading DfE's published files: the 2025 release in ../shared, and small made-up files."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from published_files import T20, council, england, made_up

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.published import _numbers, note, read_release


@pytest.fixture(scope="module")
def release(shared):
    return read_release(shared / "dfe-ehcp-2025")


def headline(release, name: str, column: str, la: str | None = None) -> dict[int, float]:
    """{year: value} for England, or for an LA by old code."""
    t = release.table(name).headline()
    rows = t[t["old_la_code"] == la] if la else t[t["geographic_level"] == "National"]
    return dict(zip(rows["year"], rows[column], strict=True))


def test_warwickshire_and_england_as_domain_md_quotes_them(release):
    # ../shared/domain.md, "Published figures"
    assert headline(release, T20, "plans_issued_20_weeks_ex", "937")[2024] == 238
    assert headline(release, T20, "plans_issued_den_ex", "937")[2024] == 1119
    assert headline(release, T20, "PC_plans_issued_20_weeks_ex", "937") == {
        2019: 88.5, 2020: 90.0, 2021: 74.9, 2022: 56.2, 2023: 42.9, 2024: 21.3,
    }  # fmt: skip
    assert headline(release, T20, "PC_plans_issued_20_weeks_ex") == {
        2019: 60.4, 2020: 58.0, 2021: 59.9, 2022: 49.2, 2023: 50.3, 2024: 46.4,
    }  # fmt: skip
    england_2024 = release.table(T20).headline().query("geographic_level == 'National'").iloc[-1]
    assert (england_2024["plans_issued_20_weeks_ex"], england_2024["plans_issued_den_ex"]) == (
        39407, 84866)  # fmt: skip
    assert (england_2024["plans_issued_within_20_weeks"], england_2024["plans_issued_den"]) == (
        41448, 90392)  # fmt: skip
    requests = headline(release, "requests", "requests_received_in_year", "937")
    assert (requests[2023], requests[2024]) == (2007, 1750)
    england_requests = headline(release, "requests", "requests_received_in_year")
    assert (england_requests[2023], england_requests[2024]) == (138242, 154489)
    assert headline(release, "requests", "request_outcome_six_weeks_pc", "937")[2024] == 73.4
    assert headline(release, "requests", "request_outcome_six_weeks_pc")[2024] == 84.8
    assert headline(release, "annual_reviews", "pc_decsion_4weeks", "937") == {2024: 22.0}
    assert headline(release, "annual_reviews", "pc_decsion_4weeks") == {2024: 44.4}
    assert headline(release, "newplans", "new_ehc_plans", "937")[2024] == 1207
    england_new = headline(release, "newplans", "new_ehc_plans")
    assert (england_new[2023], england_new[2024]) == (84428, 97747)


def test_census_years_are_january_of_the_second_year(release):
    caseload = release.table("caseload")
    # time_period 202425 is the academic year 2024/25, counted at the January 2025 census
    wk = caseload.headline().query("old_la_code == '937'").set_index("time_period")
    assert wk.loc["202425", "year"] == 2025
    assert wk.loc["202425", "period"] == "January 2025"
    assert wk.loc["202425", "ehcplans"] == 6868
    assert headline(release, "caseload", "ehcplans")[2025] == 638745
    assert caseload.years == [2019, 2020, 2021, 2022, 2023, 2024, 2025]
    assert release.table(T20).years == [2019, 2020, 2021, 2022, 2023, 2024]
    assert release.table(T20).period_label(2024) == "2024"


def test_a_suppressed_cell_is_missing_with_a_note_never_zero(release):
    t = release.table(T20)
    wk = t.headline().query("old_la_code == '937'").set_index("year")
    # DfE published no bands before 2023: the cells hold x
    assert math.isnan(wk.loc[2019, "PC_plans_issued_gt_1_year_ex"])
    row = t.headline().query("old_la_code == '937' and year == 2019").index[0]
    assert t.markers.loc[row, "PC_plans_issued_gt_1_year_ex"] == "x"
    assert note("x") == "x: unavailable"
    tidy = t.tidy(["PC_plans_issued_20_weeks_ex"]).query("la_name == 'Dorset' and year == 2024")
    assert len(tidy) == 1
    assert math.isnan(tidy["value"].iloc[0]) and tidy["value"].iloc[0] != 0
    assert (tidy["marker"].iloc[0], tidy["note"].iloc[0]) == ("x", "x: unavailable")
    # a number keeps no marker
    assert t.markers.loc[row, "plans_issued_den"] is None


def test_tidy_is_one_row_per_cell(release):
    t = release.table("caseload")
    long = t.tidy(["ehcplans", "special_total"])
    assert len(long) == 2 * len(t.headline())
    assert set(long["measure"]) == {"ehcplans", "special_total"}
    every = t.tidy(["ehcplans"], topic=None)
    assert len(every) == len(t.frame)
    ages = t.tidy(["ehcplans"], topic="Child or young persons age")
    assert set(ages["breakdown_topic"]) == {"Child or young persons age"}
    with pytest.raises(InputError, match="no column nonsense"):
        t.tidy(["nonsense"])


@pytest.mark.parametrize("code", ["937", "E10000031", "e10000031", "Warwickshire",
                                   "  WARWICKSHIRE "])  # fmt: skip
def test_an_la_by_each_kind_of_code_and_by_name(release, code):
    la = release.find_la(code)
    assert (la.old_code, la.new_code, la.name) == ("937", "E10000031", "Warwickshire")
    assert (la.region_code, la.region_name) == ("E12000005", "West Midlands")


def test_names_dfe_writes_backwards_and_codes_that_changed(release):
    for name in ("Bristol", "city of bristol", "Bristol, City of", "801"):
        assert release.find_la(name).new_code == "E06000023"
    # Buckinghamshire kept its old code 825 under two new codes
    for code in ("E10000002", "E06000060", "825"):
        bucks = release.find_la(code)
        assert bucks.old_code == "825" and bucks.new_codes == ["E06000060", "E10000002"]
    # Dorset: 835 until 2019 (E10000009), 838 since; the name means the current council
    assert release.find_la("Dorset").old_code == "838"
    assert release.find_la("E10000009").old_code == "835"


def test_an_unknown_la_names_the_files_and_suggests(release):
    with pytest.raises(InputError) as e:
        release.find_la("Warwickshir")
    message = str(e.value)
    assert "no local authority 'Warwickshir'" in message
    assert "timeliness_20_week.csv" in message and "did you mean Warwickshire" in message
    with pytest.raises(InputError, match="no local authority '999'"):
        release.find_la("999")


def test_local_authorities_have_regions(release):
    las = release.local_authorities()
    assert las["old_la_code"].is_unique
    assert (las["region_code"].str.startswith("E12")).all()
    wk = las.set_index("old_la_code").loc["937"]
    assert (wk["first_year"], wk["last_year"]) == (2019, 2025)


def test_require_year(release):
    release.table(T20).require_year(2024)
    with pytest.raises(InputError, match=r"timeliness_20_week.csv: no data for 2026; the file "
                                         r"covers 2019 to 2024"):  # fmt: skip
        release.table(T20).require_year(2026)
    with pytest.raises(InputError, match="no data for January 2018"):
        release.table("caseload").require_year(2018)


def test_the_duplicated_column_in_annual_reviews_is_noted(release):
    t = release.table("annual_reviews")
    assert any("review_meeting_prior_24 appears twice" in n for n in t.notes)


# --- small made-up files (tests/published_files.py) ---------------------------------------


def test_every_symbol_is_missing_and_numbers_with_commas_are_read(tmp_path):
    made_up(tmp_path, [
        england("2024", plans_issued_den="1,234", plans_issued_den_ex=" 12 "),
        council("2024", plans_issued_den="c", plans_issued_den_ex="low",
                plans_issued_within_20_weeks="z", plans_issued_20_weeks_ex="u",
                pc_plans_issued_within_20_weeks="", PC_plans_issued_20_weeks_ex="n/a"),
    ])  # fmt: skip
    t = read_release(tmp_path).table(T20)
    eng, wk = t.frame.iloc[0], t.frame.iloc[1]
    assert (eng["plans_issued_den"], eng["plans_issued_den_ex"]) == (1234, 12)
    cols = ["plans_issued_den", "plans_issued_den_ex", "plans_issued_within_20_weeks",
            "plans_issued_20_weeks_ex", "pc_plans_issued_within_20_weeks",
            "PC_plans_issued_20_weeks_ex"]  # fmt: skip
    assert np.isnan(wk[cols].to_numpy(dtype=float)).all()
    assert t.notes == ["timeliness_20_week.csv: 1 cell is neither a number nor one of DfE's "
                       "symbols (first: row 3, column PC_plans_issued_20_weeks_ex, 'n/a'); read "
                       "as missing"]  # fmt: skip
    notes = [note(t.markers.loc[1, c]) for c in cols]
    assert notes == ["c: confidential, suppressed", "low: rounds to zero, but is not zero",
                     "z: not applicable", "u: low reliability", "blank: blank",
                     "'n/a': not a number"]  # fmt: skip


@given(
    st.integers(min_value=0, max_value=10**12),
    st.sampled_from(["x", "z", "c", "low", "u", ":", "..", "~", ""]),
)
def test_numbers_with_commas_and_symbols(number, symbol):
    cells = [f"{number:,}", f" {number} ", symbol, symbol.upper(), f"{symbol}?"]
    numbers, markers, strange = _numbers(pa.chunked_array([cells]))
    assert numbers[0] == numbers[1] == number
    assert np.isnan(numbers[2:]).all() and list(markers[2:]) == cells[2:]
    assert markers[0] is None and markers[1] is None
    assert list(strange) == [4]  # DfE's symbols in any case are known; "x?" is not


def test_a_file_without_dfe_columns_names_what_is_missing(tmp_path):
    path = made_up(tmp_path, [england("2024", plans_issued_den="5")],
                   drop=("plans_issued_den_ex", "old_la_code"))  # fmt: skip
    with pytest.raises(InputError) as e:
        read_release(tmp_path).table(T20)
    assert str(e.value).startswith(f"{path}: does not match DfE's layout for "
                                   "timeliness_20_week.csv")  # fmt: skip
    assert "missing columns old_la_code, plans_issued_den_ex" in str(e.value)


def test_a_year_with_no_data_is_an_error(tmp_path):
    path = made_up(tmp_path, [england("2023", plans_issued_den="5"), england("2024"),
                              council("2024", plans_issued_den="3")])  # fmt: skip
    with pytest.raises(InputError, match=rf"{path}: no data for 2024: every England figure"):
        read_release(tmp_path).table(T20)
    made_up(tmp_path, [england("2023", plans_issued_den="5"),
                       council("2024", plans_issued_den="3")])  # fmt: skip
    with pytest.raises(InputError, match="no data for 2024: it has no England row"):
        read_release(tmp_path).table(T20)


def test_other_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        read_release(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="none of DfE's"):
        read_release(tmp_path / "empty")
    made_up(tmp_path / "header", [])
    with pytest.raises(InputError, match="no data rows"):
        read_release(tmp_path / "header").table(T20)
    made_up(tmp_path / "period", [england("2024-25", plans_issued_den="5")])
    with pytest.raises(InputError, match=r"row 2, time_period '2024-25' is not a calendar year"):
        read_release(tmp_path / "period").table(T20)
    made_up(tmp_path / "census", [england("202426", ehcplans="5")], name="caseload")
    with pytest.raises(InputError, match="is not an academic year such as 202425"):
        read_release(tmp_path / "census").table("caseload")
    made_up(tmp_path / "one", [england("2024", plans_issued_den="5")])
    with pytest.raises(InputError, match=r"no requests.csv"):
        read_release(tmp_path / "one").table("requests")


def test_an_unpacked_download_keeps_its_files_in_data(tmp_path):
    made_up(tmp_path / "data", [england("2024", plans_issued_den="5")])
    assert read_release(tmp_path).files == {T20: tmp_path / "data" / "timeliness_20_week.csv"}
