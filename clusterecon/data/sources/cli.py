"""``clusterecon fetch ...``: download, verify and cache FAOSTAT and UN Comtrade data from the command line.

The lead's CLI mounts :data:`fetch_app` as ``clusterecon fetch``::

    clusterecon fetch faostat --item 391 --element 5910 --area 40 --out chile.csv
    clusterecon fetch faostat --dataset matrix --item 391 --area 110 --out japan_paste.parquet
    CLUSTERECON_DATA_MIRROR=../shared/data/faostat clusterecon fetch faostat --offline
    COMTRADE_API_KEY=... clusterecon fetch comtrade --cmd 200290 --reporter 152 --year 1995 --out chl.csv

Each command prints the provenance record (file, SHA-256, origin: cache / mirror / download) as JSON on stdout.
Errors (offline with nothing cached, a corrupted download, a malformed file) print one line on stderr and exit with
status 2.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from ..._io import atomic_write
from ...errors import ClusterEconError, SpecificationError

__all__ = ["fetch_app"]

fetch_app = typer.Typer(
    help="Download, verify and cache public source data (FAOSTAT bulk files, UN Comtrade).",
    no_args_is_help=True,
    add_completion=False,
)


def _write(frame: pd.DataFrame, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        with atomic_write(out, "wb") as fh:
            frame.to_parquet(fh, index=False)
    elif suffix == ".csv":
        with atomic_write(out, "w") as fh:
            frame.to_csv(fh, index=False)
    else:
        raise SpecificationError(f"--out must end in .csv or .parquet, got {out.name!r}")


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=2)


@fetch_app.command("faostat")
def faostat(
    dataset: Annotated[str, typer.Option(help="'trade' (country totals) or 'matrix' (Detailed Trade Matrix).")] = "trade",
    item: Annotated[list[int] | None, typer.Option("--item", help="FAO item code (repeatable); default 391 901 656 1882.")] = None,
    element: Annotated[list[int] | None, typer.Option("--element", help="Element code (repeatable); default all four.")] = None,
    area: Annotated[list[int] | None, typer.Option("--area", help="FAO area (reporter) code (repeatable).")] = None,
    partner: Annotated[list[int] | None, typer.Option("--partner", help="Partner code, matrix only (repeatable).")] = None,
    year: Annotated[list[int] | None, typer.Option("--year", help="Year (repeatable).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the filtered rows to this .csv or .parquet file.")] = None,
    source: Annotated[str, typer.Option(help="auto | cache | mirror | download | a local zip/csv path.")] = "auto",
    mirror: Annotated[str | None, typer.Option(help="Mirror directory or base URL (default $CLUSTERECON_DATA_MIRROR).")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Forbid network access (also $CLUSTERECON_OFFLINE=1).")] = False,
    cache_dir: Annotated[Path | None, typer.Option(help="Cache directory (default $CLUSTERECON_CACHE or the user cache).")] = None,
    sha256: Annotated[str | None, typer.Option(help="Pin the expected SHA-256 of the bulk zip.")] = None,
    retries: Annotated[int, typer.Option(help="Extra attempts after a failed download.")] = 2,
    progress: Annotated[bool, typer.Option(help="Show a progress bar while downloading.")] = True,
) -> None:
    """Fetch a FAOSTAT bulk trade file (cached, verified) and optionally write a filtered extract."""
    from .faostat import ELEMENTS, load_trade

    kwargs = {"retries": retries, "progressbar": progress}
    if mirror is not None:
        kwargs["mirror"] = mirror
    try:
        frame, prov = load_trade(
            items=item or (391, 901, 656, 1882), elements=element or tuple(ELEMENTS), areas=area or None,
            partners=partner or None, years=year or None, dataset=dataset, source=source, cache=cache_dir,
            offline=True if offline else None, sha256=sha256, **kwargs,
        )
        if out is not None:
            _write(frame, out)
    except ClusterEconError as exc:
        _fail(exc)
    record = prov.to_dict() | ({"written": str(out)} if out is not None else {})
    typer.echo(json.dumps(record, indent=2, default=str))


@fetch_app.command("comtrade")
def comtrade(
    cmd: Annotated[list[str] | None, typer.Option("--cmd", help="HS code (repeatable); default 200290 and 0406.")] = None,
    reporter: Annotated[list[int] | None, typer.Option("--reporter", help="Reporter M49 code (repeatable).")] = None,
    year: Annotated[list[int] | None, typer.Option("--year", help="Year (repeatable).")] = None,
    flow: Annotated[list[str] | None, typer.Option("--flow", help="Flow code X or M (repeatable); default both.")] = None,
    partner: Annotated[list[int] | None, typer.Option("--partner", help="Partner M49 code (repeatable).")] = None,
    key_env: Annotated[str, typer.Option(help="Environment variable holding the subscription key.")] = "COMTRADE_API_KEY",
    out: Annotated[Path | None, typer.Option(help="Write the records to this .csv or .parquet file.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Use cached responses only.")] = False,
    cache_dir: Annotated[Path | None, typer.Option(help="Cache directory.")] = None,
    base_url: Annotated[str | None, typer.Option(help="API root (default the Comtrade Plus API).", hidden=True)] = None,
    refresh: Annotated[bool, typer.Option(help="Query again even if a cached response exists.")] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar while downloading.")] = True,
) -> None:
    """Query UN Comtrade Plus (key from an environment variable, never printed) and cache the response."""
    from .comtrade import COMTRADE_URL, HS_CODES, fetch_comtrade

    try:
        frame, prov = fetch_comtrade(
            cmd or tuple(HS_CODES), reporter or None, year or None, flows=flow or ("X", "M"),
            partners=partner or None, key_env=key_env, base_url=base_url or COMTRADE_URL, cache=cache_dir,
            offline=True if offline else None, refresh=refresh, progressbar=progress,
        )
        if out is not None:
            _write(frame, out)
    except ClusterEconError as exc:
        _fail(exc)
    record = prov | ({"written": str(out)} if out is not None else {})
    typer.echo(json.dumps(record, indent=2, default=str))


if __name__ == "__main__":  # pragma: no cover
    fetch_app(prog_name=os.path.basename(__file__))
