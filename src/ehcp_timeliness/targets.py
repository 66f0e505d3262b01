"""KPI targets for the board pack scorecard: ``--targets FILE.toml``.

.. code-block:: toml

    schema_version = 1
    amber_within = 0.10          # "Below target" within 10 points; "Well below" beyond
    [targets]
    plan-20w = 0.60              # a rate, as a fraction
    decision-6w = 0.90

Rules without a target in the file keep the default. The defaults are England's 2024 rates
where DfE publishes one (so "On target" means at least the national rate), otherwise 0.90.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ehcp_timeliness.config import describe, read_toml
from ehcp_timeliness.errors import RulesError

#: England, 2024 (DfE "Education, health and care plans", 2025): plans within 20 weeks
#: excluding exceptions 46.4%, request decisions within 6 weeks 84.8%, review decisions within
#: 4 weeks 44.4%.
DEFAULT_TARGETS = {
    "decision-6w": 0.848,
    "no-plan-16w": 0.90,
    "plan-20w": 0.464,
    "review-12m": 0.90,
    "review-decision-4w": 0.444,
    "amended-plan-8w": 0.90,
    "phase-transfer": 0.90,
}
FALLBACK = 0.90

Status = Literal["On target", "Below target", "Well below", "No cases"]


class Targets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    schema_version: Literal[1] = 1
    amber_within: float = Field(0.10, ge=0, le=1)
    targets: dict[str, float] = Field(default_factory=dict)

    def target(self, rule: str) -> float:
        return self.targets.get(rule, DEFAULT_TARGETS.get(rule, FALLBACK))

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
    if known is not None:
        unknown = sorted(set(targets.targets) - set(known))
        if unknown:
            raise RulesError(
                f"{path}: [targets] {', '.join(unknown)}: no rule in force has this id "
                f"(rules: {', '.join(sorted(known))})"
            )
    return targets
