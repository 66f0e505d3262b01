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

from array import array
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from lxml import etree

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.pseudonym import PseudonymKey
from ehcp_timeliness.read.sen2_data import Notes, Sen2Data, derive_ages, identify
from ehcp_timeliness.read.sen2_spec import (
    ACTIVE_PLANS,
    ASSESSMENT,
    HEADER,
    NAMED_PLAN,
    PATHS,
    PERSON,
    PLACEMENT_DETAIL,
    PLAN_DETAIL,
    REQUESTS,
    SEN_NEED,
    order_markers,
)

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


class _Log:
    """One record type's values as a flat log: for each value, one integer for the record and
    the element (``record * width + element``) and one for its text (its place in the
    reader's dictionary of distinct texts). Two appends per element are all the per-element
    Python there is; repeats, columns and nulls are worked out at the end, column by column,
    and each distinct text is held once however often it occurs."""

    __slots__ = ("names", "ids", "width", "codes", "values", "n", "ints")

    def __init__(self, names: list[str], *ints: str) -> None:
        self.names = names
        self.ids = {name: i for i, name in enumerate(names)}
        self.width = max(len(names), 1)
        self.codes = array("q")
        self.values = array("i")
        self.n = 0
        self.ints = {name: array("q") for name in ints}

    def context(self, prefix: str, names: tuple[str, ...]) -> dict[str, int]:
        """Element name -> id, for the elements of one record nested under ``prefix``."""
        return {name: self.ids[prefix + name] for name in names}

    def frame(self, texts: pa.Array, repeated: Callable[[str, np.ndarray], None]) -> pd.DataFrame:
        """The records as a frame: the integer columns, then one Arrow text column per
        element (null where a record has none), its values looked up in ``texts``.
        ``repeated(name, records)`` hears of the records that had an element twice (the
        first is kept)."""
        n, width = self.n, self.width
        out: dict[str, object] = {k: _ints(v) for k, v in self.ints.items()}
        codes = _ints(self.codes)
        values = _ints(self.values)
        if len(codes) and np.bincount(codes).max() > 1:  # an element twice in one record
            twice = pd.Series(codes).duplicated().to_numpy()
            rows, keys = np.divmod(codes[twice], width)
            for key in np.unique(keys):
                repeated(self.names[key], rows[keys == key])
            codes, values = codes[~twice], values[~twice]
        rows, keys = np.divmod(codes, width)
        for key, name in enumerate(self.names):
            mine = keys == key
            if mine.all() and len(codes) == n:  # one element only, in every record, in order
                at = values
            else:
                at = np.full(n, -1, dtype=np.int64)
                at[rows[mine]] = values[mine]
            out[name] = pd.arrays.ArrowStringArray(texts.take(pa.array(at, mask=at < 0)))
        return pd.DataFrame(out, index=pd.RangeIndex(n))


def _ints(values: array) -> np.ndarray:
    """An array module array as numpy, without a copy."""
    kind = np.int32 if values.typecode == "i" else np.int64
    return np.frombuffer(values, dtype=kind) if len(values) else np.zeros(0, dtype=kind)


def _names(prefix: str, names: tuple[str, ...]) -> list[str]:
    return [prefix + name for name in names]


#: Every column of the requests record: its own elements, then its Assessment's, NamedPlan's
#: and ActivePlans', each container with a column of its own ("1" where present).
REQUEST_NAMES = [
    *REQUESTS, "Assessment", *_names("Assessment/", ASSESSMENT), "Assessment/NamedPlan",
    *_names("Assessment/NamedPlan/", NAMED_PLAN), "ActivePlans",
    *_names("ActivePlans/", ACTIVE_PLANS),
]  # fmt: skip


