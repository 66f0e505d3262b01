"""The canonical extract, declared once.

Three tables, named after SEN2 concepts: ``requests`` (one row per request for an EHC needs
assessment), ``plans`` (one row per annual review of a plan, or one row per plan that has
had no review) and the optional ``tribunal_orders`` (one row per First-tier Tribunal order, or
unopposed appeal, the council must comply with). Each is a pydantic model whose fields carry
a :class:`Column` marker saying how the column is read. The vectorised validator in
:mod:`ehcp_timeliness.validate.checks` is derived from these declarations; per-row
``model_validate`` is the slow reference it must agree with.

Columns the schema does not name are read only as breakdown dimensions, and only when they are
known dimensions (team, primary need...) or the mapping file declares them; see
:mod:`ehcp_timeliness.read.dimensions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from ehcp_timeliness.dates import parse_date


class Kind(StrEnum):
    ID = "id"
    DATE = "date"
    CODE = "code"


@dataclass(frozen=True)
class CodeSet:
    """Allowed codes for a column, with the words accepted for each (case-insensitive)."""

    name: str
    codes: dict[str, tuple[str, ...]]

    @property
    def lookup(self) -> dict[str, str]:
        out = {}
        for code, words in self.codes.items():
            for word in (code, *words):
                out[normalise_word(word)] = code
        return out

    def normalise(self, raw: str) -> str:
        """The canonical code for ``raw``; ``KeyError`` when it is not one."""
        return self.lookup[normalise_word(raw)]


def normalise_word(text: str) -> str:
    return " ".join(str(text).replace("_", " ").replace("-", " ").split()).casefold()


REQUEST_OUTCOME = CodeSet(
    "request outcome",
    {
        "Y": ("yes", "assess", "assessed", "agreed", "agree to assess", "decided to assess"),
        "N": ("no", "not assess", "do not assess", "refused", "declined", "decided not to assess"),
        "A": ("pending", "awaiting decision", "not yet decided", "decision not yet made", "open"),
        "W": ("withdrawn", "withdrawn before decision"),
        "H": ("historical", "historic"),
    },
)
ASSESSMENT_OUTCOME = CodeSet(
    "assessment outcome",
    {
        "Y": ("yes", "plan", "issue plan", "plan to be issued", "plan issued", "issue"),
        "N": ("no", "no plan", "not issue", "do not issue", "plan not issued", "not issued"),
        "A": ("pending", "not yet decided", "decision not yet made", "open", "in progress"),
        "W": ("withdrawn",),
        "H": ("historical", "historic", "transferred in", "transfer in"),
    },
)
REVIEW_OUTCOME = CodeSet(
    "review outcome",
    {
        "M": ("maintain", "maintained", "continue", "no change"),
        "A": ("amend", "amended", "amendment"),
        "C": ("cease", "ceased", "cease plan"),
    },
)
FLAG = CodeSet(
    "yes/no flag",
    {"1": ("yes", "y", "true", "t"), "0": ("no", "n", "false", "f")},
)
PHASE_TRANSFER_TYPE = CodeSet(
    "phase transfer type",
    {
        # reg 18(1)(b): "15 February in the calendar year of the child's transfer in any other case"
        "school": (
            "phase", "school phase", "early years to school", "infant to junior",
            "primary to secondary", "primary to middle", "middle to secondary",
            "junior to secondary",
        ),
        # reg 18(1)(a): "31 March in the calendar year of the ... transfer from secondary school
        # to a post-16 institution"
        "post16": ("secondary to post 16", "post 16", "school to post 16", "year 11"),
        # reg 18(2): "at least five months before that transfer takes place"
        "post16-post16": ("post 16 to post 16", "between post 16 institutions", "college move"),
    },
)  # fmt: skip
ORDER_TYPE = CodeSet(
    "tribunal order type",
    {
        # reg 44(2)(b): an order "requires a local authority to make an assessment or reassessment"
        "assess": (
            "order to assess", "assessment", "reassess", "reassessment", "refusal to assess",
        ),
        # reg 44(2)(c): an order "requires a local authority to make and maintain an EHC Plan"
        "plan": ("make a plan", "make and maintain", "issue a plan", "refusal to issue"),
        # reg 44(2)(e): an order to amend the plan's special educational provision (contents)
        "amend": ("amend the plan", "amend plan", "contents", "amend provision"),
        # reg 44(2)(f): an order to amend only the school or institution named, or its type
        "setting": ("name a school", "named school", "school only", "section i", "placement"),
        # reg 45: the council told the Tribunal it will not oppose the appeal
        "unopposed-assess": ("unopposed assess", "conceded assess"),
        "unopposed-plan": ("unopposed plan", "conceded plan"),
        "unopposed-amend": ("unopposed amend", "conceded amend"),
        "unopposed-setting": ("unopposed setting", "conceded setting"),
    },
)  # fmt: skip
CEASE_REASON = CodeSet(
    "cease reason",
    {
        "1": ("max age", "maximum age"),
        "2": ("needs met", "needs met without a plan"),
        "3": ("higher education",),
        "4": ("employment", "paid employment"),
        "5": ("moved to another la", "moved la", "transferred to another la"),
        "6": ("no longer engages", "disengaged"),
        "7": ("left england", "moved outside england"),
        "8": ("died", "deceased"),
        "9": ("other",),
    },
)


@dataclass(frozen=True)
class Column:
    """How a schema field is read from an extract."""

    kind: Kind
    required: bool = False
    codes: CodeSet | None = None
    #: Header spellings recognised besides the canonical name (SEN2 elements, common exports).
    synonyms: tuple[str, ...] = field(default=())


def _blank_to_none(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _date(value: Any) -> date | None:
    value = _blank_to_none(value)
    if value is None or isinstance(value, date):
        return value
    try:
        return parse_date(str(value))
    except ValueError:
        raise PydanticCustomError("invalid-date", "not a date") from None


def _code(codes: CodeSet):
    def convert(value: Any) -> str | None:
        value = _blank_to_none(value)
        if value is None:
            return None
        try:
            return codes.normalise(str(value))
        except KeyError:
            raise PydanticCustomError("unknown-code", "not a known code") from None

    return BeforeValidator(convert)


def _text(value: Any) -> str | None:
    value = _blank_to_none(value)
    return None if value is None else str(value).strip()


def _id(required: bool = False, *synonyms: str):
    return (Column(Kind.ID, required, synonyms=synonyms), BeforeValidator(_text))


def _dt(required: bool = False, *synonyms: str):
    return (Column(Kind.DATE, required, synonyms=synonyms), BeforeValidator(_date))


def _cd(codes: CodeSet, *synonyms: str):
    return (Column(Kind.CODE, False, codes, synonyms=synonyms), _code(codes))


#: Header spellings of the final plan's issue date, in either table.
PLAN_ISSUE_HEADERS = (
    "StartDate", "ehcp issue date", "final plan issued", "final ehcp issued", "plan issued date",
    "date plan issued", "final plan date", "date final plan issued",
)  # fmt: skip

RequestCode = Literal["Y", "N", "A", "W", "H"]
ReviewCode = Literal["M", "A", "C"]
Flag = Literal["0", "1"]
CeaseCode = Literal["1", "2", "3", "4", "5", "6", "7", "8", "9"]
PhaseTransferCode = Literal["school", "post16", "post16-post16"]
OrderCode = Literal[
    "assess", "plan", "amend", "setting",
    "unopposed-assess", "unopposed-plan", "unopposed-amend", "unopposed-setting",
]  # fmt: skip


class Record(BaseModel):
    """Common behaviour of the tables."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    #: (earlier, later): the later date may not fall before the earlier one.
    ORDER: ClassVar[tuple[tuple[str, str], ...]] = ()

    @model_validator(mode="after")
    def _dates_in_order(self) -> Record:
        for earlier, later in self.ORDER:
            a, b = getattr(self, earlier), getattr(self, later)
            if a is not None and b is not None and b < a:
                raise PydanticCustomError(
                    "date-order", "{later} before {earlier}", {"earlier": earlier, "later": later}
                )
        return self


