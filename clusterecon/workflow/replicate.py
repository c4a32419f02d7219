"""The main job: rebuild every table, figure and the manifest from the embedded data.

``clusterecon replicate --out results/`` (what ``make replicate`` runs) executes the steps of
:mod:`clusterecon.workflow.steps` in order; ``--step NAME`` runs one of them (the Makefile runs each step as its own
target so that a changed input rebuilds only what depends on it).  Every output is written atomically, so an
interrupted run leaves every earlier output intact.  The manifest is written last: it lists every file under the
output directory with its SHA-256, the command and the package version.  Two runs give byte-identical files.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from .._io import ensure_writable_dir, write_text_atomic
from ..errors import SpecificationError
from ..report.manifest import build_manifest, write_manifest

__all__ = ["Step", "Context", "run", "write_manifest_for", "step_names"]

MANIFEST = "manifest.json"


@dataclass
class Context:
    """What a step gets: the output directory; it records what it wrote and where its inputs came from."""

    out: Path
    outputs: list[Path] = field(default_factory=list)
    inputs: dict = field(default_factory=dict)

    def path(self, *parts: str) -> Path:
        """A path below the output directory; its folder is created (an OutputError if it cannot be)."""
        p = self.out.joinpath(*parts)
        ensure_writable_dir(p.parent)
        return p

    def add(self, paths: Iterable[os.PathLike[str] | str]) -> None:
        self.outputs.extend(Path(p) for p in paths)


@dataclass(frozen=True)
class Step:
    """One node of the replication graph: ``run(ctx)`` writes its outputs below ``ctx.out``."""

    name: str
    description: str
    run: Callable[[Context], None]


def _registry() -> list[Step]:
    from .steps import STEPS

    return STEPS


def step_names() -> list[str]:
    return [s.name for s in _registry()]


def _select(names: Iterable[str] | None) -> list[Step]:
    steps = _registry()
    if names is None:
        return steps
    known = {s.name: s for s in steps}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SpecificationError(f"unknown step(s) {unknown}; the steps are {list(known)}")
    return [known[n] for n in names]


def _run_step(step: Step, out_dir: Path) -> None:
    ctx = Context(out=out_dir)
    step.run(ctx)
    if ctx.inputs:
        write_text_atomic(out_dir / "provenance" / f"{step.name}.json",
                          json.dumps(ctx.inputs, indent=2, sort_keys=True, default=str) + "\n")


def write_manifest_for(out: str | os.PathLike[str], *, command: str = "clusterecon replicate") -> Path:
    """Write ``manifest.json`` listing every file below ``out`` (but itself) with its SHA-256."""
    out_dir = Path(out)
    # hidden files and folders (.stamps, the paper's .build, temporary files) are bookkeeping, not outputs
    files = [p for p in sorted(out_dir.rglob("*"))
             if p.is_file() and p.name != MANIFEST
             and not any(part.startswith(".") for part in p.relative_to(out_dir).parts)]
    inputs = {}
    for prov in sorted((out_dir / "provenance").glob("*.json")):
        inputs[prov.stem] = json.loads(prov.read_text(encoding="utf-8"))
    return write_manifest(out_dir, build_manifest(out_dir, files, command=command, version=__version__,
                                                  inputs=inputs))


def run(out: str | os.PathLike[str] = "results", *, steps: Iterable[str] | None = None,
        command: str = "clusterecon replicate", progress: bool = True, manifest: bool = True) -> Path:
    """Run the main job (or the named ``steps``) into ``out``; return the manifest's path (or ``out``).

    Raises :class:`clusterecon.errors.OutputError` before any work when ``out`` cannot be written, and
    :class:`clusterecon.errors.SpecificationError` for an unknown step name.
    """
    out_dir = ensure_writable_dir(out)
    selected = _select(None if steps is None else list(steps))
    if progress:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("[bold]{task.description:<40}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn()) as bar:
            task = bar.add_task("replicate", total=len(selected))
            for step in selected:
                bar.update(task, description=step.description)
                _run_step(step, out_dir)
                bar.advance(task)
            bar.update(task, description="done")
    else:
        for step in selected:
            _run_step(step, out_dir)
    return write_manifest_for(out_dir, command=command) if manifest else out_dir
