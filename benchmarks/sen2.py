"""Time reading a national-size SEN2 XML return, and make one to read.

    python benchmarks/sen2.py                      # 150,000 persons, 5 interleaved runs
    python benchmarks/sen2.py --persons 20000 --repeat 3
    python benchmarks/sen2.py --generate-only out.xml

The synthetic return is made column by column (numpy for the values, Arrow string kernels
to wrap them in elements and to join each person's requests), never person by person. It
has the 2025 layout: about 70% of persons hold a historical plan with its latest review and
placements, the rest have one to three requests in the collection year, some assessed and
issued, some refused, withdrawn or still open. Every identifier is made up, and UPNs and
ULNs carry valid check characters.

Each timing is a whole process (interpreter start and imports included): reading alone
(``read_sen2`` and ``to_tables``: parse, pseudonymise, derive ages, map onto the canonical
tables), and ``ehcp validate`` on the file (that, plus the canonical checks, the SEN2
pre-submission checks and what the return will publish). Peak resident memory comes from
``wait4()``. The machine is shared, so medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HERE = Path(__file__).resolve().parent
REFERENCE = np.datetime64("2025-01-16", "D")
YEAR_START, YEAR_END = np.datetime64("2024-01-01", "D"), np.datetime64("2024-12-31", "D")
UPN_LETTERS = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"))


def _text(values) -> pa.Array:
    return pa.array(np.asarray(values).astype(str), type=pa.string())


def _iso(days: np.ndarray) -> pa.Array:
    return _text(days.astype("datetime64[D]"))


def _element(tag: str, values: pa.Array, present: np.ndarray | None = None) -> pa.Array:
    """``<tag>value</tag>``, or "" where not ``present``."""
    wrapped = pc.binary_join_element_wise(f"<{tag}>", values, f"</{tag}>", "")
    if present is None:
        return wrapped
    return pc.if_else(pa.array(present), wrapped, "")


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _group(values: pa.Array, counts: np.ndarray) -> pa.Array:
    """Join consecutive runs of ``values`` (``counts`` long each) into one string per run."""
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), "")


def _upns(rng: np.random.Generator, n: int) -> np.ndarray:
    digits = rng.integers(0, 10, size=(n, 12))
    digits[:, :3] = [9, 3, 7]  # LA 937
    check = UPN_LETTERS[(digits * np.arange(2, 14)).sum(axis=1) % 23]
    return np.char.add(check, _digits_text(digits))


def _digits_text(digits: np.ndarray) -> np.ndarray:
    """Rows of single digits as strings, without a Python loop per row."""
    codes = (digits + ord("0")).astype(np.uint8)
    return codes.view(f"S{digits.shape[1]}").ravel().astype(str)


def _ulns(rng: np.random.Generator, n: int) -> np.ndarray:
    while True:
        digits = rng.integers(0, 10, size=(n, 10))
        digits[:, 0] = rng.integers(1, 10, size=n)
        remainder = (digits[:, :9] * np.arange(10, 1, -1)).sum(axis=1) % 11
        ok = remainder != 0
        digits[:, 9] = np.where(ok, 10 - remainder, 0) % 10
        if ok.all() or n == 0:
            return _digits_text(digits)
        # Rare: re-draw the rows whose remainder was 0 (no valid check digit).
        again = _ulns(rng, int((~ok).sum()))
        out = _digits_text(digits)
        out[~ok] = again
        return out


def generate(persons: int, seed: int = 2025) -> bytes:
    """A SEN2 return (2025 layout) of ``persons`` persons, as UTF-8 bytes."""
    rng = np.random.default_rng(seed)
    n = persons

    def days(lo: np.datetime64, hi: np.datetime64, size: int) -> np.ndarray:
        span = int((hi - lo) // np.timedelta64(1, "D"))
        return lo + rng.integers(0, span + 1, size).astype("timedelta64[D]")

    birth = days(np.datetime64("2000-09-01", "D"), np.datetime64("2020-08-31", "D"), n)
    person = _join(
        "<Person>",
        _element("Surname", _join("Family", _text(np.arange(n)))),
        _element("Forename", _join("Given", _text(np.arange(n)))),
        _element("PersonBirthDate", _iso(birth)),
        _element("Sex", _text(rng.choice(["M", "F"], n, p=[0.7, 0.3]))),
        _element("Ethnicity", _text(rng.choice(["WBRI", "MWBC", "ABAN", "BAFR", "WOTH"], n))),
        _element("PostCode", _join("ZZ", _text(rng.integers(1, 99, n)), " 9ZZ")),
        _element("UPN", _text(_upns(rng, n))),
        _element("UniqueLearnerNumber", _text(_ulns(rng, n)), birth < np.datetime64("2009-01-01")),
    )

    # Requests: the first of each person holds a historical plan (70%) or is a new request;
    # some persons have one or two more requests in the collection year.
    extra = rng.choice([0, 1, 2], n, p=[0.8, 0.17, 0.03])
    counts = 1 + extra
    r = int(counts.sum())
    owner = np.repeat(np.arange(n), counts)
    first = np.r_[True, owner[1:] != owner[:-1]]
    historical = first & (rng.random(r) < 0.7)
    received = days(YEAR_START - 60, YEAR_END, r)
    outcome = rng.choice(["Y", "N", "A", "W"], r, p=[0.72, 0.2, 0.05, 0.03])
    outcome = np.where(historical, "H", outcome)
    decided = np.isin(outcome, ["Y", "N"])
    received = np.minimum(received, REFERENCE - 10)
    decision = np.minimum(received + rng.integers(20, 70, r), REFERENCE - 1)
    assessed = rng.choice(["Y", "N", "A"], r, p=[0.85, 0.1, 0.05])
    assessment = np.where(historical, "H", np.where(outcome == "Y", assessed, ""))
    start_new = received + rng.integers(80, 420, r)
    issued = (assessment == "Y") & (start_new <= REFERENCE)
    assessment = np.where((assessment == "Y") & ~issued, "A", assessment)
    # A historical plan starts between the child's third birthday (or 2015) and last year.
    earliest = np.maximum(birth[owner] + 3 * 365, np.datetime64("2015-01-01", "D"))
    span = ((YEAR_START - 30) - earliest) // np.timedelta64(1, "D")
    start_old = earliest + (rng.random(r) * np.maximum(span, 1)).astype("timedelta64[D]")
    start = np.where(historical, start_old, start_new)
    has_plan = historical | issued
    ceased = has_plan & (rng.random(r) < 0.06)
    cease = np.minimum(start + rng.integers(60, 2000, r), REFERENCE - 5)
    ceased &= cease > start
    active = has_plan & ~ceased
    reviewed = active & (start < REFERENCE - 365)
    meeting = np.maximum(REFERENCE - rng.integers(20, 400, r), start + 200)
    decided_review = reviewed & (rng.random(r) < 0.8) & (meeting + 14 < REFERENCE)
    review_decision = np.minimum(meeting + rng.integers(5, 60, r), REFERENCE - 1)
    draft = review_decision + rng.integers(1, 20, r)
    amend = decided_review & (rng.random(r) < 0.3) & (draft < REFERENCE)
    phase = active & (rng.random(r) < 0.1)
    phase_due = np.where(
        rng.random(r) < 0.8, np.datetime64("2025-02-15", "D"), np.datetime64("2025-03-31", "D")
    )
    needs = rng.choice(["ASD", "SEMH", "SLCN", "MLD", "SPLD", "SLD", "PMLD", "HI", "VI"], r)
    setting = rng.choice(["URN", "UKPRN", "OLA", "EHE", "OTH"], r, p=[0.85, 0.08, 0.03, 0.02, 0.02])
    urn = _text(rng.integers(100000, 150000, r))
    setting_xml = pc.if_else(
        pa.array(setting == "URN"),
        _element("URN", urn),
        pc.if_else(
            pa.array(setting == "UKPRN"),
            _element("UKPRN", _text(rng.integers(10000000, 10099999, r))),
            _element("SENSetting", _text(setting)),
        ),
    )
    flags = _join(
        _element("SENunitIndicator", _text(rng.choice(["0", "1"], r, p=[0.95, 0.05]))),
        _element("ResourcedProvisionIndicator", _text(rng.choice(["0", "1"], r, p=[0.93, 0.07]))),
    )
    plan_detail = _join("<PlanDetail>", setting_xml, _element("PlacementRank", "1"), flags,
                        "</PlanDetail>")  # fmt: skip
    named_plan = _join(
        "<NamedPlan>",
        _element("StartDate", _iso(start)),
        plan_detail,
        _element("PB", _text(rng.choice(["0", "1"], r, p=[0.9, 0.1]))),
        _element("CeaseDate", _iso(cease), ceased),
        _element("CeaseReason", _text(rng.choice(list("12345679"), r)), ceased),
        "</NamedPlan>",
    )
    week20 = _text(rng.choice(["0", "1"], r, p=[0.94, 0.06]))
    assessment_xml = _join(
        "<Assessment>",
        _element("AssessmentOutcome", _text(assessment)),
        _element(
            "AssessmentOutcomeDate",
            _iso(np.where(issued, start_new, decision + 60)),
            np.isin(assessment, ["Y", "N"]),
        ),  # fmt: skip
        _element("Week20", week20, issued),
        pc.if_else(pa.array(has_plan), named_plan, ""),
        "</Assessment>",
    )
    placement = _join(
        "<PlacementDetail>", setting_xml, _element("PlacementRank", "1"),
        _element("EntryDate", _iso(start + 10)), flags, "</PlacementDetail>",
    )  # fmt: skip
    active_xml = _join(
        "<ActivePlans>",
        placement,
        "<SENneed>", _element("SENtype", _text(needs)), _element("SENtypeRank", "1"), "</SENneed>",
        _element("ReviewMeeting", _iso(meeting), reviewed),
        _element("LastReview", _iso(review_decision), decided_review),
        _element("ReviewOutcome", _text(np.where(amend, "A", "M")), decided_review),
        _element("ReviewDraft", _iso(draft), amend),
        _element("PhaseTransferDueDate", _iso(phase_due), phase),
        _element("PhaseTransferFinalDate", _iso(REFERENCE - rng.integers(1, 40, r)),
                 phase & (rng.random(r) < 0.5)),  # fmt: skip
        "</ActivePlans>",
    )  # fmt: skip
    source = rng.choice(list("12345"), r, p=[0.5, 0.35, 0.08, 0.04, 0.03])
    request = _join(
        "<Requests>",
        _element("ReceivedDate", _iso(received), ~historical),
        _element("RequestSource", _text(source), ~historical),
        _element("RYA", "0", ~historical),
        _element("RequestOutcomeDate", _iso(decision), decided),
        _element("RequestOutcome", _text(outcome)),
        pc.if_else(pa.array(historical | (outcome == "Y")), assessment_xml, ""),
        pc.if_else(pa.array(active), active_xml, ""),
        "</Requests>",
    )
    persons_xml = _join(person, _group(request, counts), "</Person>\n")
    header = (
        "<?xml version='1.0' encoding='utf-8'?>\n<Message><Header><CollectionDetails>"
        "<Collection>SEN2</Collection><Year>2025</Year>"
        f"<ReferenceDate>{REFERENCE}</ReferenceDate></CollectionDetails><Source>"
        "<SourceLevel>L</SourceLevel><LEA>937</LEA><SoftwareCode>synthetic</SoftwareCode>"
        "<Release>1</Release><SerialNo>001</SerialNo><DateTime>2025-01-20T09:00:00</DateTime>"
        "<DMO>Y</DMO><DCO>Y</DCO><DSCO>Y</DSCO></Source></Header><Persons>\n"
    )
    body = "".join(persons_xml.to_pylist())
    return (header + body + "</Persons></Message>\n").encode("utf-8")


def timed(argv: list[str]) -> tuple[float, float, float]:
    """Run argv; return (wall seconds, CPU seconds (user + system), peak RSS in MB).

    On a shared machine the wall time grows with everyone else's load; the CPU time much
    less so, and on an idle machine the two are about equal (the work is one thread)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


