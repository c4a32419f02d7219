"""MkDocs hook: render the repository's notebooks (``notebooks/*.ipynb``) as tutorial pages.

The notebooks live outside ``docs/`` (they are run by the test suite from ``notebooks/``), so this hook adds
whichever exist to the site under ``notebooks/`` and lists them in the navigation after the "Tutorials" page.
mkdocs-jupyter then converts them (and executes them when ``CLUSTERECON_DOCS_EXECUTE=true``).  With no notebook
present the site builds without them.
"""

from __future__ import annotations

import json
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

_NAV_ANCHOR = "tutorials.md"


def _notebooks(config) -> list[Path]:
    root = Path(config["config_file_path"]).resolve().parent / "notebooks"
    return sorted(p for p in root.glob("*.ipynb") if not p.name.startswith((".", "_")))


def _title(path: Path) -> str:
    """The notebook's first level-1 Markdown heading, else its file name."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return path.stem
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        for line in text.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return path.stem.replace("_", " ")


def _insert_after_anchor(nav: list, entries: list) -> bool:
    for i, item in enumerate(nav):
        if isinstance(item, dict):
            (title, target), = item.items()
            if target == _NAV_ANCHOR:
                nav[i] = {title: [{"Overview": _NAV_ANCHOR}, *entries]}
                return True
            if isinstance(target, list) and _insert_after_anchor(target, entries):
                return True
    return False


def on_config(config):
    jupyter = config["plugins"].get("mkdocs-jupyter")
    if jupyter is not None and jupyter.config.get("execute"):
        # mkdocs-jupyter's cache is keyed on the notebook and the options, not on the package's code: an executed
        # notebook must be run again on every build.
        jupyter.config["cache"] = False
    books = _notebooks(config)
    if books and config.get("nav"):
        entries = [{_title(p): f"notebooks/{p.name}"} for p in books]
        if not _insert_after_anchor(config["nav"], entries):
            config["nav"].append({"Notebooks": entries})
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which wraps the .ipynb files it finds
def on_files(files, config):
    # A plain File rooted at the repository (not File.generated): mkdocs-jupyter's wrapper recomputes the source
    # path from src_dir, which generated files do not have.
    for path in _notebooks(config):
        files.append(File(f"notebooks/{path.name}", src_dir=str(path.parent.parent), dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"]))
    return files
