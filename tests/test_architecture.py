"""The layers of ARCHITECTURE.md: a module may import its own layer and lower ones, never a higher one."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "clusterecon"

# Lower number = lower layer.  Keys are module prefixes relative to the package.
LAYERS = {
    "errors": 0, "results": 0, "_io": 0, "_paths": 0, "_data": 0, "__init__": 0,
    "data": 1,
    "panel": 2,
    "inference": 3, "did": 3, "synth": 3, "simulate": 3, "scale": 3,
    "report": 4, "cases": 4,
    "workflow": 5, "cli": 5,
}


def _layer(module: str) -> int:
    head = module.split(".")[0]
    if head not in LAYERS:
        raise AssertionError(f"module clusterecon.{module} is in no layer: add it to LAYERS and ARCHITECTURE.md")
    return LAYERS[head]


def _imports(path: Path) -> list[tuple[str, int]]:
    rel = path.relative_to(PKG).with_suffix("")
    parts = list(rel.parts)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                package = parts[:-1]
                base = package[: len(package) - (node.level - 1)]
                mod = [*base, *(node.module.split(".") if node.module else [])]
                if node.module:
                    found.append((".".join(mod), node.lineno))
                else:
                    for alias in node.names:
                        sub = [*mod, alias.name]
                        is_module = PKG.joinpath(*sub).is_dir() or PKG.joinpath(*sub).with_suffix(".py").is_file()
                        found.append((".".join(sub if is_module else mod) or "__init__", node.lineno))
            elif node.module and node.module.startswith("clusterecon."):
                found.append((node.module.removeprefix("clusterecon."), node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("clusterecon."):
                    found.append((alias.name.removeprefix("clusterecon."), node.lineno))
    return found


def test_no_module_imports_a_higher_layer():
    violations = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG).with_suffix("")
        own = ".".join(rel.parts)
        if own == "__init__":
            continue
        mine = _layer(own)
        for target, line in _imports(path):
            if target in ("", "__init__") or target.startswith("__init__"):
                continue
            if _layer(target) > mine:
                violations.append(f"clusterecon/{path.relative_to(PKG)}:{line} imports clusterecon.{target}")
    assert not violations, "imports that point up the layers:\n" + "\n".join(violations)


def test_every_top_level_module_has_a_layer():
    for path in PKG.iterdir():
        if path.name.startswith(".") or path.name == "__pycache__" or path.name == "py.typed":
            continue
        _layer(path.stem if path.is_file() else path.name)
