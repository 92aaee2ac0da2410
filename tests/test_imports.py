"""The packages' modules import one another without a cycle, even inside functions.

A cycle hidden in a function-level import still ties two modules into one: neither can
be read, tested or moved without the other.  Imports are read from the source with
``ast`` (nothing is imported), so the check sees every import a module could run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def module_names(package: str) -> dict[str, Path]:
    """Every module of a package by its dotted name (a package by its own name)."""
    modules = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "node_modules" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imported(module: str, path: Path, known: set[str]) -> set[str]:
    """The known modules ``module`` imports, and each package whose ``__init__`` that runs.

    ``from a import b`` imports the module ``a.b`` when there is one, else the package
    ``a`` (its ``__init__``); importing ``a.b.c`` runs ``a`` and ``a.b`` first, save the
    packages the importer sits in (they are already running).
    """
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = _package_of(module, path).split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in known else base)
    running = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 2)}
    edges = {target for target in targets if target in known and target != module}
    for target in targets:
        parts = target.split(".")
        edges.update(
            name
            for name in (".".join(parts[:i]) for i in range(1, len(parts)))
            if name in known and name not in running
        )
    return edges


def import_cycles(packages: tuple[str, ...]) -> list[list[str]]:
    """Each cycle of the packages' import graph, once, as the modules along it."""
    paths = {name: path for p in packages for name, path in module_names(p).items()}
    known = set(paths)
    graph = {name: sorted(imported(name, path, known)) for name, path in paths.items()}
    cycles, seen = [], set()
    # depth-first search: an edge back to a module on the current path closes a cycle
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        trail.append(name)
        for target in graph[name]:
            if state.get(target) == "open":
                cycle = trail[trail.index(target) :]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    cycles.append([*cycle, target])
            elif target not in state:
                visit(target, trail)
        trail.pop()
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    return cycles


@pytest.mark.parametrize("packages", [("geo",), ("geo", "dashboard")])
def test_no_module_imports_itself_through_others(packages):
    cycles = import_cycles(packages)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_sees_imports_inside_functions(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text("def thing():\n    from pkg import a\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert import_cycles(("pkg",)) == [["pkg.a", "pkg.b", "pkg.a"]]


def test_the_settings_load_no_table_library_and_geo_names_load_when_used():
    import subprocess
    import sys

    # a module that needs only a setting (the server's options, Chromium's path) loads no
    # table library: geopandas, pandera and the readers take ~0.9 s to import
    code = (
        "import sys, dashboard.serve, dashboard.settings, geo.settings\n"
        "heavy = sorted({'geopandas', 'pandera', 'pandas', 'openpyxl'} & set(sys.modules))\n"
        "import geo\n"
        "assert set(geo.__all__) == set(geo._EXPORTS), geo.__all__\n"
        "assert all(getattr(geo, name) is not None for name in geo.__all__)\n"
        "print(heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
