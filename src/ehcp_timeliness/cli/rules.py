"""``ehcp rules``: the rules in force, with their limits, readings and legal sources."""

from __future__ import annotations

from rich.table import Table

from ehcp_timeliness.cli.common import RulesOpt, cell, out, run
from ehcp_timeliness.clocks.rules import load_rules


def command(rules_dir: RulesOpt = None) -> None:
    """List the statutory rules in force (built-in, plus any from --rules)."""
    rules = run(lambda: load_rules(rules_dir))
    table = Table(title=f"Rules in force (sha256 {rules.sha256[:12]})", title_justify="left")
    for name in ("Rule", "Title", "Limit", "Citation", "From"):
        table.add_column(name, overflow="fold")
    for r in rules.rules:
        title = r.title if r.enabled else f"{r.title} (disabled)"
        table.add_row(*map(cell, (r.id, title, r.limit_text, r.citation, rules.sources[r.id])))
    out.print(table)
