"""The reference sheets at the back of the pack: Data quality, Inputs, Rules and Notes, which
say what the figures rest on. File names only: no local paths reach the pack."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ehcp_timeliness import __version__
from ehcp_timeliness.analysis import Analysis
from ehcp_timeliness.read.paths import split_sheet
from ehcp_timeliness.scorecard import Scorecard
from ehcp_timeliness.validate.findings import CODES
from ehcp_timeliness.words import FEW_CASES, period_phrase
from ehcp_timeliness.write.atomic import sha256_input
from ehcp_timeliness.write.pack import Block, Format, Sheet
from ehcp_timeliness.write.pack_board import monthly_rates


def reference_sheets(analysis: Analysis, card: Scorecard, council: str) -> list[Sheet]:
    return [monthly_rates(analysis.report), data_quality(analysis), inputs(analysis),
            rules(analysis), notes(analysis, card, council)]  # fmt: skip


def _name(file: str) -> str:
    """A file as the pack names it: its name (and sheet), never the folder it is in."""
    path, sheet = split_sheet(file)
    return Path(path).name + (f"[{sheet}]" if sheet is not None else "")


def data_quality(analysis: Analysis) -> Sheet:
    f = analysis.validated.findings
    counts = f.groupby(["code", "severity"], observed=True).size().reset_index(name="Findings")
    counts["What it means"] = counts["code"].map(lambda c: CODES[c][1])
    counts = counts.rename(columns={"code": "Code", "severity": "Severity"})
    counts = counts.sort_values(["Severity", "Findings"], ascending=[True, False], kind="stable")
    rows = sum(s.rows_read for s in analysis.validated.summaries)
    rejected = sum(s.rows_rejected for s in analysis.validated.summaries)
    return Sheet(
        "Data quality", "Data quality of the extract: findings by code",
        [f"{rows:,} rows were read and {rejected:,} set aside for an error. Rows with an error "
         "are left out of every figure; rows with a warning are kept. Each file's rows are on "
         "the Inputs sheet; every finding, row by row, is on the Findings sheet."],
        [Block("Findings by code", counts.reset_index(drop=True), {"Findings": "int"},
               empty="No findings: every row was read and used as it is.")],
        section="reference", description="Findings about the extract, by code, with meanings",
    )  # fmt: skip


def inputs(analysis: Analysis) -> Sheet:
    frame = pd.DataFrame(
        [(_name(s.file), s.table, s.rows_read, s.rows_usable, s.rows_rejected,
          s.blank_rows_ignored, sha256_input(s.file, analysis.input_sha256))
         for s in analysis.validated.summaries],
        columns=["File", "Table", "Rows read", "Rows used", "Rows set aside",
                 "Blank rows ignored", "SHA-256"],
    )  # fmt: skip
    formats: dict[str, Format] = {c: "int" for c in frame.columns[2:6]}
    return Sheet(
        "Inputs", "The extract's files",
        ["Each file read, by name, with its rows: rows read = rows used + rows set aside, for "
         "every file. The SHA-256 identifies the exact file, so this pack can be traced to it."],
        [Block("Inputs", frame, formats)],
        section="reference", description="Each input file, its rows and its SHA-256",
    )  # fmt: skip


def rules(analysis: Analysis) -> Sheet:
    ruleset = analysis.rules
    frame = pd.DataFrame(
        [(r.label, r.id, r.title, r.limit_text, r.citation, Path(ruleset.sources[r.id]).name)
         for r in ruleset.enabled],
        columns=["Measure", "Rule id", "Rule", "Limit and reading", "Legal source",
                 "Defined in"],
    )  # fmt: skip
    return Sheet(
        "Rules", f"The rules in force (SHA-256 {ruleset.sha256[:12]})",
        ["Every statutory clock these figures apply, with the legal reading it takes and where "
         "it is set out. docs/rules.md quotes each provision."],
        [Block("Rules", frame)],
        section="reference", description="The statutory clocks applied, with their sources",
    )  # fmt: skip


def notes(analysis: Analysis, card: Scorecard, council: str) -> Sheet:
    report, previous = analysis.report, analysis.previous
    rejected = sum(s.rows_rejected for s in report.inputs)
    items = [
        ("Council", council),
        ("As at", f"{report.as_at:%-d %B %Y}: open and overdue cases are counted at this date"),
        ("This period", f"{period_phrase(report.period).removeprefix('in ')} "
                        f"({report.period.start:%d/%m/%Y} to {report.period.end:%d/%m/%Y})"),
        ("Previous period", f"{period_phrase(previous.period).removeprefix('in ')} "
                            f"({previous.period.start:%d/%m/%Y} to "
                            f"{previous.period.end:%d/%m/%Y})"),
        ("Produced by", f"ehcp-timeliness {__version__}; rules SHA-256 {report.rules_sha256}"),
        ("Source", "The council's own case-management extract as at the date above, not DfE's "
                   "published statistics, which use the January SEN2 return and may differ."),
        ("Open and overdue", "Open means not yet due; overdue means past its due date and "
                             "still open. They do not overlap: the cases waiting are open + "
                             "overdue."),
        ("Completed cases", "Counted in the period their clock stopped in (a plan in the "
                            "period it was issued), as DfE counts them."),
        ("Excluding exceptions", "Leaves out of both numerator and denominator the plans "
                                 "flagged with an exception to the 20-week limit (SEN2 "
                                 "Week20), as DfE's headline rate does; 'including "
                                 "exceptions' counts every plan issued."),
        ("DfE measures", "Rows marked DfE measure reproduce DfE's published definitions from "
                         "this extract: requests received in the period and decided; each "
                         "plan's latest review meeting with a decision, at the as-at date."),
        ("Targets", "Each target is compared with the measure it was set on; where it comes "
                    "from is beside it. Status: On target, Below target (within the amber "
                    "band), Well below, No cases; never colour alone."),
        ("Not owed and unknown", "A clock on a plan that ceased before it fell due is not "
                                 "owed, neither met nor a breach. An annual review the "
                                 "extract's history cannot vouch for is unknown, with a "
                                 "finding. Neither is counted as open or overdue."),
        ("Few cases", f"A rate from fewer than {FEW_CASES} cases is marked: read it with care."),
        ("Rounding", "Rates are rounded once, to one decimal place, from the exact figure."),
        ("Annual reviews", "The 12-month period is read as 'the period of 12 months starting "
                           "with' the previous review (CFA 2014 s.44), unless the Rules sheet "
                           "says otherwise."),
        ("Rows set aside", f"{rejected:,} rows failed validation and are left out; see Data "
                           "quality and Findings."),
        ("Privacy", "Person IDs are pseudonymous. No names, postcodes, UPN, ULN or birth dates "
                    "are in this workbook."),
    ]  # fmt: skip
    if card.without_cases:
        items.append(("Measures with no cases",
                      "Not on the board sheets, having no case at all: "
                      + ", ".join(card.without_cases) + "."))  # fmt: skip
    return Sheet(
        "Notes", "Notes: what the figures are, and how to read them",
        ["Definitions and caveats for every sheet of this workbook."],
        [Block("Notes", pd.DataFrame(items, columns=["Note", "Detail"]))],
        section="reference", description="Definitions, sources and caveats",
    )  # fmt: skip
