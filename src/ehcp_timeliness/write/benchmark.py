"""The board pack's Benchmark sheet: the council against England, its region and comparators.

Built from a :class:`~ehcp_timeliness.benchmark.Benchmark` as a pack :class:`Sheet`, so the
XLSX writer and ``--csv-dir`` treat it as any other sheet. Block titles and column names are
fixed; the council's and region's names head the chart tables so the charts' legends name them.
"""

from __future__ import annotations

import pandas as pd

from ehcp_timeliness.benchmark import Benchmark, MeasureResult, Point
from ehcp_timeliness.write.pack import Block, Chart, Format, Sheet

#: Measures charted over the years: the statutory timeliness rates.
CHARTED = ["plan-20w", "decision-6w", "no-plan-16w", "review-decision-4w"]
RATE_COLUMNS = [
    "Measure", "Year", "Council", "England", "Region", "Comparators (median)",
    "Comparators (lowest)", "Comparators (highest)", "Rank", "Councils ranked", "Quartile",
    "Change on previous year", "Gap to England", "Casework", "Note",
]  # fmt: skip
COUNT_COLUMNS = ["Measure", "Year", "Council", "England", "Region", "Comparators (median)",
                 "Change on previous year", "Casework", "Note"]  # fmt: skip


def benchmark_sheet(bench: Benchmark, *, extra_notes: list[str] | None = None) -> Sheet:
    """The Benchmark sheet: sentences, figures by year, a chart per timeliness rate, the
    casework's provisional figures, the reconciliation of plan counts, and outliers."""
    la = bench.council
    spans: dict[str, list[str]] = {}
    for f in bench.files:
        span = f.periods[0] if len(f.periods) == 1 else f"{f.periods[0]} to {f.periods[-1]}"
        spans.setdefault(span, []).append(f.name)
    covered = "; ".join(f"{span} ({', '.join(names)})" for span, names in spans.items())
    comparators = (
        f"Comparators ({bench.comparator_source}): "
        + ", ".join(c.name for c in bench.comparators) + "."
        if bench.comparators
        else "No comparator group given (ehcp report --compare or --neighbours)."
    )  # fmt: skip
    notes = [
        f"DfE 'Education, health and care plans' published figures for {la.name} "
        f"({la.old_code}, {la.new_code}), {la.region_name}, England and comparators; files in "
        f"{bench.published}: {covered}. Rates are shown as percentages; changes and gaps in "
        "percentage points.",
        "Rank is among local authorities with a published figure that year: 1 is the best "
        "where higher (or lower) is better, the highest otherwise; quartile 1 is the top "
        "quarter. DfE's symbols (x unavailable, z not applicable, c suppressed...) are shown "
        "as blanks with a note, never as zero.",
        comparators,
        *(extra_notes or []),
        *bench.notes,
    ]
    blocks = [
        Block("In brief", pd.DataFrame({"Measure": [m.title for m in bench.measures],
                                        "Sentence": [m.sentence for m in bench.measures]})),
        _figures(bench, "rate"),
        _figures(bench, "count"),
    ]  # fmt: skip
    charts = []
    for mid in CHARTED:
        m = next((r for r in bench.measures if r.id == mid), None)
        if m is None or len(m.points) < 2:
            continue
        blocks.append(_chart_block(bench, m))
        columns = [c for c in blocks[-1].frame.columns[1:]
                   if blocks[-1].frame[c].notna().any()]  # fmt: skip
        charts.append(Chart("line", m.title, "Percentage", columns, percent=True,
                            block=len(blocks) - 1))  # fmt: skip
    if bench.casework is not None:
        blocks.append(_provisional(bench))
        blocks.append(_reconciliation(bench))
    titles = {m.id: m.title for m in bench.measures}
    outliers = [(titles.get(o.measure, o.measure), o.message) for o in bench.outliers]
    blocks.append(Block("Outliers", pd.DataFrame(outliers, columns=["Measure", "Note"])))
    return Sheet("Benchmark", f"{la.name} against England, {la.region_name} and comparators",
                 notes, blocks, charts)  # fmt: skip