class RequestRecord(Record):
    """One request for an EHC needs assessment (SEN2 modules 2-4)."""

    person_id: Annotated[str, *_id(True, "personid", "child id", "pseudo id", "pupil id")]
    request_id: Annotated[str | None, *_id(False, "requestid", "referral id")] = None
    received_date: Annotated[
        date,
        *_dt(
            True,
            "ReceivedDate",
            "date request received",
            "request received date",
            "request date",
            "date received",
            "referral date",
        ),
    ]
    request_outcome: Annotated[
        RequestCode | None,
        *_cd(REQUEST_OUTCOME, "RequestOutcome", "decision to assess", "assessment decision"),
    ] = None
    request_outcome_date: Annotated[
        date | None,
        *_dt(
            False,
            "RequestOutcomeDate",
            "decision date",
            "date of decision to assess",
            "decision to assess date",
        ),
    ] = None
    assessment_outcome: Annotated[
        RequestCode | None, *_cd(ASSESSMENT_OUTCOME, "AssessmentOutcome", "decision to issue")
    ] = None
    assessment_outcome_date: Annotated[
        date | None,
        *_dt(False, "AssessmentOutcomeDate", "decision to issue date", "date of decision to issue"),
    ] = None
    draft_plan_date: Annotated[
        date | None,
        *_dt(
            False, "draft plan date", "draft ehcp issued", "date draft plan issued", "draft issued"
        ),
    ] = None
    plan_issue_date: Annotated[date | None, *_dt(False, *PLAN_ISSUE_HEADERS)] = None
    week20_exception: Annotated[
        Flag | None, *_cd(FLAG, "Week20", "20 week exception", "exception", "week 20 exception")
    ] = None

    ORDER: ClassVar[tuple[tuple[str, str], ...]] = (
        ("received_date", "request_outcome_date"),
        ("received_date", "assessment_outcome_date"),
        ("received_date", "plan_issue_date"),
        ("request_outcome_date", "assessment_outcome_date"),
        ("received_date", "draft_plan_date"),
        ("draft_plan_date", "plan_issue_date"),
    )

    @model_validator(mode="after")
    def _outcome_agrees_with_dates(self) -> RequestRecord:
        if self.plan_issue_date is not None and (
            self.assessment_outcome in ("N", "W") or self.request_outcome in ("N", "W")
        ):
            raise PydanticCustomError("outcome-contradiction", "plan issued but outcome says not")
        if self.request_outcome in ("N", "W") and self.assessment_outcome in ("Y", "N"):
            raise PydanticCustomError("outcome-contradiction", "assessed but request not")
        return self


