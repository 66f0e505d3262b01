"""The docs cannot drift: every command, option, finding code and column is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from ehcp_timeliness.cli.app import app
from ehcp_timeliness.validate.findings import CODES
from ehcp_timeliness.validate.schema import TABLES, columns

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_option_is_documented():
    cli = typer.main.get_command(app)
    reference = (DOCS / "cli.md").read_text()
    for name, command in cli.commands.items():
        assert f"## `ehcp {name}" in reference, name
        assert command.help, f"{name} has no help text"
        for param in command.params:
            if param.param_type_name == "option":
                assert param.help, f"{name} {param.opts} has no help text"
                for opt in param.opts:
                    assert f"`{opt}" in reference, f"{name} {opt} is not in docs/cli.md"


def test_every_finding_code_is_documented():
    findings = (DOCS / "findings.md").read_text()
    for code, (severity, _meaning) in CODES.items():
        assert f"| `{code}` | {severity} |" in findings, code


def test_every_column_is_documented():
    extract = (DOCS / "extract-format.md").read_text()
    for table in TABLES:
        for name in columns(table):
            assert f"| `{name}` |" in extract, name


def test_help_names_values_in_words():
    """No ``{paths}...`` or ``<list[Path]>`` in help: arguments and values are named."""
    from typer.testing import CliRunner

    runner = CliRunner()
    cli = typer.main.get_command(app)
    for name in cli.commands:
        text = runner.invoke(app, [name, "--help"], terminal_width=200).output
        assert "<" not in text.replace("<=", ""), (name, text)
        assert "{" not in text, (name, text)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_between_the_docs_reaches_a_file_and_a_heading():
    root = DOCS.parent
    pages = [root / "README.md", root / "benchmarks" / "README.md", *sorted(DOCS.glob("*.md"))]
    headings = {}
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        headings[page.resolve()] = {_anchor(h) for h in re.findall(r"^#+ (.*)$", text, re.M)}
    broken = []
    for page in pages:
        for target, anchor in re.findall(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)", page.read_text()):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path = (page.parent / target).resolve() if target else page.resolve()
            if not path.exists():
                broken.append(f"{page.name}: {target} does not exist")
            elif anchor and anchor not in headings.get(path, set()):
                broken.append(f"{page.name}: {target}#{anchor} names no heading")
    assert broken == []
