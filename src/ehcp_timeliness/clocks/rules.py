"""Statutory timescale rules, kept as data in TOML files and read into pydantic models.

The built-in rules are ``rules/*.toml`` at the top of the repository (installed as the
``ehcp_timeliness.builtin_rules`` package). ``--rules DIR`` adds rules, or replaces a built-in
rule that has the same ``id``, without code changes. Unknown keys are errors.
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ehcp_timeliness.config import describe, parse_toml, read_text
from ehcp_timeliness.errors import RulesError
from ehcp_timeliness.history import TRANSFER_MONTHS, History
from ehcp_timeliness.limits import (
    MAX_LIMIT_DAYS,
    MAX_LIMIT_MONTHS,
    MAX_LIMIT_WEEKS,
    MAX_RULE_FILES,
    MAX_RULES,
)
from ehcp_timeliness.validate.schema import Kind, columns

SCHEMA_VERSION = 1


class _Strict(BaseModel):
    # strict: TOML has real integers, booleans and strings, so ``weeks = "14"`` or
    # ``weeks = 1e15`` is a mistake to report, not a value to coerce.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)


class Limit(_Strict):
    """Exactly one of weeks, days or months, each at most ten years (so a due date is always a
    real date)."""

    weeks: int | None = Field(None, gt=0, le=MAX_LIMIT_WEEKS)
    days: int | None = Field(None, gt=0, le=MAX_LIMIT_DAYS)
    months: int | None = Field(None, gt=0, le=MAX_LIMIT_MONTHS)

    @model_validator(mode="after")
    def _exactly_one(self) -> Limit:
        given = [k for k in ("weeks", "days", "months") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("limit takes exactly one of weeks, days or months")
        return self

    @property
    def total_days(self) -> int | None:
        """The limit in days, or None for a limit in calendar months."""
        if self.weeks is not None:
            return 7 * self.weeks
        return self.days

    def __str__(self) -> str:
        for unit in ("weeks", "days", "months"):
            n = getattr(self, unit)
            if n is not None:
                return f"{n} {unit[:-1] if n == 1 else unit}"
        return ""


class Condition(_Strict):
    """A record is in scope when its coded ``column`` is (or is not) one of some codes.

    ``not_in`` lets blanks through (an unrecorded outcome is not a reason to leave a record
    out); ``in`` does not.
    """

    column: str
    in_: list[str] | None = Field(None, alias="in")
    not_in: list[str] | None = None
    present: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        if sum(x is not None for x in (self.in_, self.not_in, self.present)) != 1:
            raise ValueError("a condition takes exactly one of in, not_in or present")
        return self


class _Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    #: A few words for a board page or a chart's legend ("Plans within 20 weeks"); the title
    #: where not given.
    short: str | None = Field(None, max_length=60)
    citation: str
    table: Literal["requests", "plans", "tribunal_orders"]
    stop: str
    #: Other date columns that also stop the clock: the earliest of them and ``stop`` counts.
    also_stops: list[str] = []
    applies: list[Condition] = []
    #: Conditions of which at least one must hold too (none given: no such test).
    applies_any: list[Condition] = []
    enabled: bool = True
    #: plans only: a plan's ``cease_date`` ends the clock. Ceased on or before the due date
    #: with the clock not stopped: nothing more is owed (``not-owed``); after it: the case
    #: stays a breach (``overdue``), its days over counted to the cease date.
    ceases_with_plan: bool = True
    #: plans only: a plan that ceased on the due date itself owes nothing (``not-owed``), or
    #: was still maintained that day and so missed the deadline (``missed``).
    ceased_on_due_date: Literal["not-owed", "missed"] = "not-owed"

    @model_validator(mode="after")
    def _columns_exist(self) -> _Rule:
        known = columns(self.table)
        for name in self._date_columns():
            if name not in known or known[name].kind is not Kind.DATE:
                raise ValueError(f"{name!r} is not a date column of the {self.table} table")
        for cond in [*self.applies, *self.applies_any]:
            if cond.column not in known:
                raise ValueError(f"applies: {cond.column!r} is not a {self.table} column")
        return self

    def _date_columns(self) -> list[str]:
        return [self.stop, *self.also_stops]

    @property
    def label(self) -> str:
        """The short name where the rule has one, else its title."""
        return self.short or self.title

    @property
    def limit_text(self) -> str:
        raise NotImplementedError


class _TimedRule(_Rule):
    """A rule due a fixed time after a start date."""

    start: str
    limit: Limit
    reading: Literal["starting-with", "anniversary"] = "starting-with"

    def _date_columns(self) -> list[str]:
        return [self.start, self.stop, *self.also_stops]


class IntervalRule(_TimedRule):
    """Due a fixed time after the start date: met when the stop date is on or before it."""

    kind: Literal["interval"]
    #: A 1/0 column excusing a missed deadline: the case list carries it, and the monthly
    #: trend gives the rate with and without the cases it flags.
    exception: str | None = None

    @model_validator(mode="after")
    def _exception_exists(self) -> IntervalRule:
        if self.exception is not None and self.exception not in columns(self.table):
            raise ValueError(f"exception: {self.exception!r} is not a {self.table} column")
        return self

    @property
    def limit_text(self) -> str:
        return str(self.limit)


class ReviewChainRule(_TimedRule):
    """Each review meeting is due within the period starting with the previous link of the
    chain (the plan's issue date, then each meeting); after the last, the next is pending."""

    kind: Literal["review-chain"]
    table: Literal["plans"] = "plans"
    #: What the extract holds: every review (``full``), only each plan's latest (``latest-only``,
    #: as SEN2 does), or decide from the data (``auto``). A link the history cannot vouch for is
    #: ``unknown`` rather than late (see :mod:`ehcp_timeliness.history`).
    history: History = "auto"
    #: Months from ``transfer_in_date`` within which the first review after a transfer from
    #: another council may fall, if later than the usual due date (reg 15(5)(b): 3); 0: none.
    transfer_months: int = Field(TRANSFER_MONTHS, ge=0)

    @model_validator(mode="after")
    def _held_on_its_meeting_date(self) -> ReviewChainRule:
        if self.also_stops:  # a review is held on the day of its meeting, and on no other
            raise ValueError("also_stops does not apply to a review-chain rule")
        return self

    @property
    def limit_text(self) -> str:
        return f"{self.limit}, {self.reading} reading"


class DeadlineRule(_Rule):
    """Due on a date held in a column ("before 15 February" of the transfer year)."""

    kind: Literal["deadline"]
    due: str
    reading: Literal["strict", "inclusive"] = "strict"
    #: Optional date column of the transfer itself, and the column of its type (``school``,
    #: ``post16``, ``post16-post16``): where the transfer date is given, the deadline is worked
    #: out from it as reg 18 sets it, whatever ``due`` says.
    transfer: str | None = None
    transfer_type: str | None = None

    def _date_columns(self) -> list[str]:
        return [self.due, self.stop, *self.also_stops] + ([self.transfer] if self.transfer else [])

    @model_validator(mode="after")
    def _transfer_type_exists(self) -> DeadlineRule:
        known = columns(self.table)
        if self.transfer_type is not None and (
            self.transfer_type not in known or known[self.transfer_type].kind is not Kind.CODE
        ):
            raise ValueError(f"{self.transfer_type!r} is not a coded {self.table} column")
        return self

    @property
    def limit_text(self) -> str:
        return "before the date" if self.reading == "strict" else "on or before the date"


Rule = Annotated[IntervalRule | ReviewChainRule | DeadlineRule, Field(discriminator="kind")]


class RuleFile(_Strict):
    schema_version: int
    rule: list[Rule] = []

    @model_validator(mode="after")
    def _version(self) -> RuleFile:
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {self.schema_version} is not supported (this tool reads "
                f"{SCHEMA_VERSION})"
            )
        return self


class RuleSet(BaseModel):
    """The rules in force, in order, and where each came from."""

    model_config = ConfigDict(frozen=True)

    rules: list[Rule]
    sources: dict[str, str]

    @property
    def enabled(self) -> list[IntervalRule | ReviewChainRule | DeadlineRule]:
        return [r for r in self.rules if r.enabled]

    def get(self, rule_id: str) -> IntervalRule | ReviewChainRule | DeadlineRule:
        return next(r for r in self.rules if r.id == rule_id)

    @property
    def sha256(self) -> str:
        """A hash of the rules in force, so a report says exactly which rules made it."""
        text = "\n".join(r.model_dump_json(by_alias=True) for r in self.enabled)
        return hashlib.sha256(text.encode()).hexdigest()


def _read(path: Path, text: str) -> RuleFile:
    data = parse_toml(text, path)
    try:
        return RuleFile.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"{path}: {_name_rules(describe(exc), data)}") from None