class PlanRecord(Record):
    """One annual review of an EHC plan, or a plan with no review yet (SEN2 modules 4-5)."""

    person_id: Annotated[str, *_id(True, "personid", "child id", "pseudo id", "pupil id")]
    plan_id: Annotated[str, *_id(True, "planid", "ehcp id", "ehc plan id", "plan reference")]
    plan_issue_date: Annotated[
        date, *_dt(True, *PLAN_ISSUE_HEADERS, "plan start date", "ehcp start date")
    ]
    review_meeting_date: Annotated[
        date | None,
        *_dt(
            False,
            "ReviewMeeting",
            "annual review date",
            "review meeting",
            "review date",
            "annual review meeting date",
        ),
    ] = None
    review_decision_date: Annotated[
        date | None,
        *_dt(
            False,
            "LastReview",
            "review decision date",
            "annual review decision date",
            "date of review decision",
        ),
    ] = None
    review_outcome: Annotated[
        ReviewCode | None,
        *_cd(REVIEW_OUTCOME, "ReviewOutcome", "review decision", "annual review outcome"),
    ] = None
    amendment_notice_date: Annotated[
        date | None,
        *_dt(
            False,
            "ReviewDraft",
            "amendment notice date",
            "draft amended plan date",
            "proposed amendments date",
        ),
    ] = None
    amended_plan_date: Annotated[
        date | None,
        *_dt(False, "final amended plan date", "amended plan issued", "amended plan issue date"),
    ] = None
    no_amend_notice_date: Annotated[
        date | None,
        *_dt(
            False,
            "decision not to amend date",
            "notice not to amend date",
            "no amendment notice date",
            "date of decision not to amend",
        ),
    ] = None
    transfer_in_date: Annotated[
        date | None,
        *_dt(False, "transfer in date", "date transferred in", "plan transferred in date"),
    ] = None
    phase_transfer_date: Annotated[
        date | None, *_dt(False, "phase transfer date", "date of phase transfer")
    ] = None
    phase_transfer_type: Annotated[
        PhaseTransferCode | None,
        *_cd(PHASE_TRANSFER_TYPE, "phase transfer type", "type of phase transfer"),
    ] = None
    phase_transfer_due_date: Annotated[
        date | None, *_dt(False, "PhaseTransferDueDate", "phase transfer due")
    ] = None
    phase_transfer_final_date: Annotated[
        date | None, *_dt(False, "PhaseTransferFinalDate", "phase transfer final plan date")
    ] = None
    cease_date: Annotated[
        date | None, *_dt(False, "CeaseDate", "plan ceased date", "date ceased", "end date")
    ] = None
    cease_reason: Annotated[
        CeaseCode | None, *_cd(CEASE_REASON, "CeaseReason", "reason ceased")
    ] = None

    ORDER: ClassVar[tuple[tuple[str, str], ...]] = (
        ("plan_issue_date", "review_meeting_date"),
        ("review_meeting_date", "review_decision_date"),
        ("amendment_notice_date", "amended_plan_date"),
        ("amendment_notice_date", "no_amend_notice_date"),
        ("plan_issue_date", "cease_date"),
    )