READ_ONLY = (
    "import sys\nfrom pathlib import Path\n"
    "from ehcp_timeliness.read.pseudonym import PseudonymKey\n"
    "from ehcp_timeliness.read.sen2 import read_sen2\n"
    "from ehcp_timeliness.read.sen2_data import to_tables\n"
    "data = read_sen2(Path(sys.argv[1]), PseudonymKey(b'benchmark-key-0123456789', 'bench'))\n"
    "to_tables(data, data.reference_date)\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=150_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--generate-only", type=Path, metavar="FILE")
    args = parser.parse_args()
    if args.generate_only is not None:
        args.generate_only.write_bytes(generate(args.persons))
        return
    path = HERE / "data" / f"sen2_{args.persons}.xml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        # In a child: a run started from a process that once held the file would report that
        # process's peak as its own (Linux carries the peak RSS across fork and exec).
        subprocess.run([sys.executable, __file__, "--persons", str(args.persons),
                        "--generate-only", str(path)], check=True)  # fmt: skip
        print(f"generated {path} in {time.perf_counter() - t:.1f}s")
    print(f"file: {path.stat().st_size / 2**20:,.0f} MB, {args.persons:,} persons")
    os.environ["EHCP_PSEUDONYM_KEY"] = "benchmark-key-0123456789"
    ehcp = str(Path(sys.executable).parent / "ehcp")
    runs: dict[str, list[tuple[float, float, float]]] = {"read + map": [], "ehcp validate": []}
    for i in range(args.repeat):  # interleaved, so drift hits both alike
        runs["read + map"].append(timed([sys.executable, "-c", READ_ONLY, str(path)]))
        runs["ehcp validate"].append(timed([ehcp, "validate", str(path)]))
        print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f}s (CPU {v[-1][1]:.2f}s)"
                                           for k, v in runs.items()))  # fmt: skip
    print(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name, got in runs.items():
        walls, cpus = [w for w, _, _ in got], [c for _, c, _ in got]
        print(f"{name:>14}: wall median {statistics.median(walls):.2f}s (range {min(walls):.2f}-"
              f"{max(walls):.2f}s), CPU median {statistics.median(cpus):.2f}s, over "
              f"{len(got)} runs; peak RSS {max(m for _, _, m in got):,.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