def _figures(bench: Benchmark, unit: str) -> Block:
    rows = []
    for m in bench.measures:
        if m.unit != unit:
            continue
        for p in m.points:
            g = p.comparators
            why = "; ".join(n for n in (p.council.note, _casework_note(p)) if n)
            row = {
                "Measure": m.title, "Year": p.period, "Council": p.council.value,
                "England": p.england.value, "Region": p.region.value,
                "Comparators (median)": g.median if g else None,
                "Comparators (lowest)": g.lowest if g else None,
                "Comparators (highest)": g.highest if g else None,
                "Rank": p.rank, "Councils ranked": p.ranked or None, "Quartile": p.quartile,
                "Change on previous year": p.change, "Gap to England": p.gap,
                "Casework": p.casework.value if p.casework else None, "Note": why,
            }  # fmt: skip
            rows.append(row)
    columns = RATE_COLUMNS if unit == "rate" else COUNT_COLUMNS
    frame = pd.DataFrame(rows, columns=columns)
    value: Format = "percent" if unit == "rate" else "int"
    formats: dict[str, Format] = {
        c: value for c in ("Council", "England", "Region", "Comparators (median)",
                           "Comparators (lowest)", "Comparators (highest)", "Casework")
    }  # fmt: skip
    formats.update({"Rank": "int", "Councils ranked": "int", "Quartile": "int"})
    formats["Change on previous year"] = "change" if unit == "rate" else "int"
    formats["Gap to England"] = "change"
    title = "Rates by year" if unit == "rate" else "Counts by year"
    return Block(title, frame, formats)


def _casework_note(p: Point) -> str:
    if p.casework is None or p.casework.value is None:
        return ""
    if p.casework.denominator is not None:
        return f"casework {p.casework.numerator:,} of {p.casework.denominator:,}"
    return ""


def _chart_block(bench: Benchmark, m: MeasureResult) -> Block:
    la = bench.council
    frame = pd.DataFrame({
        "Year": [p.period for p in m.points],
        la.name: [p.council.value for p in m.points],
        "England": [p.england.value for p in m.points],
        la.region_name: [p.region.value for p in m.points],
    })  # fmt: skip
    if bench.comparators:
        frame["Comparators (median)"] = [p.comparators.median if p.comparators else None
                                         for p in m.points]  # fmt: skip
    if bench.casework is not None:
        frame[f"{la.name} casework"] = [p.casework.value if p.casework else None
                                        for p in m.points]  # fmt: skip
    formats: dict[str, Format] = {c: "percent" for c in frame.columns[1:]}
    return Block(m.title, frame, formats)


def _provisional(bench: Benchmark) -> Block:
    rows = []
    for m in bench.measures:
        for p in m.provisional:
            f = p.figure
            rows.append({
                "Measure": m.title, "Period": p.label,
                "Rate": f.value if m.unit == "rate" else None,
                "Count": f.value if m.unit == "count" else f.numerator,
                "Cases": f.denominator, "Note": f.note or "provisional, from casework",
            })  # fmt: skip
    frame = pd.DataFrame(rows, columns=["Measure", "Period", "Rate", "Count", "Cases", "Note"])
    return Block("Provisional, from casework", frame,
                 {"Rate": "percent", "Count": "int", "Cases": "int"})  # fmt: skip


def _reconciliation(bench: Benchmark) -> Block:
    rows = []
    for r in bench.reconciliation:
        row = {
            "Year": str(r.year), "Reconciliation": r.line, "DfE plans": r.published,
            "DfE excluding exceptions": r.published_excluding_exceptions,
            "Casework plans": r.casework,
            "Casework excluding exceptions": r.casework_excluding_exceptions,
            "Difference": r.difference,
        }  # fmt: skip
        for item in r.items:
            row[item.label.capitalize()] = item.plans
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(columns=["Year", "Reconciliation", "DfE plans", "Casework plans"])
    formats: dict[str, Format] = {c: "int" for c in frame.columns
                                  if c not in ("Year", "Reconciliation")}  # fmt: skip
    return Block("Plans issued: DfE and casework", frame, formats)
