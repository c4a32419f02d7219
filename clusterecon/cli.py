"""Command line: ``clusterecon replicate``, ``clusterecon audit``, ``clusterecon facts``, ``clusterecon fetch ...``.

Errors the user can provoke (bad input, unwritable output) print one clear line and exit with status 2, never a
traceback.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from . import __version__
from .errors import ClusterEconError

app = typer.Typer(help="clusterecon: governance regimes and cluster performance, with panel and DiD econometrics.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
err = Console(stderr=True)



def _mount_fetch() -> None:
    from .data.sources.cli import fetch_app

    app.add_typer(fetch_app, name="fetch", help="Download (or read from a mirror) FAOSTAT and UN Comtrade files.")


def _friendly(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ClusterEconError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None
        except KeyboardInterrupt:
            err.print("[bold red]interrupted:[/] earlier outputs are intact; rerun to complete.")
            raise typer.Exit(code=130) from None

    return wrapper


@app.command()
@_friendly
def replicate(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("results"),
    step: Annotated[list[str] | None, typer.Option("--step", help="Run only this step (repeatable).")] = None,
    manifest: Annotated[bool, typer.Option(help="Write results/manifest.json at the end.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Rebuild every table, figure and results/manifest.json from the embedded data."""
    from .workflow.replicate import run

    path = run(out, steps=step or None, command="clusterecon replicate", progress=not quiet, manifest=manifest)
    if manifest:
        Console().print(f"manifest: {path}")


@app.command("manifest")
@_friendly
def manifest_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path("results"),
) -> None:
    """(Re)write results/manifest.json from the files present in the output directory."""
    from .workflow.replicate import write_manifest_for

    Console().print(f"manifest: {write_manifest_for(out)}")


@app.command()
def steps() -> None:
    """List the steps of the main job, in order."""
    from .workflow.replicate import step_names

    for name in step_names():
        Console().print(name)


@app.command()
@_friendly
def audit(
    facts: Annotated[Path | None, typer.Option(help="A facts table (CSV) to audit instead of the embedded one.")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """Recompute every derived claim of the paper from its facts and print the verdicts."""
    from .data import paper

    table = paper.audit(paper.facts(facts) if facts else None)
    if csv:
        _print_frame(table, csv=True, title="")
        return
    cols = [c for c in ("claim_id", "stated_value", "recomputed_value", "rel_diff", "verdict", "verdict_if_corrected")
            if c in table.columns]
    _print_frame(table[cols].round(4), csv=False, title="Claims audit (full table: --csv)")
    counts = table["verdict"].value_counts().sort_index()
    Console().print("verdicts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command()
@_friendly
def facts(
    path: Annotated[Path | None, typer.Option("--path", help="A facts table (CSV) to validate and print.")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """Validate and print the paper's facts table."""
    from .data import paper

    _print_frame(paper.facts(path), csv=csv, title="Facts from the paper")


@app.command()
def version() -> None:
    """Print the package version."""
    Console().print(__version__)


def _print_frame(frame, *, csv: bool, title: str) -> None:
    if csv:
        sys.stdout.write(frame.to_csv(index=False, lineterminator="\n"))
        return
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in frame.columns:
        table.add_column(str(col), overflow="fold")
    for row in frame.itertuples(index=False):
        table.add_row(*("" if v is None else str(v) for v in row))
    Console().print(table)


_mount_fetch()


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