def _name_rules(message: str, data: dict) -> str:
    """``rule.2.interval.titel`` -> ``rule local-14w.titel``: name rules by id, as users do."""
    rules = data.get("rule", [])

    def name(m: re.Match[str]) -> str:
        i = int(m[1])
        rule_id = rules[i].get("id") if i < len(rules) and isinstance(rules[i], dict) else None
        return f"rule {rule_id or f'#{i + 1}'}"

    message = re.sub(r"\brule\.(\d+)(?:\.(?:interval|review-chain|deadline))?", name, message)
    return message


def builtin_files() -> list[tuple[str, str]]:
    """(name, text) of the shipped rule files."""
    folder = resources.files("ehcp_timeliness.builtin_rules")
    return sorted(
        (f"rules/{f.name}", f.read_text(encoding="utf-8"))
        for f in folder.iterdir()
        if f.name.endswith(".toml")
    )


def load_rules(extra: Path | None = None) -> RuleSet:
    """The built-in rules, then any in ``extra`` (a folder of TOML files, or one file).

    A rule in ``extra`` with the id of a built-in rule replaces it; others are added. An id
    given twice in one file, or in two of the files in ``extra``, is an error, as is a folder
    of more than ``MAX_RULE_FILES`` files or more than ``MAX_RULES`` rules in force.
    """
    rules: dict[str, Rule] = {}
    sources: dict[str, str] = {}
    files = [(Path(name), text) for name, text in builtin_files()]
    builtin = len(files)
    if extra is not None:
        extra = Path(extra)
        if extra.is_dir():
            paths = sorted(extra.glob("*.toml"))
            if not paths:
                raise RulesError(f"{extra}: no .toml rule files in this folder")
            if len(paths) > MAX_RULE_FILES:
                raise RulesError(f"{extra}: {len(paths):,} rule files; a rules folder holds at "
                                 f"most {MAX_RULE_FILES:,}")  # fmt: skip
        elif extra.is_file():
            paths = [extra]
        else:
            raise RulesError(f"{extra}: no such rules folder or file")
        files += [(p, read_text(p, "rules")) for p in paths]
    local: dict[str, str] = {}  # id -> the file in ``extra`` that gave it
    for number, (path, text) in enumerate(files):
        seen: set[str] = set()
        for rule in _read(path, text).rule:
            if rule.id in seen:
                raise RulesError(f"{path}: rule {rule.id} is given twice in this file")
            seen.add(rule.id)
            if number >= builtin and rule.id in local:
                raise RulesError(
                    f"{path}: rule {rule.id} is also given in {local[rule.id]}; an id may "
                    "replace a built-in rule, but only in one file"
                )
            if number >= builtin:
                local[rule.id] = str(path)
            rules[rule.id] = rule
            sources[rule.id] = str(path)
            if len(rules) > MAX_RULES:
                raise RulesError(f"{path}: more than {MAX_RULES:,} rules in force; that is the "
                                 "most a run takes")  # fmt: skip
    return RuleSet(rules=list(rules.values()), sources=sources)
