"""Every environment variable is declared once, in the settings modules, and read from there.

The README's table, ``atlas --help`` and ``.streamlit/config.toml`` are made from the
declarations, so none of them can drift from what the code reads.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.serve import streamlit_config
from dashboard.settings import (
    STREAMLIT_OPTIONS,
    all_settings,
    config_file_options,
    streamlit_config_toml,
)
from geo.io import MAX_UPLOAD_MB, UploadLimits
from geo.settings import UPLOAD_LIMITS, Setting, text

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_MODULES = {ROOT / "geo" / "settings.py", ROOT / "dashboard" / "settings.py"}
VARIABLE = re.compile(r"\bATLAS_[A-Z0-9_]+\b")
#: The tests' own knobs (tests/test_bad_files.py reads them; make test-fast sets one): no
#: part of the project reads them, so they are no settings.
TEST_KNOBS = {"ATLAS_FUZZ_EXAMPLES", "ATLAS_UPDATE_EXPECTED"}


def project_sources() -> list[Path]:
    """The project's own Python files (not the tests', whose knobs are their own)."""
    return [
        path
        for folder in ("geo", "dashboard", "bench", "scripts")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "node_modules" not in path.parts
    ]


def test_each_setting_is_declared_once():
    variables = [s.variable for s in all_settings()]
    assert len(variables) == len(set(variables))
    assert len({s.name for s in all_settings()}) == len(variables)
    for setting in all_settings():
        assert setting.doc and "\n" not in setting.doc, setting.variable


def test_every_variable_the_code_or_the_readme_names_is_a_declared_setting():
    declared = {s.variable for s in all_settings()}
    for path in [*project_sources(), ROOT / "README.md", ROOT / "Makefile"]:
        named = set(VARIABLE.findall(path.read_text(encoding="utf-8"))) - TEST_KNOBS
        assert named <= declared, f"{path.relative_to(ROOT)} names {sorted(named - declared)}"
    assert not TEST_KNOBS & declared


def test_only_the_settings_modules_name_a_variable_or_read_the_environment():
    for path in project_sources():
        if path in SETTINGS_MODULES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not VARIABLE.fullmatch(node.value), f"{where}: use its Setting"
            if isinstance(node, ast.Attribute) and node.attr == "getenv":
                pytest.fail(f"{where}: read a Setting instead of os.getenv")
            reads_environ = (
                isinstance(node, ast.Attribute)
                and node.attr == "get"
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "environ"
            ) or (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "environ"
            )
            assert not reads_environ, f"{where}: read a Setting instead of os.environ"


def test_a_setting_reads_the_environment_when_asked_and_names_itself_when_wrong(monkeypatch):
    rows = next(s for s in UPLOAD_LIMITS if s.name == "rows")
    monkeypatch.delenv(rows.variable, raising=False)
    assert rows.value() == rows.default == UploadLimits().rows
    monkeypatch.setenv(rows.variable, "  ")
    assert rows.value() == rows.default
    monkeypatch.setenv(rows.variable, "12")
    assert rows.value() == 12
    monkeypatch.setenv(rows.variable, "-1")
    with pytest.raises(ValueError, match=r"^ATLAS_MAX_UPLOAD_ROWS must be a positive number"):
        rows.value()
    place = Setting("place", "PLACE", None, text, "where")
    assert place.value({"PLACE": " Aleppo "}) == "Aleppo"
    assert place.value({}) is None


def test_the_upload_limits_are_the_settings_in_the_order_of_their_fields():
    assert [s.name for s in UPLOAD_LIMITS] == list(UploadLimits.__dataclass_fields__)
    assert UploadLimits.variables() == {s.name: s.variable for s in UPLOAD_LIMITS}
    assert UploadLimits() == UploadLimits(**{s.name: s.default for s in UPLOAD_LIMITS})


def test_atlas_help_lists_every_variable(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    for setting in all_settings():
        assert setting.variable in shown


def test_the_config_file_is_the_one_the_settings_generate():
    written = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert written == streamlit_config_toml(), (
        ".streamlit/config.toml is not what dashboard/settings.py makes: run `make config`"
    )
    sections = tomllib.loads(written)
    in_file = {
        f"{s}.{name}": value for s, options in sections.items() for name, value in options.items()
    }
    assert (
        in_file
        == config_file_options()
        == {**STREAMLIT_OPTIONS, "server.maxUploadSize": MAX_UPLOAD_MB}
    )


def test_a_server_takes_the_upload_limit_from_the_environment(monkeypatch):
    monkeypatch.setenv("ATLAS_MAX_UPLOAD_MB", "12.5")
    assert streamlit_config(port=8501, address="127.0.0.1")["server.maxUploadSize"] == 13


def test_the_data_commands_import_no_user_interface(tmp_path):
    code = (
        "import sys\n"
        "import dashboard.cli\n"
        f"for argv in (['info'], ['synth', '--rows', '20', '--out', {str(tmp_path / 's.csv')!r}],\n"
        f"             ['validate', {str(tmp_path / 's.csv')!r}],\n"
        f"             ['mapping', {str(tmp_path / 's.csv')!r}]):\n"
        "    assert dashboard.cli.main(argv) in (0, 1), argv\n"
        "print(sorted({'streamlit', 'folium', 'playwright', 'altair', 'branca'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