class TribunalOrderRecord(Record):
    """One order of the First-tier Tribunal (SEND), or one appeal the council did not oppose,
    and the dates of the steps it requires (SEND Regulations 2014, regs 44 and 45).

    For an unopposed appeal (reg 45) ``order_date`` is the date the council notified the
    Tribunal that it would not oppose the appeal: reg 45's periods run from that date.
    """

    person_id: Annotated[str, *_id(True, "personid", "child id", "pseudo id", "pupil id")]
    order_id: Annotated[
        str | None, *_id(False, "orderid", "appeal id", "tribunal reference", "appeal reference")
    ] = None
    plan_id: Annotated[str | None, *_id(False, "planid", "ehcp id", "ehc plan id")] = None
    order_date: Annotated[
        date,
        *_dt(
            True,
            "date of order",
            "tribunal order date",
            "order made date",
            "tribunal decision date",
        ),
    ]
    order_type: Annotated[
        OrderCode | None, *_cd(ORDER_TYPE, "type of order", "appeal type", "order")
    ] = None
    assessment_notice_date: Annotated[
        date | None, *_dt(False, "notice to assess date", "assessment notice date")
    ] = None
    no_plan_notice_date: Annotated[
        date | None, *_dt(False, "no plan notice date", "decision not to issue date")
    ] = None
    draft_plan_date: Annotated[
        date | None, *_dt(False, "draft plan date", "draft ehcp issued", "draft plan issued")
    ] = None
    final_plan_date: Annotated[
        date | None,
        *_dt(False, "final plan date", "final plan issued", "amended plan issued",
             "final amended plan date"),
    ] = None  # fmt: skip

    ORDER: ClassVar[tuple[tuple[str, str], ...]] = (
        ("order_date", "assessment_notice_date"),
        ("order_date", "no_plan_notice_date"),
        ("order_date", "draft_plan_date"),
        ("order_date", "final_plan_date"),
        ("draft_plan_date", "final_plan_date"),
    )


TABLES: dict[str, type[Record]] = {
    "requests": RequestRecord,
    "plans": PlanRecord,
    "tribunal_orders": TribunalOrderRecord,
}


def columns(table: str) -> dict[str, Column]:
    """The schema's columns for ``table``, in declaration order."""
    model = TABLES[table]
    out = {}
    for name, info in model.model_fields.items():
        spec = next(m for m in info.metadata if isinstance(m, Column))
        out[name] = spec
    return out
