"""Every package the code imports is declared in pyproject.toml, and the data layer stays one.

Imports are read from the source with ``ast`` (nothing is imported), inside functions too:
an import that only runs when a button is clicked still needs its package installed.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"geo", "dashboard", "bench", "tests", "scripts"}
#: Import names whose distribution is not found from the installed metadata.
DISTRIBUTION_OF = {"PIL": "pillow", "yaml": "pyyaml"}


def top_level_imports(folder: str) -> dict[str, Path]:
    """Each top-level module the folder's files import (absolute imports), and one importer."""
    found: dict[str, Path] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        if "node_modules" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], path)
    return found


def third_party(folder: str) -> dict[str, Path]:
    """The imports of the folder that are neither the standard library nor the project."""
    return {
        name: path
        for name, path in top_level_imports(folder).items()
        if name not in sys.stdlib_module_names and name not in FIRST_PARTY
    }


def normalized(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements: list[str]) -> set[str]:
    return {normalized(re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0]) for r in requirements}


def declared() -> tuple[set[str], dict[str, set[str]]]:
    """The core dependencies and each extra's, from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = {
        name: requirement_names(requirements)
        for name, requirements in project.get("optional-dependencies", {}).items()
    }
    return requirement_names(project["dependencies"]), extras


@functools.cache
def installed_distributions() -> dict[str, list[str]]:
    """Import names to the installed distributions providing them (slow: read once)."""
    return packages_distributions()


def distribution(module: str) -> str:
    """The distribution that installs an import name (``PIL`` → ``pillow``)."""
    if module in DISTRIBUTION_OF:
        return DISTRIBUTION_OF[module]
    installed = installed_distributions().get(module)
    assert installed, f"no installed distribution provides {module!r}: add it to DISTRIBUTION_OF"
    return normalized(installed[0])


@pytest.mark.parametrize("folder", ["geo", "dashboard", "bench", "scripts"])
def test_every_package_the_code_imports_is_a_core_dependency(folder):
    core, _ = declared()
    missing = {
        f"{distribution(module)} (import {module}, in {path.relative_to(ROOT)})"
        for module, path in third_party(folder).items()
        if distribution(module) not in core
    }
    assert not missing, f"declare in pyproject.toml's dependencies: {sorted(missing)}"


def test_every_package_the_tests_import_is_declared():
    core, extras = declared()
    missing = {
        distribution(module)
        for module in third_party("tests")
        if distribution(module) not in core | extras["test"]
    }
    assert not missing, f"declare in pyproject.toml's test extra: {sorted(missing)}"


def test_the_data_layer_imports_no_user_interface():
    ui = {"dashboard", "streamlit", "streamlit_folium", "folium", "branca", "altair", "playwright"}
    imported = top_level_imports("geo")
    assert not ui & set(imported), {name: str(imported[name]) for name in ui & set(imported)}


def test_the_distribution_of_an_import_name_is_found():
    assert distribution("PIL") == "pillow"
    assert distribution("streamlit_folium") == "streamlit-folium"
    assert requirement_names(["pyogrio>=0.9", "streamlit[auth] ; python_version>'3'"]) == {
        "pyogrio",
        "streamlit",
    }
