"""Hostile TOML files and command-line options: exit 3 (or 2) with one line, never exit 5.

Issue 12's table, rows on TOML files (mapping, rules, targets) and on options. Every fixture
is generated here.
"""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ehcp_timeliness.analysis import Options, TooManyValues, analyse
from ehcp_timeliness.cli.app import app
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.limits import MAX_DIMENSION_VALUES, MAX_RULE_FILES, MAX_TOML_BYTES

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
REQUESTS = "person_id,received_date,team\nP1,2024-01-02,North\nP2,2024-01-03,South\n"


def rule(rule_id: str = "local-14w", limit: str = "{ weeks = 14 }") -> str:
    return f"""
[[rule]]
id = "{rule_id}"
kind = "interval"
title = "Local target"
citation = "Local strategy"
table = "requests"
start = "received_date"
stop = "plan_issue_date"
limit = {limit}
"""


DEEP_ARRAY = "x = " + "[" * 10_000 + "]" * 10_000 + "\n"
DEEP_TABLE = "schema_version = 1\nx = " + "{ a = " * 10_000 + "1" + " }" * 10_000 + "\n"
DEEP_KEYS = "schema_version = 1\n" + ".".join(["a"] * 10_000) + " = 1\n"


def _exit(args: list[str]) -> tuple[int, str]:
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


def _run_with(kind: str, path: Path, tmp_path: Path) -> tuple[int, str]:
    data = tmp_path / "requests.csv"
    if not data.exists():
        data.write_text(REQUESTS)
    if kind == "rules":
        return _exit(["rules", "--rules", str(path)])
    if kind == "mapping":
        return _exit(["validate", str(data), "--as-at", "2025-03-31", "--mapping", str(path)])
    return _exit(["report", str(data), "--as-at", "2025-03-31", "--targets", str(path)])


@pytest.mark.parametrize("kind", ["mapping", "rules", "targets"])
@pytest.mark.parametrize(
    "text", [DEEP_ARRAY, DEEP_TABLE, DEEP_KEYS], ids=["array", "table", "keys"]
)
def test_toml_nested_10000_deep_exits_3(kind, text, write, tmp_path):
    path = write(f"{kind}.toml", text)
    code, err = _run_with(kind, path, tmp_path)
    assert code == 3, err
    assert str(path) in err and "nested" in err


