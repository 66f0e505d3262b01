"""Reading a SEN2 XML return, safely and in bounded memory.

The file is parsed with ``lxml.etree.iterparse``: each ``Person`` is read when its end tag
arrives and then cleared, with the siblings before it, so memory holds one person's elements
at a time plus the text tables being built. The parser resolves no entities, loads no DTD,
makes no network access and keeps libxml2's limits on depth and text size (``huge_tree``
off). SEN2 never has a DOCTYPE, so a file that declares one (the carrier of external entities
and entity-expansion bombs) is refused before any of its content is read: an
:class:`~ehcp_timeliness.errors.InputError`, exit code 3.

Identifiers (names, birth date, postcode, UPN, ULN) are collected for one step only:
:func:`~ehcp_timeliness.read.sen2_data.identify` turns them into a pseudonym, a birth date
for ages, and descriptions of what is wrong, and the text is dropped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from lxml import etree

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.pseudonym import PseudonymKey
from ehcp_timeliness.read.sen2_data import Notes, Sen2Data, derive_ages, identify
from ehcp_timeliness.sen2_spec import (
    ACTIVE_PLANS,
    ASSESSMENT,
    HEADER,
    NAMED_PLAN,
    ORDER_MARKERS,
    PERSON,
    PLACEMENT_DETAIL,
    PLAN_DETAIL,
    REQUESTS,
    SEN_NEED,
)

_PERSON = frozenset(PERSON)
_REQUESTS = frozenset(REQUESTS)
_ASSESSMENT = frozenset(ASSESSMENT)
_NAMED_PLAN = frozenset(NAMED_PLAN)
_ACTIVE = frozenset(ACTIVE_PLANS)
_PLAN_DETAIL = frozenset(PLAN_DETAIL)
_PLACEMENT = frozenset(PLACEMENT_DETAIL)
_NEED = frozenset(SEN_NEED)
_ORDERED = frozenset(t for pair in ORDER_MARKERS for t in pair)
#: Every element name SEN2 uses, by its case-folded spelling: a file that writes ``SENType``
#: for ``SENtype`` is read, not flagged.
_CANONICAL = {
    name.casefold(): name
    for names in (PERSON, REQUESTS, ASSESSMENT, NAMED_PLAN, ACTIVE_PLANS, PLAN_DETAIL,
                  PLACEMENT_DETAIL, SEN_NEED, *HEADER.values(), tuple(HEADER))
    for name in names
} | {t.casefold(): t for t in ("Requests", "Assessment", "NamedPlan", "PlanDetail",
                                "ActivePlans", "PlacementDetail", "SENneed", "Persons",
                                "Person", "Header", "Message")}  # fmt: skip


def _name(tag: object) -> str | None:
    """An element's SEN2 name: namespace dropped, case as the spec spells it. None for
    comments and processing instructions."""
    if not isinstance(tag, str):
        return None
    if tag.startswith("{"):
        tag = tag.split("}", 1)[1]
    return _CANONICAL.get(tag.casefold(), tag)


class _Reader:
    def __init__(self, path: Path, key: PseudonymKey) -> None:
        self.path, self.key = path, key
        self.notes = Notes(str(path))
        self.header: dict[str, str] = {}
        self.persons: list[dict[str, object]] = []
        self.requests: list[dict[str, object]] = []
        self.plan_detail: list[dict[str, object]] = []
        self.placement_detail: list[dict[str, object]] = []
        self.sen_need: list[dict[str, object]] = []
        self.unknown: dict[str, list[int | None]] = {}  # path -> [count, first row]
        self.repeated: dict[str, list[int | None]] = {}
        self.orders: set[str] = set()

    # -- findings ---------------------------------------------------------------------

    def _unknown(self, path: str, row: int | None) -> None:
        seen = self.unknown.setdefault(path, [0, row])
        seen[0] = int(seen[0] or 0) + 1

    def _repeat(self, path: str, row: int | None) -> None:
        seen = self.repeated.setdefault(path, [0, row])
        seen[0] = int(seen[0] or 0) + 1

    def _set(self, record: dict[str, object], key: str, value: str, path: str, row: int) -> None:
        if key in record:
            self._repeat(path, row)
        else:
            record[key] = value

    # -- records ----------------------------------------------------------------------

    def header_done(self, header: etree._Element) -> None:
        for group in header:
            g = _name(group.tag)
            if g is None:
                continue
            if g not in HEADER:
                self._unknown(f"Header/{g}", None)
                continue
            for el in group:
                t = _name(el.tag)
                if t is None:
                    continue
                if t in HEADER[g]:
                    self.header.setdefault(f"{g}/{t}", (el.text or "").strip())
                else:
                    self._unknown(f"Header/{g}/{t}", None)

    def person(self, person: etree._Element, row: int) -> None:
        record: dict[str, object] = {"_person": row}
        k = 0
        for el in person:
            tag = el.tag
            if tag == "Requests":
                k += 1
                self.request(el, row, k)
            elif tag in _PERSON:
                self._set(record, tag, el.text or "", f"Person/{tag}", row)
            else:
                name = _name(tag)
                if name is None:
                    continue
                if name == "Requests":
                    k += 1
                    self.request(el, row, k)
                elif name in _PERSON:
                    self._set(record, name, el.text or "", f"Person/{name}", row)
                else:
                    self._unknown(f"Person/{name}", row)
        self.persons.append(record)

    def request(self, req: etree._Element, row: int, k: int) -> None:
        rid = len(self.requests)
        record: dict[str, object] = {"_person": row, "_request": rid, "_k": k}
        for el in req:
            tag = el.tag
            if tag in _REQUESTS:
                self._set(record, tag, el.text or "", f"Person/Requests/{tag}", row)
                continue
            name = tag if tag in ("Assessment", "ActivePlans") else _name(tag)
            if name == "Assessment":
                if "Assessment" in record:
                    self._repeat("Person/Requests/Assessment", row)
                    continue
                record["Assessment"] = "1"
                self.assessment(el, record, row, rid)
            elif name == "ActivePlans":
                if "ActivePlans" in record:
                    self._repeat("Person/Requests/ActivePlans", row)
                    continue
                record["ActivePlans"] = "1"
                self.active(el, record, row, rid)
            elif name in _REQUESTS:
                self._set(record, name, el.text or "", f"Person/Requests/{name}", row)
            elif name is not None:
                self._unknown(f"Person/Requests/{name}", row)
        self.requests.append(record)

    def assessment(self, el: etree._Element, record: dict, row: int, rid: int) -> None:
        for child in el:
            name = _name(child.tag)
            if name in _ASSESSMENT:
                self._set(record, f"Assessment/{name}", child.text or "",
                          f"Person/Requests/Assessment/{name}", row)  # fmt: skip
            elif name == "NamedPlan":
                if "Assessment/NamedPlan" in record:
                    self._repeat("Person/Requests/Assessment/NamedPlan", row)
                    continue
                record["Assessment/NamedPlan"] = "1"
                self.named_plan(child, record, row, rid)
            elif name is not None:
                self._unknown(f"Person/Requests/Assessment/{name}", row)

    def named_plan(self, el: etree._Element, record: dict, row: int, rid: int) -> None:
        base = "Person/Requests/Assessment/NamedPlan"
        for child in el:
            name = _name(child.tag)
            if name in _NAMED_PLAN:
                self._set(record, f"Assessment/NamedPlan/{name}", child.text or "",
                          f"{base}/{name}", row)  # fmt: skip
            elif name == "PlanDetail":
                self.plan_detail.append(self.leaves(child, _PLAN_DETAIL, f"{base}/PlanDetail",
                                                    row, rid))  # fmt: skip
            elif name is not None:
                self._unknown(f"{base}/{name}", row)

    def active(self, el: etree._Element, record: dict, row: int, rid: int) -> None:
        base = "Person/Requests/ActivePlans"
        order: list[str] = []
        for child in el:
            name = _name(child.tag)
            if name in _ACTIVE:
                self._set(record, f"ActivePlans/{name}", child.text or "", f"{base}/{name}", row)
                if name in _ORDERED:
                    order.append(name)
            elif name == "PlacementDetail":
                self.placement_detail.append(
                    self.leaves(child, _PLACEMENT, f"{base}/PlacementDetail", row, rid)
                )
            elif name == "SENneed":
                self.sen_need.append(self.leaves(child, _NEED, f"{base}/SENneed", row, rid))
            elif name is not None:
                self._unknown(f"{base}/{name}", row)
        if len(order) > 1 and "LastReview" in order:
            at = order.index("LastReview")
            for other in order:
                if other != "LastReview":
                    pair = (("LastReview", other) if order.index(other) > at
                            else (other, "LastReview"))  # fmt: skip
                    if pair in ORDER_MARKERS:
                        self.orders.add(ORDER_MARKERS[pair])

    def leaves(self, el: etree._Element, allowed: frozenset[str], base: str, row: int,
               rid: int) -> dict[str, object]:  # fmt: skip
        record: dict[str, object] = {"_person": row, "_request": rid}
        for child in el:
            name = _name(child.tag)
            if name in allowed:
                self._set(record, name, child.text or "", f"{base}/{name}", row)
            elif name is not None:
                self._unknown(f"{base}/{name}", row)
        return record

    # -- the file ---------------------------------------------------------------------

    def parse(self) -> None:
        path = self.path
        events = etree.iterparse(
            str(path),
            events=("start", "end"),
            tag=("{*}Message", "{*}Header", "{*}Person"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
        )
        rows, checked = 0, False
        try:
            for event, elem in events:
                name = _name(elem.tag)
                if not checked:  # the first event: the prolog and DOCTYPE are behind us
                    checked = True
                    root = elem.getroottree().getroot()
                    _refuse_doctype(path, root)
                    if _name(root.tag) != "Message":
                        raise InputError(_not_sen2(path, root.tag))
                if event == "start":
                    continue
                if name == "Header" and _parent_name(elem) == "Message":
                    self.header_done(elem)
                elif name == "Person" and _parent_name(elem) == "Persons":
                    rows += 1
                    self.person(elem, rows)
                else:
                    continue
                parent = elem.getparent()
                elem.clear(keep_tail=False)
                while elem.getprevious() is not None:  # what came before: read, or unknown
                    before = elem.getprevious()
                    other = _name(before.tag)
                    if other not in (None, "Person", "Header"):
                        self._unknown(f"{_path_of(parent)}/{other}", None)
                    del parent[0]
            root = events.root
        except etree.XMLSyntaxError as exc:
            raise InputError(_syntax(path, exc)) from None
        if root is not None:
            _refuse_doctype(path, root)
        if root is None or _name(root.tag) != "Message":
            raise InputError(_not_sen2(path, None if root is None else root.tag))
        for child in root:  # what is left beside Header and Persons
            name = _name(child.tag)
            if name == "Persons":
                for other in child:
                    if _name(other.tag) not in (None, "Person"):
                        self._unknown(f"Persons/{_name(other.tag)}", None)
            elif name not in (None, "Header"):
                self._unknown(name, None)

    def data(self) -> Sen2Data:
        for kind, seen in (("unknown", self.unknown), ("repeated", self.repeated)):
            for path, (count, first) in seen.items():
                where = f"first at row {first}, {count:,} in all" if first else f"{count:,}"
                if kind == "unknown":
                    self.notes.add(_table(path), first, path, "sen2-unknown-element",
                                   f"not an element of any SEN2 layout (2023 to 2026); it is "
                                   f"not read ({where})")  # fmt: skip
                else:
                    self.notes.add(_table(path), first, path, "sen2-repeated-element",
                                   f"appears more than once where SEN2 allows one; the first "
                                   f"is used ({where})")  # fmt: skip
        raw_persons = _frame(self.persons, ["_person", *PERSON])
        self.persons = []
        persons = identify(raw_persons, self.key)
        del raw_persons  # the identifying text goes no further
        requests = _frame(self.requests, ["_person", "_request", "_k", *REQUESTS])
        persons, requests = derive_ages(persons, requests)  # and the birth date no further
        markers = {f"Header/{k}" for k in self.header} | self.orders
        for prefix, frame in (("Person", persons), ("Person/Requests", requests)):
            markers |= {f"{prefix}/{c}" for c in frame.columns if frame[c].notna().any()}
        detail = _frame(self.placement_detail, ["_person", "_request", *PLACEMENT_DETAIL])
        markers |= {f"Person/Requests/ActivePlans/PlacementDetail/{c}" for c in detail.columns
                    if detail[c].notna().any()}  # fmt: skip
        return Sen2Data(
            file=str(self.path),
            source="xml",
            header=self.header,
            persons=persons,
            requests=requests,
            plan_detail=_frame(self.plan_detail, ["_person", "_request", *PLAN_DETAIL]),
            placement_detail=detail,
            sen_need=_frame(self.sen_need, ["_person", "_request", *SEN_NEED]),
            findings=self.notes.frame(),
            markers=markers,
            key=self.key,
        )


def _frame(records: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    """Records as a frame with at least ``columns``; None (not NaN) where a record has no
    value."""
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    for c in columns:
        if c not in frame.columns:
            frame[c] = None
    extra = [c for c in frame.columns if c not in columns]
    frame = frame[[*columns, *extra]]
    text = [c for c in frame.columns if not c.startswith("_")]
    frame[text] = frame[text].astype(object).where(frame[text].notna(), None)
    return frame


def _table(path: str) -> str:
    if path.startswith("Header") or "/" not in path:
        return "return"
    return "requests" if "/Requests" in path else "persons"


def _parent_name(elem: etree._Element) -> str | None:
    parent = elem.getparent()
    return None if parent is None else _name(parent.tag)


def _path_of(elem: etree._Element | None) -> str:
    names = []
    while elem is not None:
        names.append(_name(elem.tag) or "")
        elem = elem.getparent()
    return "/".join(reversed(names[:-1])) or "Message"


def _refuse_doctype(path: Path, root: etree._Element) -> None:
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise InputError(
            f"{path}: declares a DOCTYPE; a SEN2 return never has one, and a DOCTYPE is how "
            "external entities and entity-expansion attacks get in, so the file is not read"
        )


def _not_sen2(path: Path, tag: object) -> str:
    what = f"its root element is <{_name(tag)}>" if tag is not None else "it has no elements"
    return f"{path}: not a SEN2 return ({what}, not <Message>)"


def _syntax(path: Path, exc: etree.XMLSyntaxError) -> str:
    """Where the XML breaks, and the kind of fault, without the parser's message (which can
    quote the text around the fault: a name, a UPN)."""
    entry = exc.error_log.last_error if exc.error_log else None
    kind = entry.type_name if entry is not None else "ERR"
    line, column = exc.position if exc.position else (exc.lineno, 0)
    if kind in ("ERR_UNDECLARED_ENTITY", "WAR_UNDECLARED_ENTITY", "ERR_ENTITY_LOOP",
                "ERR_RESOURCE_LIMIT", "ERR_ENTITY_AMPLIFICATION"):  # fmt: skip
        return (f"{path}: refers to entities at line {line}; a SEN2 return has none, so the "
                f"file is not read ({kind})")  # fmt: skip
    return f"{path}: not well-formed XML at line {line}, column {column} ({kind})"


def read_sen2(path: Path, key: PseudonymKey) -> Sen2Data:
    """Read a SEN2 XML return into text tables, its identifiers replaced by pseudonyms."""
    reader = _Reader(path, key)
    reader.parse()
    return reader.data()
