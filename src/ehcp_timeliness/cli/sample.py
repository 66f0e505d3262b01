"""``ehcp sample``: write a synthetic, anonymised extract to try the tool on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ehcp_timeliness.cli.common import parse_date_option, say
from ehcp_timeliness.sample import generate, local_mapping_toml, write_local_xlsx, write_sample
from ehcp_timeliness.write.atomic import private_tempdir, write_atomic


def command(
    outdir: Annotated[
        Path,
        typer.Argument(metavar="OUTDIR", help="Directory to write requests.csv and plans.csv."),
    ],
    seed: Annotated[
        int, typer.Option("--seed", metavar="N", help="Random seed; same seed, same files.")
    ] = 2025,
    as_at: Annotated[
        str | None,
        typer.Option(
            "--as-at",
            metavar="DATE",
            help="The extract's date (2025-03-31 or 31/03/2025): no event falls after it; "
            "planned phase transfers may be up to a year ahead.",
        ),
    ] = "2025-03-31",
    requests: Annotated[
        int, typer.Option("--requests", metavar="N", min=1, help="Number of requests.")
    ] = 6000,
    plans: Annotated[
        int, typer.Option("--plans", metavar="N", min=1, help="Number of distinct plans.")
    ] = 7000,
    local_xlsx: Annotated[
        bool,
        typer.Option(
            "--local-xlsx",
            help="Also write local/casework.xlsx with local-style headers and codes, "
            "and mapping-example.toml that reads it.",
        ),
    ] = False,
) -> None:
    """Write a deterministic synthetic extract (requests.csv, plans.csv) to OUTDIR."""
    kwargs: dict[str, Any] = {"seed": seed, "n_requests": requests, "n_plans": plans}
    kwargs["as_at"] = parse_date_option(as_at, "--as-at")
    frames = generate(**kwargs)
    for path in write_sample(outdir, frames):
        say(f"wrote {path}")
    if local_xlsx:
        target = outdir / "local" / "casework.xlsx"
        with private_tempdir(target):  # openpyxl's temporary sheets beside it, not in /tmp
            write_atomic(target, lambda tmp: write_local_xlsx(tmp, *frames))
        (outdir / "mapping-example.toml").write_text(local_mapping_toml(), encoding="utf-8")
        say(f"wrote {target} and {outdir / 'mapping-example.toml'}")