@pytest.mark.parametrize("kind", ["mapping", "rules", "targets"])
@pytest.mark.parametrize(
    "data, says",
    [
        (codecs.BOM_UTF16_LE + "schema_version = 1\n".encode("utf-16-le"), "UTF-16 text"),
        (b"schema_version = 1\n# caf\xe9\n", "not UTF-8 text (line 2"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF" * 3, "not UTF-8 text"),
    ],
    ids=["utf16", "cp1252", "binary"],
)
def test_toml_that_is_not_utf8_exits_3(kind, data, says, write, tmp_path):
    path = write(f"{kind}.toml", data)
    code, err = _run_with(kind, path, tmp_path)
    assert code == 3, err
    assert str(path) in err and says in err


def test_a_huge_toml_file_exits_3_before_it_is_parsed(write, tmp_path):
    path = write("rules.toml", "schema_version = 1\n" + "# padding\n" * (MAX_TOML_BYTES // 10))
    code, err = _run_with("rules", path, tmp_path)
    assert code == 3 and f"a rules file is at most {MAX_TOML_BYTES:,} bytes" in err


def test_a_rules_folder_past_the_limit_exits_3(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    for i in range(MAX_RULE_FILES + 1):
        (folder / f"r{i:05}.toml").write_text("schema_version = 1\n" + rule(f"r{i}"))
    code, err = _exit(["rules", "--rules", str(folder)])
    assert code == 3 and f"a rules folder holds at most {MAX_RULE_FILES:,}" in err


def test_more_rules_than_the_limit_in_one_file_exits_3(write):
    path = write("many.toml", "schema_version = 1\n" + "".join(rule(f"r{i}") for i in range(300)))
    code, err = _exit(["rules", "--rules", str(path)])
    assert code == 3 and "more than 200 rules in force" in err


@pytest.mark.parametrize(
    "limit, says",
    [
        ("{ days = 9223372036854775807 }", "limit.days: Input should be less than or equal to"),
        ("{ weeks = 1e15 }", "limit.weeks: Input should be a valid integer"),
        ('{ weeks = "14" }', "limit.weeks: Input should be a valid integer"),
        ("{ weeks = 14.0 }", "limit.weeks: Input should be a valid integer"),
        ("{ months = 0 }", "limit.months: Input should be greater than 0"),
        ("{ months = 1200 }", "limit.months: Input should be less than or equal to 120"),
    ],
)
def test_rule_limits_are_bounded_integers_named_by_key(limit, says, write):
    path = write("local.toml", "schema_version = 1\n" + rule(limit=limit))
    code, err = _exit(["rules", "--rules", str(path)])
    assert code == 3, err
    assert f"rule local-14w.{says}" in err and str(path) in err


def test_a_ten_year_limit_is_still_a_rule(write):
    # The bound is ten years in any unit: the longest is accepted, and a report runs with it.
    path = write("local.toml", "schema_version = 1\n" + rule(limit="{ days = 3653 }"))
    assert load_rules(path).get("local-14w").limit.total_days == 3653  # type: ignore[union-attr]
    data = write("requests.csv", REQUESTS)
    code, err = _exit(["report", str(data), "--as-at", "2025-03-31", "--rules", str(path)])
    assert code == 0, err


def test_duplicate_rule_ids_in_one_file_exit_3(write):
    path = write("local.toml", "schema_version = 1\n" + rule("x") + rule("x"))
    code, err = _exit(["rules", "--rules", str(path)])
    assert code == 3 and f"{path}: rule x is given twice in this file" in err


def test_duplicate_rule_ids_across_files_exit_3_but_one_override_is_fine(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "a.toml").write_text("schema_version = 1\n" + rule("plan-20w"))
    assert load_rules(folder).sources["plan-20w"] == str(folder / "a.toml")  # deliberate
    (folder / "b.toml").write_text("schema_version = 1\n" + rule("plan-20w"))
    code, err = _exit(["rules", "--rules", str(folder)])
    assert code == 3
    assert f"rule plan-20w is also given in {folder / 'a.toml'}" in err


def test_strict_types_elsewhere_in_rules_mapping_and_targets(write, tmp_path):
    path = write("local.toml", 'schema_version = "1"\n')
    code, err = _exit(["rules", "--rules", str(path)])
    assert code == 3 and "schema_version: Input should be a valid integer" in err
    mapping = write("mapping.toml", "schema_version = 1\n[columns]\nperson_id = 7\n")
    code, err = _run_with("mapping", mapping, tmp_path)
    assert code == 3 and "columns.person_id" in err
    targets = write("targets.toml", '[targets]\nplan-20w = "0.6"\n')
    code, err = _run_with("targets", targets, tmp_path)
    assert code == 3 and "targets.plan-20w: Input should be a valid number" in err


def test_an_unknown_target_id_exits_3_naming_it(write, tmp_path):
    path = write("targets.toml", "[targets]\nplan-20w = 0.6\nplan-2ow = 0.5\n")
    code, err = _run_with("targets", path, tmp_path)
    assert code == 3, err
    assert "plan-2ow: no rule in force has this id" in err and str(path) in err


@pytest.mark.parametrize(
    "args, says",
    [
        (["--as-at", "0001-01-01"], "--as-at: 0001-01-01 is outside the years"),
        (["--as-at", "9999-12-31"], "--as-at: 9999-12-31 is outside the years"),
        (["--as-at", "2025-03-31", "--period", "9999-Q4"], "'9999-Q4' lies outside the years"),
        (["--as-at", "2025-03-31", "--period", "0000"], "'0000' lies outside the years"),
        (["--as-at", "2025-03-31", "--period", "rolling-99999"], "a rolling period is 1 to 999"),
        (["--as-at", "2025-03-31", "--from", "0001-01-01"], "--from: 0001-01-01 is outside"),
        (["--as-at", "2025-03-31", "--due-within", str(10**12)], "--due-within"),
        (["--as-at", "2025-03-31", "--due-within", "105"], "--due-within"),
    ],
)
def test_options_out_of_range_are_usage_errors(args, says, write):
    path = write("requests.csv", REQUESTS)
    code, err = _exit(["report", str(path), *args])
    assert code == 2, err
    assert says in " ".join(err.split())


def test_options_at_the_edges_of_the_range_still_run(write):
    path = write("requests.csv", REQUESTS)
    for args in (["--period", "1990"], ["--period", "2099-Q4"], ["--due-within", "104"]):
        code, err = _exit(["report", str(path), "--as-at", "2025-03-31", *args])
        assert code == 0, err


def _many_teams(write, n: int) -> Path:
    lines = "".join(f"P{i},2024-01-02,T{i}\n" for i in range(n))
    return write("requests.csv", "person_id,received_date,team\n" + lines)


def test_by_a_dimension_with_too_many_values_is_a_usage_error(write):
    path = _many_teams(write, MAX_DIMENSION_VALUES + 1)
    code, err = _exit(["report", str(path), "--as-at", "2025-03-31", "--by", "team"])
    assert code == 2
    assert f"'team' has {MAX_DIMENSION_VALUES + 1:,} distinct values" in " ".join(err.split())
    with pytest.raises(TooManyValues):
        analyse([path], load_rules(), Options(as_at=date(2025, 3, 31), by="team"))


def test_the_default_team_breakdown_is_dropped_not_refused(write, caplog):
    path = _many_teams(write, MAX_DIMENSION_VALUES + 1)
    analysis = analyse([path], load_rules(), Options(as_at=date(2025, 3, 31)))
    assert analysis.report.by is None and analysis.report.breakdown == []
    assert "no breakdown: team has more than 500 distinct values" in caplog.text
    exact = _many_teams(write, MAX_DIMENSION_VALUES)
    assert analyse([exact], load_rules(), Options(as_at=date(2025, 3, 31))).report.by == "team"


def test_every_limit_is_documented_in_cli_md():
    from ehcp_timeliness import limits

    docs = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    section = docs[docs.index("## Limits") : docs.index("## `ehcp validate")]
    for name in dir(limits):
        value = getattr(limits, name)
        if not name.isupper():
            continue
        shown = f"{value:,}" if isinstance(value, int) and "YEAR" not in name else str(value)
        assert shown in section, f"limits.{name} = {shown} is not in docs/cli.md's Limits"