class _Reader:
    def __init__(self, path: Path, key: PseudonymKey) -> None:
        self.path, self.key = path, key
        self.notes = Notes(str(path))
        self.header: dict[str, str] = {}
        self.persons = _Log(list(PERSON), "_person")
        self.requests = _Log(REQUEST_NAMES, "_person", "_request", "_k")
        self.plan_detail = _Log(list(PLAN_DETAIL), "_person", "_request")
        self.placement_detail = _Log(list(PLACEMENT_DETAIL), "_person", "_request")
        self.sen_need = _Log(list(SEN_NEED), "_person", "_request")
        r = self.requests
        self.in_person = self.persons.context("", PERSON)
        self.in_request = r.context("", REQUESTS)
        self.in_assessment = r.context("Assessment/", ASSESSMENT)
        self.in_named = r.context("Assessment/NamedPlan/", NAMED_PLAN)
        self.in_active = r.context("ActivePlans/", ACTIVE_PLANS)
        self.in_plan_detail = self.plan_detail.context("", PLAN_DETAIL)
        self.in_placement = self.placement_detail.context("", PLACEMENT_DETAIL)
        self.in_need = self.sen_need.context("", SEN_NEED)
        self.unknown: dict[str, list[int | None]] = {}  # path -> [count, first row]
        self.repeated: dict[str, list[int | None]] = {}
        self.orders: set[str] = set()
        #: Every distinct text read, by its number (the logs hold numbers, not texts).
        self.strings: dict[str, int] = {"": 0, "1": 1}
        self.row = 0  # the person being read
        self.rid = 0  # the request being read
        self.k = 0  # its place among the person's requests
        self._holds: dict[int, int] = {}  # container -> the last request holding it

    # -- findings ---------------------------------------------------------------------

    def _unknown(self, path: str, row: int | None) -> None:
        seen = self.unknown.setdefault(path, [0, row])
        seen[0] = int(seen[0] or 0) + 1

    def _repeat(self, path: str, row: int | None, count: int = 1) -> None:
        seen = self.repeated.setdefault(path, [0, row])
        seen[0] = int(seen[0] or 0) + count

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

    def _record(self, log: _Log, el: etree._Element, context: dict[str, int], record: int,
                base: str, nested: dict[str, Callable] | None = None) -> None:  # fmt: skip
        """Log the elements of one record (``el``'s children) against ``record``; children
        that are records themselves go to ``nested``; the rest are unknown."""
        codes, values = log.codes.append, log.values.append
        offset = record * log.width
        strings = self.strings
        for child in el:
            tag = child.tag
            key = context.get(tag)
            if key is None:  # a record, a namespaced or oddly cased name, or unknown
                if nested is not None and tag in nested:
                    nested[tag](child)
                    continue
                name = _name(tag)
                if name is None:
                    continue
                key = context.get(name)
                if key is None:
                    if nested is not None and name in nested:
                        nested[name](child)
                    else:
                        self._unknown(f"{base}/{name}", self.row)
                    continue
            text = child.text
            if text:
                number = strings.get(text)
                if number is None:
                    number = strings[text] = len(strings)
            else:
                number = 0  # ""
            codes(offset + key)
            values(number)

    def _flag(self, name: str) -> bool:
        """Mark the current request as holding the container ``name``; False if it already
        does (the second is then not read)."""
        log = self.requests
        key = log.ids[name]
        if self._holds.get(key) == self.rid:
            self._repeat(f"Person/Requests/{name}", self.row)
            return False
        self._holds[key] = self.rid
        log.codes.append(self.rid * log.width + key)
        log.values.append(1)  # "1"
        return True

    def person(self, person: etree._Element, row: int) -> None:
        log = self.persons
        i = log.n
        log.n += 1
        log.ints["_person"].append(row)
        self.row, self.k = row, 0
        self._record(log, person, self.in_person, i, "Person", {"Requests": self.request})

    def request(self, el: etree._Element) -> None:
        log = self.requests
        self.rid = rid = log.n
        log.n += 1
        self.k += 1
        ints = log.ints
        ints["_person"].append(self.row)
        ints["_request"].append(rid)
        ints["_k"].append(self.k)
        self._record(log, el, self.in_request, rid, "Person/Requests",
                     {"Assessment": self.assessment, "ActivePlans": self.active})  # fmt: skip

    def assessment(self, el: etree._Element) -> None:
        if self._flag("Assessment"):
            self._record(self.requests, el, self.in_assessment, self.rid,
                         "Person/Requests/Assessment", {"NamedPlan": self.named_plan})  # fmt: skip

    def named_plan(self, el: etree._Element) -> None:
        if self._flag("Assessment/NamedPlan"):
            self._record(self.requests, el, self.in_named, self.rid,
                         "Person/Requests/Assessment/NamedPlan",
                         {"PlanDetail": self.plan_details})  # fmt: skip

    def active(self, el: etree._Element) -> None:
        if not self._flag("ActivePlans"):
            return
        self._record(self.requests, el, self.in_active, self.rid, "Person/Requests/ActivePlans",
                     {"PlacementDetail": self.placements, "SENneed": self.needs})  # fmt: skip
        tags = [c.tag for c in el]
        if el.tag[0] == "{":  # a namespaced file: compare local names
            tags = [_name(t) for t in tags]
        self.orders |= order_markers(tags)

    def _repeating(self, log: _Log, el: etree._Element, context: dict[str, int],
                   base: str) -> None:  # fmt: skip
        i = log.n
        log.n += 1
        log.ints["_person"].append(self.row)
        log.ints["_request"].append(self.rid)
        self._record(log, el, context, i, base)

    def plan_details(self, el: etree._Element) -> None:
        self._repeating(self.plan_detail, el, self.in_plan_detail,
                        "Person/Requests/Assessment/NamedPlan/PlanDetail")  # fmt: skip

    def placements(self, el: etree._Element) -> None:
        self._repeating(self.placement_detail, el, self.in_placement,
                        "Person/Requests/ActivePlans/PlacementDetail")  # fmt: skip

    def needs(self, el: etree._Element) -> None:
        self._repeating(self.sen_need, el, self.in_need, "Person/Requests/ActivePlans/SENneed")

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
                if event == "start":
                    if not checked:  # the first event: the prolog and DOCTYPE are behind us
                        checked = True
                        root = elem.getroottree().getroot()
                        _refuse_doctype(path, root)
                        if _name(root.tag) != "Message":
                            raise InputError(_not_sen2(path, root.tag))
                    continue
                tag = elem.tag
                name = tag if tag == "Person" else _name(tag)
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

    def _frame(self, log: _Log, base: str, texts: pa.Array) -> pd.DataFrame:
        person = log.ints["_person"]

        def repeated(name: str, records: np.ndarray) -> None:
            self._repeat(f"{base}/{name}", int(person[int(records[0])]), len(records))

        return log.frame(texts, repeated)

    def data(self) -> Sen2Data:
        texts = pa.array(list(self.strings), type=pa.large_string())
        self.strings = {}  # with the names and identifiers among them
        raw_persons = self._frame(self.persons, "Person", texts)
        self.persons = _Log([])
        persons = identify(raw_persons, self.key)
        del raw_persons  # the identifying text goes no further
        requests = self._frame(self.requests, "Person/Requests", texts)
        persons, requests = derive_ages(persons, requests)  # and the birth date no further
        plan_detail = self._frame(self.plan_detail, PATHS["plan_detail"], texts)
        detail = self._frame(self.placement_detail, PATHS["placement_detail"], texts)
        sen_need = self._frame(self.sen_need, PATHS["sen_need"], texts)
        del texts
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
        markers = {f"Header/{k}" for k in self.header} | self.orders
        for prefix, frame in (
            ("Person", persons),
            ("Person/Requests", requests),
            ("Person/Requests/ActivePlans/PlacementDetail", detail),
        ):
            markers |= {f"{prefix}/{c}" for c in frame.columns if frame[c].notna().any()}
        return Sen2Data(
            file=str(self.path),
            source="xml",
            header=self.header,
            persons=persons,
            requests=requests,
            plan_detail=plan_detail,
            placement_detail=detail,
            sen_need=sen_need,
            findings=self.notes.frame(),
            markers=markers,
            key=self.key,
        )


def _table(path: str) -> str:
    if path.startswith("Header") or "/" not in path:
        return "return"
    return "requests" if "/Requests" in path else "persons"


def _parent_name(elem: etree._Element) -> str | None:
    parent = elem.getparent()
    if parent is None:
        return None
    tag = parent.tag
    return tag if tag == "Persons" else _name(tag)


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
    hint = ""
    if kind in ("ERR_INVALID_CHAR", "ERR_INVALID_ENCODING", "ERR_UNSUPPORTED_ENCODING"):
        hint = "; its bytes do not match its declared encoding (UTF-8 unless it says otherwise)"
    return f"{path}: not well-formed XML at line {line}, column {column} ({kind}{hint})"


def read_sen2(path: Path, key: PseudonymKey) -> Sen2Data:
    """Read a SEN2 XML return into text tables, its identifiers replaced by pseudonyms."""
    reader = _Reader(path, key)
    reader.parse()
    return reader.data()
