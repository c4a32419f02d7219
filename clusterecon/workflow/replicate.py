"""The main job: rebuild every table, figure and the manifest from the embedded data.

``clusterecon replicate --out results/`` (what ``make replicate`` runs) executes the steps below in order.  Each
output is written atomically, so an interrupted run leaves every earlier output intact; the manifest is written
last and lists every output with its SHA-256.  Two runs on the same machine give byte-identical files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from .._io import ensure_writable_dir
from ..report.manifest import build_manifest, write_manifest

__all__ = ["Step", "Context", "run"]


@dataclass
class Context:
    """What the steps share: the output directory, collected outputs and provenance of the inputs."""

    out: Path
    outputs: list[Path] = field(default_factory=list)
    inputs: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    def path(self, *parts: str) -> Path:
        p = self.out.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def add(self, paths) -> None:
        self.outputs.extend(Path(p) for p in paths)


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    run: Callable[[Context], None]


def _registry() -> list[Step]:
    from .steps import STEPS

    return STEPS


def run(out: str | os.PathLike[str] = "results", *, command: str = "clusterecon replicate", progress: bool = True,
        only: list[str] | None = None) -> Path:
    """Run the main job into ``out`` and return the manifest's path.

    Raises :class:`clusterecon.errors.OutputError` (before any work) when ``out`` cannot be written.
    """
    out_dir = ensure_writable_dir(out)
    steps = [s for s in _registry() if only is None or s.name in only]
    ctx = Context(out=out_dir)
    if progress:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), transient=False) as bar:
            task = bar.add_task("replicate", total=len(steps))
            for step in steps:
                bar.update(task, description=step.description)
                step.run(ctx)
                bar.advance(task)
            bar.update(task, description="replicate: done")
    else:
        for step in steps:
            step.run(ctx)
    manifest = build_manifest(out_dir, ctx.outputs, command=command, version=__version__, inputs=ctx.inputs)
    return write_manifest(out_dir, manifest)
