"""KPI targets for the board pack scorecard: ``--targets FILE.toml``.

.. code-block:: toml

    schema_version = 1
    amber_within = 0.10          # "Below target" within 10 points; "Well below" beyond
    [targets]
    plan-20w = 0.60              # a rate, as a fraction
    decision-6w = 0.90
    [sources]                    # optional: where each target comes from, for the board
    plan-20w = "SEND strategy 2025, priority 2"

Rules without a target in the file keep the default. A target is set on one measure, and the
scorecard compares it with that measure only:

* a rule id (``decision-6w``...) is the tool's own on-time rate for cases completed in the
  period, except ``plan-20w``, which is the 20-week rate **excluding exceptions** as DfE
  publishes it;
* ``dfe-request-decisions`` and ``dfe-review-decisions`` are DfE's own measures of request
  decisions within 6 weeks and review decisions within 4 weeks, reproduced
  (:mod:`ehcp_timeliness.measures`).

The defaults are England's 2024 rates on the measure DfE publishes them on (so "On target"
means at least the national rate): 46.4% for ``plan-20w``, 84.8% for ``dfe-request-decisions``
and 44.4% for ``dfe-review-decisions``. Every other measure defaults to 0.90.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ehcp_timeliness.config import describe, read_toml
from ehcp_timeliness.errors import RulesError

#: The keys of DfE's reproduced measures (beside the rule ids) that targets can be set on.
DFE_REQUEST_DECISIONS = "dfe-request-decisions"
DFE_REVIEW_DECISIONS = "dfe-review-decisions"
#: England, 2024 (DfE "Education, health and care plans", 2025), each on DfE's own measure:
#: plans within 20 weeks excluding exceptions 46.4% (timeliness_20_week.csv), requests decided
#: within 6 weeks 84.8% (requests.csv), review decisions within 4 weeks 44.4%
#: (annual_reviews.csv).
DEFAULT_TARGETS = {
    "plan-20w": 0.464,
    DFE_REQUEST_DECISIONS: 0.848,
    DFE_REVIEW_DECISIONS: 0.444,
}
FALLBACK = 0.90

Status = Literal["On target", "Below target", "Well below", "No cases"]


#: Where the built-in targets come from, as the board pack names it.
DEFAULT_SOURCE = "England 2024, DfE"
FALLBACK_SOURCE = "default: no published figure"
FILE_SOURCE = "local target"


class Targets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    schema_version: Literal[1] = 1
    amber_within: float = Field(0.10, ge=0, le=1)
    targets: dict[str, float] = Field(default_factory=dict)
    #: Where each target in ``targets`` comes from ("SEND strategy 2025"), for the board.
    sources: dict[str, str] = Field(default_factory=dict)

    def target(self, rule: str) -> float:
        return self.targets.get(rule, DEFAULT_TARGETS.get(rule, FALLBACK))

    def source(self, rule: str) -> str:
        """Where ``rule``'s target comes from, in a few words for the board."""
        if rule in self.targets:
            return self.sources.get(rule, FILE_SOURCE)
        return DEFAULT_SOURCE if rule in DEFAULT_TARGETS else FALLBACK_SOURCE

    def status(self, rule: str, rate: float | None) -> Status:
        if rate is None:
            return "No cases"
        target = self.target(rule)
        if rate >= target:
            return "On target"
        return "Below target" if rate >= target - self.amber_within else "Well below"


def load_targets(path: Path | None, known: Iterable[str] | None = None) -> Targets:
    """The targets in ``path`` (defaults without one). With ``known`` (the ids of the rules in
    force), a target for any other id is an error: it would silently set nothing."""
    if path is None:
        return Targets()
    data = read_toml(path, "targets")
    try:
        targets = Targets.model_validate(data)
    except ValidationError as exc:
        raise RulesError(f"{path}: {describe(exc)}") from None
    bad = {k: v for k, v in targets.targets.items() if not 0 <= v <= 1}
    if bad:
        raise RulesError(f"{path}: targets are fractions between 0 and 1: {bad}")
    if known is not None:  # DfE's own measures are targets too, beside the rules
        unknown = sorted(set(targets.targets) - {*known, DFE_REQUEST_DECISIONS,
                                                 DFE_REVIEW_DECISIONS})  # fmt: skip
        if unknown:
            raise RulesError(
                f"{path}: [targets] {', '.join(unknown)}: no rule in force has this id "
                f"(rules: {', '.join(sorted(known))})"
            )
    unsourced = sorted(set(targets.sources) - set(targets.targets))
    if unsourced:
        raise RulesError(f"{path}: [sources] names {', '.join(unsourced)}, which [targets] does "
                         "not set")  # fmt: skip
    return targets
